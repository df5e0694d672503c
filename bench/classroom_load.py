"""A classroom's load: 30 sessions on one lab server while jobs train and queue.

Starts the app (`tests/serverkit.py`) on a loopback port with a fresh data folder
holding the real MNIST split. ``--jobs`` real headless Chromium tabs each start a
short training run from the Train page (one trains, the others queue). Meanwhile
``--sessions`` Streamlit sessions, each over its own websocket as a browser's would
be (the same protobuf messages), move through the pages in their own order for
``--rounds`` rounds, reading each page for about ``--think`` seconds. A session
asks for a page exactly as a click on the sidebar does (a rerun with the page's
script hash); the page time is from that request to the server's "script
finished" message, every element of the page delivered: what the server costs
a class. (30 Chromium tabs on this 2-core machine starve the server and
themselves; measured that way, most of the time is the browsers' own.) It prints:

* every page answered (a run that finished without an exception element);
* page times: median, p95, max, overall and per page;
* errors in the server log (lines with ``Traceback`` or ``Error``);
* every started job completed and recorded (read from the records afterwards);
* the server's resident memory before the sessions, at the end, and after the jobs.

Bounded: every wait has a timeout and the whole run stops after ``--limit`` seconds.

With ``--ray`` the server trains on a local Ray cluster (`tests/raykit.py`: a head and a
second node, one CPU each, started here and stopped at the end) instead of in its own
worker threads.

Usage (from the project root):
    .venv/bin/python bench/classroom_load.py                   # 30 sessions, 3 jobs, 2 rounds
    .venv/bin/python bench/classroom_load.py --ray             # the same, training on local Ray
    .venv/bin/python bench/classroom_load.py --sessions 10 --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import websockets  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from realdata import write_mnist_split  # noqa: E402
from raykit import RayCluster  # noqa: E402
from serverkit import LabServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
PAGES = ["Datasets", "Architecture", "Train", "Sweeps", "Results", "Evaluate", "Draw", "Inside the network",
         "Leaderboard"]
TIMEOUT_MS = 120_000


async def settle(page) -> None:
    """Wait until the page's script run is over (it may start a moment after a click)."""
    await page.wait_for_timeout(150)
    await page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)


class Session:
    """One Streamlit session over a websocket: asks for pages, times them."""

    def __init__(self, ws):
        self.ws, self.pages = ws, {}

    async def open(self, page: str = "") -> tuple[float, bool]:
        """Ask for ``page`` (its script hash; "" for the default); seconds until the
        server finished the run, and whether the page shows an exception."""
        msg = BackMsg()
        msg.rerun_script.page_script_hash = page
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        failed = False
        while True:
            out = ForwardMsg()
            out.ParseFromString(await asyncio.wait_for(self.ws.recv(), TIMEOUT_MS / 1000))
            kind = out.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in out.navigation.app_pages}
            elif kind == "delta" and out.delta.new_element.WhichOneof("type") == "exception":
                failed = True
            elif kind == "script_finished":
                return time.perf_counter() - t0, failed or out.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY


async def start_job(page, who: int, failures: list[str], epochs: int) -> None:
    """Start a training run of the default preset (the workshop net) on all 8,000 training
    images of the split from the Train page."""
    try:
        await page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Train", exact=True).click()
        await settle(page)
        for label, value in (("Use only the first N training images (0 = all)", 0), ("Epochs", epochs)):
            box = page.get_by_label(label, exact=True)
            await box.fill(str(value))
            await box.press("Enter")
            await settle(page)
            if await box.input_value() != str(value):
                raise RuntimeError(f"{label!r} shows {await box.input_value()!r}, not {value}")
        await page.get_by_role("button", name="Start training").click()
        await settle(page)
        started = page.locator("[data-testid='stText']").filter(has_text=re.compile(r"^Run \d+ · "))
        await started.first.wait_for(timeout=TIMEOUT_MS)  # the page follows the new run
    except Exception as exc:
        failures.append(f"session {who}, starting a job: {str(exc).splitlines()[0][:120]}")


async def learner(url: str, who: int, rounds: int, times, failures, delay: float, think: float) -> None:
    """One learner: arrive after ``delay`` seconds, open the lab, then visit every page
    ``rounds`` times, reading each for about ``think`` seconds."""
    await asyncio.sleep(delay)
    pause = random.Random(who)
    try:
        async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                      origin=url, max_size=None, open_timeout=TIMEOUT_MS / 1000) as ws:
            s = Session(ws)
            await s.open()
            order = PAGES[who % len(PAGES):] + PAGES[:who % len(PAGES)]  # learners spread over the pages
            for _ in range(rounds):
                for name in order:
                    await asyncio.sleep(pause.uniform(0.5, 1.5) * think)  # reading the page before the next click
                    try:
                        seconds, failed = await s.open(s.pages[name])
                    except (asyncio.TimeoutError, KeyError) as exc:
                        failures.append(f"session {who}, {name}: no answer ({type(exc).__name__})")
                        continue
                    times.append((name, seconds))
                    if failed:
                        failures.append(f"session {who}, {name}: the page shows an exception")
    except Exception as exc:
        failures.append(f"session {who}: {str(exc).splitlines()[0][:120]}")


