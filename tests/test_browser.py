"""End to end: the running app driven in headless Chromium.

One Streamlit server (a subprocess on a free port, its own LAB_HOME, the real
8,000/2,000 MNIST split, offline) and one browser page serve the whole module,
so every page is reached through the sidebar in a single session, as a student
would. The tests run in file order and build on each other: the Train tests
leave the runs that Results and Draw look at.

Screenshots of every page go to ``test-artifacts/`` (git-ignored) for people
to look at; the assertions do not depend on them.

Run with ``pytest -m browser``. Needs Debian's Chromium at /usr/bin/chromium
(``playwright install`` cannot download here).
"""

from __future__ import annotations

import os
import re
import time
import zipfile
from pathlib import Path

import pytest
from serverkit import LabServer

import playwright.sync_api as playwright_api  # noqa: E402  (requirements-test.txt: missing, the suite fails)

expect = playwright_api.expect
PlaywrightTimeout = playwright_api.TimeoutError

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
APP = "[data-testid='stApp']"
IDLE = f"{APP}[data-test-script-state='notRunning']"
BUSY = f"{APP}[data-test-script-state='running']"
NETWORK = "Workshop 16-16-10"  # the default preset
TEACHER_KEY = "browser-test-teacher"
RUNS: dict[str, int] = {}  # what the Train tests left for Results and Draw
SHORT = 90_000  # ms: page loads, reruns, a short training run
LONG = 150_000  # ms: the slow first epoch on a busy 2-core machine



# ---- the server and the browser ----------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory, datasets_dir):
    """The app on a free port; yields its URL and always stops it."""
    tmp = tmp_path_factory.mktemp("browser")
    app = LabServer({"LAB_HOME": str(tmp / "labhome"), "LAB_DATASETS": str(datasets_dir), "LAB_OFFLINE": "1",
                     "KERAS_HOME": str(tmp / "keras_home"), "TF_CPP_MIN_LOG_LEVEL": "3",
                     "LAB_TEACHER_KEY": TEACHER_KEY}, tmp / "streamlit.log")
    try:
        try:
            yield app.start()
        except RuntimeError as exc:
            pytest.fail(str(exc))
    finally:
        app.stop()
        if ARTIFACTS.is_dir():
            (ARTIFACTS / "streamlit.log").write_bytes(app.log_path.read_bytes())


@pytest.fixture(scope="module")
def page(server):
    """One browser tab on the app for the whole module (one Streamlit session). Without
    Chromium the tests fail (never skip), saying what to install."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (scripts/test.sh does)",
                    pytrace=False)
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        tab.set_default_timeout(SHORT)
        expect.set_options(timeout=30_000)
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.goto(server)
        tab.wait_for_selector(IDLE, timeout=SHORT)
        tab.js_errors = errors
        try:
            yield tab
        finally:
            browser.close()


@pytest.fixture(autouse=True)
def screenshot_on_failure(request, page):
    """Keep a picture of the page when a test fails."""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))


# ---- helpers ---------------------------------------------------------------------------------------

def settle(page, timeout: int = SHORT) -> None:
    """Wait for the rerun an interaction started to end.

    The run may start a moment after the click, or be over before we look, so
    give it a short chance to start, then wait for the app to be idle.
    """
    try:
        page.wait_for_selector(BUSY, timeout=1500)
    except PlaywrightTimeout:
        pass
    page.wait_for_selector(IDLE, timeout=timeout)


def go(page, link: str, title: str) -> None:
    """Open a page by clicking its sidebar link; wait for its title and the run to end."""
    page.locator("[data-testid='stSidebarNavLink']", has_text=link).click()
    expect(page.locator("h1").first).to_have_text(title, timeout=SHORT)
    settle(page)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def shoot(page, name: str) -> None:
    """Screenshot the whole page (Streamlit scrolls an inner box, so grow the window to fit it)."""
    height = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        "[data-testid='stMain'], [data-testid='stAppViewContainer'], [data-testid='stMainBlockContainer']")]
        .map(e => e.scrollHeight), 0)""")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(max(int(height) + 40, size["height"]), 8000)})
    page.wait_for_timeout(500)  # let charts lay themselves out again
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)


def set_number(page, label: str, value: int) -> None:
    """Type into a number input and commit it with Enter."""
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    settle(page)
    expect(box).to_have_value(re.compile(rf"^{value}(\.0+)?$"))  # a float box shows 100.00


def status_line(page):
    """The watched run's header line: 'Run N · network · dataset · started by who · status'."""
    return page.locator("[data-testid='stText']").filter(has_text=re.compile(r"^Run \d+ · "))


def watched_run(page) -> int:
    return int(re.match(r"Run (\d+)", status_line(page).first.inner_text()).group(1))


