"""A classroom's load: 30 browsers on one lab server while jobs train and queue.

Starts the app (`tests/serverkit.py`) on a loopback port with a fresh data folder
holding the real MNIST split, opens ``--sessions`` headless Chromium contexts
(one browser, one context each: separate cookies, so separate people), and has
each move through the pages in its own order for ``--rounds`` rounds. At the
start, ``--jobs`` of the sessions each start a short training run from the Train
page (one trains, the others queue). It prints:

* every page answered (each visit ends with the page idle and no exception box);
* page times (click on the page link to the page idle): median, p95, max;
* errors in the server log (lines with ``Traceback`` or ``Error``);
* every started job completed and recorded (read from the records afterwards);
* the server's resident memory before the sessions, at the end, and after the jobs.

Bounded: every wait has a timeout and the whole run stops after ``--limit`` seconds.

Usage (from the project root):
    .venv/bin/python bench/classroom_load.py                   # 30 sessions, 3 jobs, 2 rounds
    .venv/bin/python bench/classroom_load.py --sessions 10 --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from playwright.async_api import async_playwright  # noqa: E402

from realdata import write_mnist_split  # noqa: E402
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


async def visit(page, name: str, times: list[float], failures: list[str], who: int) -> None:
    """Open one page from the sidebar; record its time or why it failed."""
    t0 = time.perf_counter()
    try:
        await page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=name, exact=True).click()
        await settle(page)
        await page.locator("h1").first.wait_for(timeout=TIMEOUT_MS)
        if await page.locator("[data-testid='stException']").count():
            failures.append(f"session {who}, {name}: an exception box")
        times.append(time.perf_counter() - t0)
    except Exception as exc:  # a page that did not answer: counted, the session goes on
        failures.append(f"session {who}, {name}: {str(exc).splitlines()[0][:120]}")


async def start_job(page, who: int, failures: list[str]) -> None:
    """Start a short training run of the default preset from the Train page."""
    try:
        await page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Train", exact=True).click()
        await settle(page)
        for label, value in (("Use only the first N training images (0 = all)", 2000), ("Epochs", 2)):
            box = page.get_by_label(label, exact=True)
            await box.fill(str(value))
            await box.press("Enter")
            await settle(page)
        await page.get_by_role("button", name="Start training").click()
        await settle(page)
    except Exception as exc:
        failures.append(f"session {who}, starting a job: {str(exc).splitlines()[0][:120]}")


async def session(browser, url: str, who: int, rounds: int, job: bool, times, failures) -> None:
    """One learner: open the lab, maybe start a job, then visit every page ``rounds`` times."""
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(url, timeout=TIMEOUT_MS)
        await settle(page)
        if job:
            await start_job(page, who, failures)
        order = PAGES[who % len(PAGES):] + PAGES[:who % len(PAGES)]  # sessions spread over the pages
        for _ in range(rounds):
            for name in order:
                await visit(page, name, times, failures, who)
    except Exception as exc:
        failures.append(f"session {who}: {str(exc).splitlines()[0][:120]}")
    finally:
        failures.extend(f"session {who}, browser: {e[:120]}" for e in errors)
        await context.close()


async def drive(url: str, sessions: int, rounds: int, jobs: int, times, failures) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            await asyncio.gather(*(session(browser, url, i, rounds, i < jobs, times, failures)
                                   for i in range(sessions)))
        finally:
            await browser.close()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=30)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--jobs", type=int, default=3)
    p.add_argument("--limit", type=float, default=900, help="seconds before the run is stopped")
    args = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="lab-load-"))
    datasets = write_mnist_split(tmp / "datasets")
    server = LabServer({"LAB_HOME": str(tmp / "labhome"), "LAB_DATASETS": str(datasets), "LAB_OFFLINE": "1",
                        "KERAS_HOME": str(tmp / "keras"), "TF_CPP_MIN_LOG_LEVEL": "3"}, tmp / "streamlit.log")
    url = server.start()
    times: list[float] = []
    failures: list[str] = []
    try:
        rss_before = server.rss_mib()
        t0 = time.perf_counter()
        try:
            asyncio.run(asyncio.wait_for(drive(url, args.sessions, args.rounds, args.jobs, times, failures),
                                         args.limit))
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
    log_errors = [line for line in server.log().splitlines() if re.search(r"Traceback|Error", line)]

    visits = args.sessions * args.rounds * len(PAGES)
    print(f"{args.sessions} sessions x {args.rounds} rounds x {len(PAGES)} pages = {visits} page visits, "
          f"{args.jobs} training jobs started from the Train page; {wall:.0f} s in all")
    print(f"Pages answered: {len(times)} of {visits}")
    if times:
        q = statistics.quantiles(times, n=20) if len(times) > 1 else [times[0]] * 19
        print(f"Page time: median {statistics.median(times):.2f} s, p95 {q[18]:.2f} s, max {max(times):.2f} s "
              "(goal: p95 under 2 s)")
    print(f"Jobs: {len(runs)} recorded; " + ", ".join(f"run {r.id} {r.status}" for r in runs))
    print(f"Server memory: {rss_before:.0f} MiB before the sessions, {rss_end:.0f} MiB when they ended, "
          f"{rss_after:.0f} MiB after the jobs")
    print(f"Errors in the server log: {len(log_errors)}")
    for line in log_errors[:10]:
        print("   ", line[:160])
    print(f"Failures: {len(failures)}")
    for line in failures[:20]:
        print("   ", line)
    return 0 if not failures and not log_errors and all(r.status == "finished" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