async def starter(browser, url: str, who: int, failures, epochs: int) -> None:
    """A real browser tab that starts a training run from the Train page, then leaves."""
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        await page.goto(url, timeout=TIMEOUT_MS)
        await settle(page)
        await start_job(page, who, failures, epochs)
    except Exception as exc:
        failures.append(f"job starter {who}: {str(exc).splitlines()[0][:120]}")
    finally:
        await context.close()


async def drive(url: str, sessions: int, rounds: int, jobs: int, times, failures, stagger: float,
                think: float, epochs: int) -> None:
    """The job starters and the learners, all at once."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            await asyncio.gather(*(starter(browser, url, i, failures, epochs) for i in range(jobs)),
                                 *(learner(url, i, rounds, times, failures, i * stagger, think)
                                   for i in range(sessions)))
        finally:
            await browser.close()


def spread(seconds: list[float]) -> str:
    """Median, 95th percentile and largest of ``seconds``, in words."""
    if not seconds:
        return "no visits"
    p95 = statistics.quantiles(seconds, n=20, method="inclusive")[18] if len(seconds) > 1 else seconds[0]
    return f"median {statistics.median(seconds):.2f} s, p95 {p95:.2f} s, max {max(seconds):.2f} s"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=30)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--jobs", type=int, default=3)
    p.add_argument("--stagger", type=float, default=1.0, help="seconds between two sessions arriving")
    p.add_argument("--think", type=float, default=5.0, help="seconds a learner reads a page (0.5x to 1.5x)")
    p.add_argument("--limit", type=float, default=900, help="seconds before the run is stopped")
    p.add_argument("--ray", action="store_true", help="train on a local Ray cluster of two nodes")
    p.add_argument("--job-epochs", type=int, default=300,
                   help="epochs of each job (300: about 40 s each here, so jobs train while the sessions run)")
    args = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="lab-load-"))
    datasets = write_mnist_split(tmp / "datasets")
    env = {"LAB_HOME": str(tmp / "labhome"), "LAB_DATASETS": str(datasets), "LAB_OFFLINE": "1",
           "KERAS_HOME": str(tmp / "keras"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    cluster = RayCluster(nodes=2, cpus_per_node=1).start() if args.ray else None
    if cluster:
        env["LAB_RAY_ADDRESS"] = cluster.address
    server = LabServer(env, tmp / "streamlit.log")
    try:
        url = server.start()
    except BaseException:
        if cluster:
            cluster.stop()
        raise
    times: list[float] = []
    failures: list[str] = []
    try:
        rss_before = server.rss_mib()
        t0 = time.perf_counter()
        try:
            asyncio.run(asyncio.wait_for(drive(url, args.sessions, args.rounds, args.jobs, times, failures,
                                               args.stagger, args.think, args.job_epochs), args.limit))
        except asyncio.TimeoutError:
            failures.append(f"the run passed its limit of {args.limit:.0f} s")
        wall = time.perf_counter() - t0
        rss_end = server.rss_mib()

        from lab.records.sqlite import SQLiteStore  # the server's records, read as they are
        store = SQLiteStore(tmp / "labhome" / "runs.sqlite")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and any(r.status.active for r in store.runs()):
            time.sleep(2)
        runs = store.runs()
        rss_after = server.rss_mib()
    finally:
        server.stop()
        if cluster:
            cluster.stop()
    # Streamlit's own server logs a WebSocketDisconnected traceback when a browser leaves
    # mid-handshake (sessions closing at the end): counted apart from the lab's errors.
    blocks = server.log().split("Exception in ASGI application")
    closes = sum("WebSocketDisconnected" in b for b in blocks[1:])
    log_errors = [line for b in [blocks[0]] + [b for b in blocks[1:] if "WebSocketDisconnected" not in b]
                  for line in b.splitlines() if re.search(r"Traceback|Error", line)]

    visits = args.sessions * args.rounds * len(PAGES)
    where = "on a local Ray cluster (2 nodes, 1 CPU each)" if args.ray else "in the server's worker threads"
    print(f"{args.sessions} sessions (one every {args.stagger:g} s) x {args.rounds} rounds x {len(PAGES)} pages = "
          f"{visits} page visits over websockets, about {args.think:g} s on each page; {args.jobs} training jobs "
          f"started from the Train page in Chromium, trained {where}; {wall:.0f} s in all")
    print(f"Pages answered: {len(times)} of {visits}")
    if times:
        print(f"Page time: {spread([s for _, s in times])} (goal: p95 under 2 s)")
        for name in PAGES:
            print(f"    {name}: {spread([s for n, s in times if n == name])}")
    print(f"Jobs: {len(runs)} recorded; " + ", ".join(f"run {r.id} {r.status} ({r.epochs_done} epochs, "
                                                       f"{r.duration_s or 0:.0f} s, {r.device})" for r in runs))
    print(f"Training went on for {sum(r.duration_s or 0 for r in runs):.0f} s of the {wall:.0f} s the sessions ran")
    print(f"Server memory: {rss_before:.0f} MiB before the sessions, {rss_end:.0f} MiB when they ended, "
          f"{rss_after:.0f} MiB after the jobs")
    print(f"Errors in the server log: {len(log_errors)} (and {closes} websocket closes at the end, "
          "Streamlit's server logging a browser that left mid-handshake)")
    for line in log_errors[:10]:
        print("   ", line[:160])
    print(f"Failures: {len(failures)}")
    for line in failures[:20]:
        print("   ", line)
    return 0 if not failures and not log_errors and all(r.status == "finished" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
