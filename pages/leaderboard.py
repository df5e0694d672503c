"""Leaderboard: the best test accuracy of each person, and who met the teacher's challenges."""

import ui.entry  # noqa: F401 (first: see ui/entry.py)
import html

import streamlit as st

from lab import classroom
from lab.data import DATASETS
from ui import challenge_form, links, resources, state

projector = links.projector()
if not projector:
    st.title("Leaderboard")
    st.write("The best test accuracy each person reached on a dataset, with what it cost (parameters, "
             "epochs, training time). The teacher can set challenges: every run is checked against "
             "every open challenge, and the table shows who met which. Runs trained in the lab count; "
             "uploaded model files and hidden runs do not.")
names = list(DATASETS)
wanted = st.query_params.get("dataset", "mnist")
dataset = wanted if projector and wanted in DATASETS else st.selectbox(
    "Dataset", names, index=names.index(wanted) if wanted in names else 0, key="board_dataset",
    format_func=lambda n: DATASETS[n].title)


@st.fragment(run_every=5.0 if projector else None)
@resources.guarded
def board():
    challenges = resources.store().challenges()
    table = classroom.leaderboard(resources.runs(), dataset, [c for c in challenges if not c.closed],
                                  resources.store().endings())
    if projector:
        st.html(_big(table, dataset, [c for c in challenges if c.dataset == dataset and not c.closed]))
        return
    if table.empty:
        st.info(f"No finished run on {DATASETS[dataset].title} yet.")
    else:
        st.dataframe(table, hide_index=True, column_config={
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "parameters": st.column_config.NumberColumn(format="localized"),
            "training s": st.column_config.NumberColumn(format="%.1f")})
    st.subheader("Challenges")
    mine = [c for c in challenges if c.dataset == dataset]
    challenge_form.listing(mine, state.me().teacher)
    if not mine:
        st.caption("No challenge on this dataset yet.")


def _big(table, dataset: str, challenges: list) -> str:
    """The leaderboard in large type for a projector, with a tick for each open challenge
    met (numbered under one "challenges" heading, so the row fits) and the challenges in
    words under it; long names and networks are cut short; every name escaped as text."""
    columns = [classroom.challenge_column(c) for c in challenges]
    cells = "".join(
        f"<tr><td>{i}</td><td>{_cut(r['person'])}</td><td>{r['test accuracy']:.2%}</td>"
        + "".join(f"<td>{'✓' if r[col] else ''}</td>" for col in columns)
        + f"<td>{int(r['parameters'] or 0):,}</td><td>{_cut(r['network'])}</td></tr>"
        for i, r in enumerate(table.to_dict("records"), start=1))
    two = " rowspan='2'" if challenges else ""
    heads = (f"<tr><th{two}>#</th><th{two}>who</th><th{two}>test accuracy</th>"
             + (f"<th colspan='{len(challenges)}'>challenges</th>" if challenges else "")
             + f"<th{two}>parameters</th><th{two}>network</th></tr>"
             + (f"<tr>{''.join(f'<th>{c.id}</th>' for c in challenges)}</tr>" if challenges else ""))
    said = "".join(f"<li>challenge {c.id}: {html.escape(classroom.describe(c))}</li>" for c in challenges)
    return ("<div style='font-size:clamp(1.1rem,1.9vw,2.2rem);line-height:1.4'>"  # large, yet the row fits
            f"<h1>{html.escape(DATASETS[dataset].title)}</h1>"
            "<style>.lab-big td,.lab-big th{padding:0 1.2em 0 0;text-align:left;white-space:nowrap}"
            ".lab-cut{max-width:22vw;overflow:hidden;text-overflow:ellipsis}</style>"
            f"<div style='overflow-x:auto'><table class='lab-big' style='width:100%'>{heads}{cells}</table></div>"
            f"{f'<ul style=font-size:clamp(1rem,1.5vw,1.6rem)>{said}</ul>' if said else ''}</div>")


def _cut(text) -> str:
    """``text`` escaped, cut short with "…" when too wide for its column (whole on hover)."""
    shown = html.escape(str(text))
    return f"<div class='lab-cut' title='{shown}'>{shown}</div>"


board()
if not projector:
    if state.me().teacher:
        challenge_form.new_challenge(dataset)
    st.caption("For a projector: this leaderboard in large type, refreshing by itself every 5 seconds.")
    st.code(links.projector_link(dataset), language=None)
