"""Time from opening a sample patient's URL to the risk visible in chromium, on a warm server.

Starts `streamlit run app.py` on a free loopback port (models from RISK_MODELS_DIR, else models/), opens
`/?patient=ID` once to warm the process (imports, model loading), then opens it again N times in fresh browser
pages (each a new Streamlit session: nothing of the patient is cached across sessions) and reports the time
until the first model or equation card shows a number, for a browser that has never seen the app and for a
returning one (static assets cached). Goal: <= 2 s.

    python benchmarks/app.py [--patient fr-jean-pierre-martin] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RISK = re.compile(r"\d+[.,]\d")  # a card's number, e.g. "16,1 %"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patient", default="fr-jean-pierre-martin")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    port = free_port()
    env = {**os.environ, "RISK_AUDIT_LOG": "/tmp/risk-bench-audit.log", "RISK_WORKLIST_DB": "/tmp/risk-bench.sqlite"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
                             f"--server.port={port}", "--server.address=127.0.0.1"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/?patient={args.patient}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            fresh, cached = [], []
            returning = browser.new_context(viewport={"width": 1400, "height": 1000})  # keeps static assets
            for i in range(args.runs + 1):
                for times, ctx in ((fresh, None), (cached, returning)):
                    own = ctx or browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = own.new_page()
                    t0 = time.perf_counter()
                    page.goto(url)
                    page.locator('[class*="st-key-card_"] h3').filter(has_text=RISK).first.wait_for(timeout=120_000)
                    elapsed = time.perf_counter() - t0
                    # let the rest of the page finish before the next run, so runs do not compete for the CPU
                    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                                           timeout=120_000)
                    page.close()
                    if ctx is None:
                        own.close()
                    if i == 0:
                        print(f"cold server (imports, models), {'new' if ctx is None else 'same'} browser: "
                              f"{elapsed:.2f} s")
                    else:
                        times.append(elapsed)
            browser.close()
        load = os.getloadavg()[0]
        for name, times in (("new browser profile (no cached assets)", fresh),
                            ("returning browser (cached assets)", cached)):
            print(f"warm server, {name}: median {statistics.median(times):.2f} s, min {min(times):.2f} s, "
                  f"max {max(times):.2f} s over {len(times)} runs")
        print(f"goal <= 2 s; load average during the run {load:.1f} on {os.cpu_count()} cores")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