def wait_ended(page, run: int, status: str, timeout: int = LONG) -> None:
    """Wait until run ``run`` has ended with ``status`` and the whole page was redrawn.

    The watch fragment shows the final status a moment before it notices the job
    is over and reruns the page; only that rerun updates the rest of the page (the
    'Run' list loses its '- training' mark, 'Continue a run' lists the run).
    """
    expect(status_line(page).first).to_contain_text(f"Run {run} ·", timeout=timeout)
    expect(status_line(page).first).to_contain_text(f"· {status}", timeout=timeout)
    expect(combo(page, "Run")).to_have_value(re.compile(rf"^run {run}: .*\)$"), timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)


def progress_position(page) -> tuple[int, int] | None:
    """(epoch, batch) from the progress bar's text, or None when there is no bar."""
    try:
        text = page.locator("[data-testid='stProgress']").first.inner_text(timeout=500)
    except PlaywrightTimeout:
        return None
    m = re.search(r"epoch (\d+)/\d+, batch (\d+)/", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def combo(page, label: str):
    """A select box's input; its value is the chosen option's text."""
    return page.get_by_role("combobox", name=label, exact=True)


def open_list(page, label: str):
    """Open a select box's list and return it.

    Right after a run ends the first click on a select box sometimes does not open
    its list (a late rerun of the watch fragment redraws it), so try a few times.
    """
    listbox = page.get_by_role("listbox")
    for _ in range(5):
        combo(page, label).click()
        try:
            expect(listbox).to_be_visible(timeout=3_000)
            return listbox
        except AssertionError:
            page.keyboard.press("Escape")
            settle(page)
    raise AssertionError(f"the list of the select box {label!r} does not open")


def choose(page, label: str, option: re.Pattern) -> None:
    """Open a select box and click the option whose text matches."""
    listbox = open_list(page, label)
    listbox.get_by_role("option", name=option).click()
    expect(listbox).to_have_count(0)
    settle(page)


def needs(*keys: str) -> None:
    """Skip when an earlier test did not leave the runs this one looks at."""
    if not all(k in RUNS for k in keys):
        pytest.skip("needs the runs the Train tests make")


def grid_rows(grid) -> list[dict]:
    """The rows a data grid shows, as {column header: cell text}, read from the hidden
    accessible table glide-data-grid keeps next to its canvas (cells in view only)."""
    return grid.locator("table[role='grid']").first.evaluate("""t => {
        const head = {};
        t.querySelectorAll("th[role='columnheader']").forEach(
            h => { head[h.getAttribute('aria-colindex')] = h.textContent.trim(); });
        return [...t.querySelectorAll("tbody tr[role='row']")].map(r => Object.fromEntries(
            [...r.querySelectorAll("td[role='gridcell']")].map(
                c => [head[c.getAttribute('aria-colindex')], c.textContent.trim()])));
    }""")


def charts(page):
    return page.locator("[data-testid='stVegaLiteChart']")


# ---- the tests -------------------------------------------------------------------------------------

def test_datasets_and_architecture_pages(page, server):
    page.goto(f"{server}/datasets")  # the address a teacher says aloud, though Datasets is the root page
    page.wait_for_selector(IDLE, timeout=SHORT)
    expect(page.get_by_role("heading", name="Datasets", exact=True)).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    go(page, "Datasets", "Datasets")
    expect(page.locator("[data-testid='stMetric']", has_text="Training set")).to_contain_text("8,000 x 28 x 28")
    expect(page.locator("[data-testid='stMetric']", has_text="Test set")).to_contain_text("2,000 x 28 x 28")
    expect(page.locator("[data-testid='stImage']").first).to_be_visible()
    expect(charts(page).first).to_be_visible()
    shoot(page, "1-datasets")

    go(page, "Architecture", "Architecture")
    expect(page.get_by_label("Network name", exact=True)).to_have_value(NETWORK)
    # 784*16+16 + 16*16+16 + 16*10+10 = 13,002 weights
    expect(page.locator("[data-testid='stMetric']", has_text="Total parameters")).to_contain_text("13,002")
    expect(page.get_by_text("This network can be trained.")).to_be_visible()
    shoot(page, "2-architecture")


def test_train_a_short_run(page):
    go(page, "Train", "Train")
    expect(page.get_by_text(f"Network: {NETWORK}")).to_be_visible()
    set_number(page, "Use only the first N training images (0 = all)", 2000)
    set_number(page, "Epochs", 2)
    page.get_by_role("button", name="Start training").click()
    expect(status_line(page).first).to_contain_text(NETWORK)
    run = watched_run(page)

    seen = []  # progress positions while it runs
    deadline = time.monotonic() + LONG / 1000
    while "finished" not in status_line(page).first.inner_text() and time.monotonic() < deadline:
        pos = progress_position(page)
        if pos and (not seen or pos != seen[-1]):
            seen.append(pos)
        page.wait_for_timeout(250)
    wait_ended(page, run, "finished")
    assert seen == sorted(seen), f"progress went backwards: {seen}"
    expect(page.locator("[data-testid='stMetric']", has_text="Test accuracy")).to_contain_text("%")
    # the live line plus loss and accuracy per epoch
    expect(charts(page)).to_have_count(3)
    expect(combo(page, "Run to continue")).to_have_value(f"run {run}: {NETWORK}, 2 epochs saved")
    RUNS["short"] = run
    shoot(page, "3-train-finished")


def test_stop_and_continue(page):
    # long enough to stop by hand: small batches, many epochs
    set_number(page, "Use only the first N training images (0 = all)", 4000)
    set_number(page, "Batch size", 4)
    set_number(page, "Epochs", 40)
    page.get_by_role("button", name="Start training").click()
    expect(status_line(page).first).to_contain_text("running", timeout=LONG)
    run = watched_run(page)

    seen = []
    deadline = time.monotonic() + LONG / 1000
    while time.monotonic() < deadline:
        pos = progress_position(page)
        if pos and (not seen or pos != seen[-1]):
            seen.append(pos)
        if pos and pos[0] >= 2:
            break
        page.wait_for_timeout(250)
    assert seen and seen[-1][0] >= 2, f"never reached epoch 2: {seen}"
    assert len(seen) >= 2 and seen == sorted(seen), f"progress did not grow: {seen}"
    expect(charts(page)).to_have_count(3)  # live line, loss and accuracy per epoch
    shoot(page, "4-train-running")

    page.get_by_role("button", name="Stop", exact=True).click()
    wait_ended(page, run, "stopped")
    expect(page.get_by_role("button", name="Stop", exact=True)).to_have_count(0)
    option = re.compile(rf"run {run}: {NETWORK}, (\d+) epochs? saved")
    choose(page, "Run to continue", option)
    expect(combo(page, "Run to continue")).to_have_value(option)
    saved = int(option.search(combo(page, "Run to continue").input_value()).group(1))
    assert 1 <= saved < 40
    shoot(page, "5-train-stopped")

    set_number(page, "More epochs", 1)
    page.get_by_role("button", name="Continue", exact=True).click()
    settle(page)
    wait_ended(page, run, "finished")  # it was 'stopped': only the continued run can finish it
    more = f"run {run}: {NETWORK}, {saved + 1} epochs saved"
    choose(page, "Run to continue", re.compile(f"^{re.escape(more)}$"))
    expect(combo(page, "Run to continue")).to_have_value(more)
    expect(page.locator("[data-testid='stMetric']", has_text="Test accuracy")).to_contain_text("%")
    RUNS["continued"], RUNS["epochs"] = run, saved + 1
    shoot(page, "6-train-continued")


def test_results_lists_the_runs(page):
    needs("short", "continued")
    go(page, "Results", "Results")
    grid = page.locator("[data-testid='stDataFrame']").first
    expect(grid).to_be_visible()
    # The grid is drawn on a canvas; glide-data-grid also keeps a hidden accessible
    # table of the cells in view (raw values, columns run, network, ..., status),
    # which get_by_role skips because it is hidden, so select it with CSS.
    cells = grid.locator("td[role='gridcell']")
    expect(cells.filter(has_text=re.compile(rf"^{NETWORK}$"))).to_have_count(2, timeout=SHORT)
    expect(cells.filter(has_text=re.compile(r"^finished$"))).to_have_count(2)
    rows = {r["run"]: r for r in grid_rows(grid)}
    short, continued = rows[str(RUNS["short"])], rows[str(RUNS["continued"])]
    assert short["epochs"] == "2" and short["status"] == "finished", short
    assert continued["epochs"] == str(RUNS["epochs"]) and continued["status"] == "finished", continued
    assert 0 < float(continued["accuracy"]) <= 1, continued
    expect(page.locator("[data-testid='stDownloadButton']", has_text="Download as CSV")).to_be_visible()
    comment = page.get_by_label("Comment", exact=True)
    comment.fill("lr 0.01 looked best")  # typed, and straight away one click on Save: it is saved
    page.get_by_role("button", name="Save comment").click()
    expect(page.get_by_text(re.compile(r"^Comment of run \d+ saved\.$"))).to_be_visible()
    shoot(page, "7-results")



def test_a_chosen_run_stays_chosen_when_its_label_changes(page):
    """The browser sends back the label a select box showed; renaming oneself changes the
    label of the watched run (it names its owner). The lab keeps that run chosen, where
    Streamlit alone would fall back to the first run in the list."""
    needs("short", "continued")
    go(page, "Train", "Train")
    assert RUNS["short"] != RUNS["continued"]
    older = min(RUNS["short"], RUNS["continued"])  # not the first in the list: the newest is
    choose(page, "Run", re.compile(rf"^run {older}: "))
    box = page.get_by_label("Your name", exact=True)
    name = box.input_value()
    box.fill(f"{name}x")
    box.press("Enter")
    settle(page)
    expect(page.get_by_text(f"started by {name}x", exact=False).first).to_be_visible()  # renamed
    # the same run stays chosen (the words in the box may stay the old ones until its list is opened)
    expect(combo(page, "Run")).to_have_value(re.compile(rf"^run {older}: "))
    box.fill(name)  # the name the later tests know
    box.press("Enter")
    settle(page)


def canvas_ink(page) -> int:
    """How many light pixels the drawing canvas shows."""
    canvases = page.locator("[data-testid='stBidiComponentIsolated'] canvas")  # inside a shadow root
    return canvases.evaluate_all("""cs => {
        let n = 0;
        for (const c of cs) {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < d.length; i += 4) if (d[i] > 128 && d[i + 3] > 128) n++;
        }
        return n; }""")


def test_draw_a_digit(page):
    needs("continued")
    go(page, "Draw", "Draw and predict")
    # both runs are offered; pick the newest (the continued one) by hand
    model = re.compile(rf"^run (\d+): {NETWORK} on mnist, \d+ epochs, test accuracy \d+\.\d%$")
    expect(combo(page, "Model")).to_have_value(model)
    expect(open_list(page, "Model").get_by_role("option", name=model)).to_have_count(2)
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox")).to_have_count(0)
    run = RUNS["continued"]
    choose(page, "Model", re.compile(rf"^run {run}: "))
    expect(combo(page, "Model")).to_have_value(re.compile(rf"^run {run}: .*, {RUNS['epochs']} epochs, "))
    expect(page.get_by_text("draw a digit first")).to_be_visible()
    canvas = page.locator("[data-testid='stBidiComponentIsolated'] canvas.upper-canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x + 10, box["y"] + box["height"] * 0.15)  # a '1': one slightly slanted stroke
    page.mouse.down()
    page.mouse.move(x - 10, box["y"] + box["height"] * 0.85, steps=25)
    page.mouse.up()
    page.mouse.move(5, 5)  # off the canvas, so its hover toolbar is not in the screenshot
    expect(page.get_by_text("what the network receives (28x28)")).to_be_visible(timeout=SHORT)
    settle(page)
    reads = page.locator("[data-testid='stMetric']", has_text="The network reads")
    expect(reads).to_contain_text(re.compile(r"\d% sure"))
    print("drew a 1; the network reads:", " ".join(reads.inner_text().split()))
    expect(charts(page)).to_have_count(1)
    shoot(page, "8-draw")

    received = page.locator("[data-testid='stImage']", has_text="what the network receives (28x28)").locator("img")
    centred = received.get_attribute("src")
    page.get_by_text("Centre my drawing like MNIST", exact=True).click()  # the canvas as drawn
    settle(page)
    expect(received).not_to_have_attribute("src", centred)  # another 28x28 image reaches the network
    expect(reads).to_contain_text(re.compile(r"\d% sure"))
    page.get_by_text("Compare with a second model", exact=True).click()
    settle(page)
    expect(page.locator("[data-testid='stMetric']", has_text=re.compile(r"^Run \d+ reads"))).to_have_count(2)
    expect(charts(page)).to_have_count(2)  # both runs' probabilities for the same drawing
    ink = canvas_ink(page)
    assert ink > 100, f"the canvas shows {ink} light pixels: the drawing vanished from view"
    shoot(page, "8-draw-uncentred-two-models")
    page.get_by_text("Compare with a second model", exact=True).click()
    settle(page)
    page.get_by_text("Centre my drawing like MNIST", exact=True).click()
    settle(page)

    page.get_by_role("button", name="Clear", exact=True).click()
    settle(page)
    expect(page.get_by_text("draw a digit first")).to_be_visible()
    expect(page.get_by_text("what the network receives (28x28)")).to_have_count(0)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert not page.js_errors, page.js_errors


MARKDOWN = "![i](http://127.0.0.1:9/track.png) $\\frac{a}{b}$ :red[x] **b** ada@example.org"
WHO = "![i](http://127.0.0.1:9/t.png)$x$:red[x]"  # a person's name: at most 40 characters


def test_out_of_range_numbers_and_markdown_names(page):
    """Only a browser shows these: a red number box must stop Start with a message, and a
    name with Markdown must be shown as typed (no image fetched, no maths, no colour)."""
    go(page, "Architecture", "Architecture")
    name = page.get_by_label("Network name", exact=True)
    name.fill(MARKDOWN)
    name.press("Enter")
    settle(page)
    owner = page.get_by_label("Your name", exact=True)
    owner.fill(WHO)
    owner.press("Enter")
    settle(page)
    expect(owner).to_have_value(WHO)

    go(page, "Train", "Train")
    expect(page.get_by_text(f"Network: {MARKDOWN}")).to_be_visible()
    set_number(page, "Epochs", -5)
    expect(page.get_by_text("Epochs is -5: train for at least 1 epoch.")).to_be_visible()
    expect(page.get_by_role("button", name="Start training")).to_be_disabled()
    shoot(page, "9-train-bad-number")

    set_number(page, "Epochs", 50)  # long enough to be seen training; stopped below
    set_number(page, "Use only the first N training images (0 = all)", 2000)
    set_number(page, "Batch size", 8)
    expect(page.get_by_role("button", name="Start training")).to_be_enabled()
    page.get_by_role("button", name="Start training").click()
    sidebar = page.locator("[data-testid='stSidebar'] [data-testid='stCaptionContainer']").filter(
        has_text="Training now")
    expect(sidebar).to_be_visible(timeout=LONG)
    shown = sidebar.first.inner_text().replace("\u200b", "")  # the escape's invisible breaks
    assert f", {MARKDOWN} ({WHO}), epoch" in shown, shown
    assert page.locator("a[href^='mailto:']").count() == 0  # an address in a caption is text, not a link
    run = watched_run(page)
    page.get_by_role("button", name="Stop", exact=True).click()
    wait_ended(page, run, "stopped")
    line = status_line(page).first.inner_text()
    assert line == f"Run {run} · {MARKDOWN} · mnist · started by {WHO} · stopped", line
    assert page.locator("img[src*='127.0.0.1']").count() == 0  # nothing fetched
    assert page.locator(".katex").count() == 0  # no maths rendered
    shoot(page, "10-train-markdown-name")


def test_a_sweep_the_leaderboard_a_challenge_and_a_reload(page, server):
    """A 3-point learning-rate sweep of the workshop net on a small subset of MNIST (500 images,
    one epoch) finishes and charts; the leaderboard shows the best run; a challenge set by the
    teacher marks it; a reload keeps who this browser is (its runs stay its own), and another
    browser has no power over them."""
    go(page, "Train", "Train")
    choose(page, "Start from a preset", re.compile(rf"^{NETWORK}$"))
    page.get_by_role("button", name="Load preset").click()
    settle(page)
    set_number(page, "Use only the first N training images (0 = all)", 500)
    set_number(page, "Epochs", 1)
    go(page, "Sweeps", "Sweeps")
    values = page.get_by_label("Values, separated by commas", exact=True).first
    values.fill("0.0003, 0.003, 0.03")
    values.press("Enter")
    settle(page)
    set_number(page, "Seeds per point", 1)
    page.get_by_role("button", name="Start sweep").click()
    expect(page.locator("[data-testid='stProgress']").first).to_contain_text("3 of 3 runs ended", timeout=LONG)
    settle(page)
    expect(charts(page)).to_have_count(1)
    shoot(page, "11-sweep")

    go(page, "Results", "Results")
    expect(page.get_by_text(re.compile(r"^The settings that differ between these runs: .*learning rate"))).to_be_visible()
    run = click_a_point(page, charts(page).last, r"\brun\s+(\d+)\b").group(1)
    expect(page.get_by_text(f"Run {run}, epoch by epoch:", exact=True)).to_be_visible()
    shoot(page, "11-results-many-runs")

    go(page, "Leaderboard", "Leaderboard")
    choose(page, "Dataset", re.compile("^MNIST handwritten digits$"))
    grid = page.locator("[data-testid='stDataFrame']").first
    expect(grid.locator("td[role='gridcell']", has_text=NETWORK).first).to_be_attached(timeout=SHORT)
    rows = grid_rows(grid)
    assert len(rows) == 1, rows  # one person: this browser, with its best run
    best = rows[0]["run"]
    page.get_by_text("Teacher", exact=True).click()
    key = page.get_by_label("Teacher key", exact=True)
    key.fill(TEACHER_KEY)
    key.press("Enter")
    page.get_by_role("button", name="Unlock").click()
    settle(page)
    expect(page.get_by_text(re.compile(r"^Teacher mode: "))).to_be_visible()
    page.get_by_text("Set a challenge", exact=True).click()
    page.get_by_label("Title", exact=True).fill("Over 20% in 20 epochs")
    set_number(page, "Minimum test accuracy (%)", 20)
    set_number(page, "At most parameters (0 = no limit)", 0)
    set_number(page, "At most epochs (0 = no limit)", 20)
    page.get_by_role("button", name="Set challenge").click()
    settle(page)
    expect(page.get_by_text("Over 20% in 20 epochs: 20% test accuracy")).to_be_visible()
    grid = page.locator("[data-testid='stDataFrame']").first
    expect(grid.locator("th[role='columnheader']", has_text="Over 20% in 20 epochs")).to_be_attached()
    rows = grid_rows(grid)
    column = next(c for c in rows[0] if c.endswith(": Over 20% in 20 epochs"))  # "challenge N: ..."
    assert rows[0][column].lower() in ("true", "✓", "yes"), rows
    shoot(page, "12-leaderboard-challenge")

    name = page.get_by_label("Your name", exact=True).input_value()
    page.reload()
    page.wait_for_selector(IDLE, timeout=SHORT)
    expect(page.get_by_label("Your name", exact=True)).to_have_value(name)  # the cookie brought it back
    go(page, "Results", "Results")
    choose(page, "Run", re.compile(rf"^run {best}: {NETWORK} on mnist"))
    expect(page.get_by_role("button", name=re.compile(r"^Delete run \d+…$"))).to_have_count(1)
    shoot(page, "13-results-after-reload")

    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        stranger = other.new_page()
        stranger.goto(server)
        stranger.wait_for_selector(IDLE, timeout=SHORT)
        box = stranger.get_by_label("Your name", exact=True)
        assert box.input_value() != name and box.input_value().startswith("guest-")
        box.fill("stranger")  # a name, however chosen, gives no power over others' runs
        box.press("Enter")
        settle(stranger)
        go(stranger, "Results", "Results")
        choose(stranger, "Run", re.compile(rf"^run {best}: {NETWORK} on mnist"))
        expect(stranger.get_by_text("Only ", exact=False).first).to_be_visible()
        expect(stranger.get_by_role("button", name=re.compile(r"^Delete run"))).to_have_count(0)

        stranger.goto(f"{server}/leaderboard?view=projector&dataset=mnist")
        stranger.wait_for_selector(IDLE, timeout=SHORT)
        expect(stranger.locator("table").first).to_contain_text(re.compile(r"\d+\.\d\d%"))
        expect(stranger.locator("[data-testid='stSidebar']")).to_have_count(0)
        expect(stranger.get_by_text("Page not found")).to_have_count(0)  # nobody is at a projector to close it
        stranger.screenshot(path=str(ARTIFACTS / "14-projector.png"))
    finally:
        other.close()
    assert not page.js_errors, page.js_errors


# ---- Inside the network (these train what they look at: they need no earlier test) -------------

def inside_tab(page, name: str) -> None:
    """Open a tab of the Inside the network page (only the open tab runs)."""
    page.get_by_role("tab", name=name, exact=True).click()
    settle(page)
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")


def train_preset(page, preset: re.Pattern, images: int, epochs: int) -> int:
    """Train a preset briefly on the Train page; the run's number once it has finished."""
    go(page, "Train", "Train")
    choose(page, "Start from a preset", preset)
    page.get_by_role("button", name="Load preset").click()
    settle(page)
    set_number(page, "Use only the first N training images (0 = all)", images)
    set_number(page, "Epochs", epochs)
    before = watched_run(page) if status_line(page).count() else None  # the run shown before Start
    page.get_by_role("button", name="Start training").click()
    if before is not None:
        expect(status_line(page).first).not_to_contain_text(f"Run {before} ·", timeout=LONG)
    expect(status_line(page).first).to_contain_text(re.compile(r"· (running|queued|finished)"), timeout=LONG)
    run = watched_run(page)
    wait_ended(page, run, "finished")
    return run


def test_inside_xor_trained_on_the_page_weights_and_forward_pass(page):
    go(page, "Inside the network", "Inside the network")
    inside_tab(page, "XOR by hand")
    set_number(page, "Hidden units", 2)
    page.get_by_role("button", name="Train XOR").click()
    expect(page.get_by_text("What it answers")).to_be_visible(timeout=LONG)
    settle(page, LONG)
    expect(combo(page, "XOR run")).to_have_value(re.compile(r"^run \d+: XOR 2-2-1 \(tanh\) on xor, 100 epochs, "
                                                            r"test accuracy \d+\.\d%$"))
    grids = page.locator("[data-testid='stDataFrame']")
    expect(grids).to_have_count(5)  # the four answers, then W1, b1, W2, b2
    answers = grid_rows(grids.nth(0))
    assert [(r["x1"], r["x2"], r["right answer"]) for r in answers] == [
        ("0", "0", "0"), ("0", "1", "1"), ("1", "0", "1"), ("1", "1", "0")], answers
    w1 = grid_rows(grids.nth(1))
    assert len(w1) == 2 and set(w1[0]) >= {"unit 1", "unit 2"}, w1
    assert [r[""] for r in w1] == ["from x1", "from x2"], w1
    weights = [float(r[u]) for r in w1 for u in ("unit 1", "unit 2")]  # the grid's raw values
    assert all(abs(w) < 100 for w in weights) and len(set(weights)) == 4, w1
    expect(page.get_by_text("2x2 + 2 + 2x1 + 1 = 9")).to_be_visible()

    choose(page, "Input", re.compile(r"^x = \(0, 1\)$"))
    sigmoid = page.locator("[data-testid='stMarkdownContainer']", has_text=re.compile(r"^5\. sigmoid = \[")).first
    by_hand = float(re.search(r"\[(\d\.\d{4})\]", sigmoid.inner_text()).group(1))
    check = page.get_by_text(re.compile(r"^By hand: ")).inner_text()
    hand, own = (float(x) for x in re.findall(r": (-?\d+\.\d+)", check))
    assert abs(hand - own) < 1e-6 and abs(by_hand - own) < 1e-4, (check, by_hand)
    assert int(answers[1]["right answer"]) == 1
    expect(charts(page)).to_have_count(1)  # the decision surface
    shoot(page, "inside-1-xor")
    assert not page.js_errors, page.js_errors


def test_inside_how_often_a_network_learns(page):
    go(page, "Inside the network", "Inside the network")
    inside_tab(page, "How often does it learn?")
    sizes = page.get_by_label("Hidden sizes", exact=True)
    sizes.fill("1, 2, 4")
    sizes.press("Enter")
    settle(page)
    set_number(page, "Tries per size", 0)
    expect(page.get_by_text("0 tries per hidden size is too few")).to_be_visible()
    expect(page.get_by_role("button", name="Run the tries")).to_be_disabled()
    set_number(page, "Tries per size", 12)
    page.get_by_role("button", name="Run the tries").click()
    expect(page.get_by_text(re.compile(r"^Study \d+ by "))).to_be_visible(timeout=LONG)
    settle(page)
    rows = grid_rows(page.locator("[data-testid='stDataFrame']").first)
    assert [r["hidden units"] for r in rows] == ["1", "2", "4"] and {r["tries"] for r in rows} == {"12"}, rows
    assert rows[0]["learned"] == "0", rows  # one hidden unit draws one line: never XOR
    expect(combo(page, "Failed try")).to_have_value(re.compile(r"^1 hidden unit, try 1: outputs "))
    expect(charts(page)).to_have_count(2)  # the share per size, and the failed try's surface
    expect(page.get_by_text(re.compile("draw at most one line"))).to_be_visible()
    shoot(page, "inside-2-trials")

    go(page, "Results", "Results")
    expect(page.get_by_text("How often does XOR learn? (trials)")).to_be_visible()
    assert not page.js_errors, page.js_errors


def test_inside_a_dense_network_step_by_step(page):
    run = train_preset(page, re.compile(r"^Workshop 16-16-10$"), images=1000, epochs=1)
    go(page, "Inside the network", "Inside the network")
    inside_tab(page, "A dense network, step by step")
    choose(page, "Network", re.compile(rf"^run {run}: "))
    set_number(page, "Test image number", 7)
    expect(page.get_by_text(re.compile(r"^The largest of the 10 outputs is number \d"))).to_be_visible()
    expect(charts(page)).to_have_count(4)  # the 784 inputs, two hidden layers, the probabilities
    rows = grid_rows(page.locator("[data-testid='stDataFrame']").first)
    assert [r["class"] for r in rows] == [str(i) for i in range(10)], rows
    assert abs(sum(float(r["after softmax"]) for r in rows) - 1) < 1e-3, rows
    shoot(page, "inside-3-dense")
    assert not page.js_errors, page.js_errors


def test_inside_what_a_cnn_sees(page):
    run = train_preset(page, re.compile(r"^CNN Conv 32-64-64 \(pooled\)$"), images=500, epochs=1)
    go(page, "Inside the network", "Inside the network")
    inside_tab(page, "What a CNN sees")
    choose(page, "Network", re.compile(rf"^run {run}: "))
    set_number(page, "Test image number", 4)
    images = page.locator("[data-testid='stImage']")
    expect(images).to_have_count(8)  # the image, the first filters, six layers of maps
    expect(page.get_by_text("layer 1, Conv2D: output shape (28, 28, 32), 32 maps of 28x28")).to_be_visible()
    expect(page.get_by_text("layer 6, MaxPooling2D: output shape (3, 3, 64), 64 maps of 3x3")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^the 32 learned filters of the first Conv2D layer"))).to_be_visible()
    shoot(page, "inside-4-cnn")
    assert not page.js_errors, page.js_errors


# ---- Evaluate (trains the two runs it compares: it needs no earlier test) ------------------------

def view(page, name: str) -> None:
    """Choose one of the Evaluate page's views (a segmented control)."""
    page.locator("[data-testid='stButtonGroup']").get_by_text(name, exact=True).click()
    settle(page)


def click_a_point(page, chart, pattern: str) -> re.Match:
    """Hover over ``chart`` until a mark's tooltip matches ``pattern``, click that spot and
    return the match (the tooltip says what is under the mouse). A chart drawn as SVG is
    hovered at the centre of each of its first marks (a point is a few pixels wide, easy
    to miss); one drawn on a canvas over a grid of spots."""
    chart.scroll_into_view_if_needed()  # the mouse reaches only what is in the window
    settle(page)
    page.wait_for_timeout(1000)
    box = chart.bounding_box()
    marks = chart.locator("g.mark-symbol path, g.mark-rect path")
    centres = [(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
               for b in (marks.nth(i).bounding_box() for i in range(min(marks.count(), 40))) if b]
    grid = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            for fy in (0.5, 0.3, 0.7, 0.15, 0.85, 0.4, 0.6, 0.2, 0.8, 0.1, 0.9)
            for fx in [i / 40 for i in range(1, 40)]]
    tip = page.locator("#vg-tooltip-element")
    for x, y in centres or grid:
        page.mouse.move(x, y, steps=2)
        page.wait_for_timeout(40)
        if tip.count() and tip.is_visible():
            found = re.search(pattern, " ".join(tip.inner_text().split()))
            if found:
                page.mouse.click(x, y)
                settle(page)
                return found
    raise AssertionError(f"no mark of the chart showed a tooltip matching {pattern!r}")


def click_a_confusion_cell(page) -> None:
    """Click a cell of the confusion matrix (found by its tooltip), then see its images."""
    cell = click_a_point(page, charts(page).first, r"true class (\S+) predicted (\S+)")
    caption = page.get_by_text(re.compile(r"^Click a cell to see its images\. ")).first
    expect(caption).to_contain_text(f"of class {cell.group(1)} were read as {cell.group(2)}")


def test_evaluate_confusion_cell_shift_chart_and_download(page):
    dense = train_preset(page, re.compile(r"^Dense 784-32-10"), images=1000, epochs=1)
    workshop = train_preset(page, re.compile(r"^Workshop 16-16-10$"), images=1000, epochs=1)
    go(page, "Evaluate", "Evaluate")
    choose(page, "Run", re.compile(rf"^run {workshop}: "))
    expect(page.get_by_text("Accuracy", exact=True)).to_be_visible(timeout=LONG)  # the answers, once computed
    titles = page.locator("[data-testid='stImage']").filter(has_text=re.compile(r"Digit: \d · Predicted: \d \(\d+%\)"))
    expect(titles.first).to_be_visible()  # the gallery, titled as in the seed notebooks
    shoot(page, "eval-0-gallery")

    view(page, "One image")
    expect(page.get_by_text(re.compile(r"so the network answers \d"))).to_be_visible()
    shoot(page, "eval-0-one-image")

    view(page, "Compare two runs")
    choose(page, "Compare with", re.compile(rf"^run {dense}: "))
    expect(charts(page).first).to_be_visible()
    shoot(page, "eval-0-compare")

    view(page, "Confusion matrix")
    settle(page)
    click_a_confusion_cell(page)
    caption = page.get_by_text(re.compile(r"^Click a cell to see its images\. [\d,]+ test images of class ")).first
    expect(caption).to_be_visible()
    count = int(re.search(r"([\d,]+) test images", caption.inner_text()).group(1).replace(",", ""))
    assert count > 0, caption.inner_text()  # it opens on the most frequent mistake
    choose(page, "True class", re.compile(r"^Sandal$|^5$"))
    caption = page.get_by_text(re.compile(r"^Click a cell to see its images\. [\d,]+ test images of class ")).first
    expect(caption).to_contain_text(re.compile(r"class (Sandal|5) were read as"))
    count = int(re.search(r"([\d,]+) test images", caption.inner_text()).group(1).replace(",", ""))
    tiles = page.locator("[data-testid='stImage'] img")
    expect(tiles).to_have_count(min(count, 24))  # one page of the cell's images
    expect(charts(page)).to_have_count(2)  # the matrix and the per-class accuracy
    shoot(page, "eval-1-confusion")

    view(page, "Shift experiment")
    settle(page)
    set_number(page, "Largest shift (pixels)", 30)
    expect(page.get_by_text(re.compile(r"^A shift of 30 pixels moves the whole 28-pixel image out of view"))).to_be_visible()
    set_number(page, "Largest shift (pixels)", 4)
    page.get_by_role("button", name="Run the shift experiment").click()
    settle(page, LONG)
    expect(charts(page)).to_have_count(1, timeout=LONG)
    expect(page.locator("[data-testid='stDataFrame']")).to_have_count(1)
    rows = grid_rows(page.locator("[data-testid='stDataFrame']").first)
    assert len(rows) == 2, rows  # one accuracy curve per chosen run
    assert {str(dense), str(workshop)} <= set(re.findall(r"run (\d+)", str(rows))), rows
    shoot(page, "eval-2-shift")

    view(page, "Model files")
    settle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the model (.keras)").click()
    saved = download.value.path()
    assert download.value.suggested_filename.endswith(".keras")
    assert zipfile.is_zipfile(saved)  # a .keras file is a zip archive
    shoot(page, "eval-3-files")
    assert not page.js_errors, page.js_errors
