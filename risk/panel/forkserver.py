"""The pool's fork server, started early with the scoring code imported.

Workers are forked from a fork server (risk.panel.buckets.process_pool: never from a process whose thread pools have
run). Each used to import the scoring code itself (XGBoost, pandas, the library: some 1.5 s of a core per worker)
after the command had done the same. Started first thing in `risk panel`, the server imports it once, while the
command's own process imports it too, and every worker starts with it imported: 0.8 s less per run on 2 cores.
Only the standard library is imported here, so that the server starts at once.
"""

from __future__ import annotations

import multiprocessing.forkserver

PRELOAD = ["risk.panel.engine"]  # imports the bucket pass and the scoring (never runs them: no thread pool starts)


def preload() -> None:
    """The modules a fork server started from now on imports (no effect on one already running)."""
    multiprocessing.forkserver.set_forkserver_preload(PRELOAD)


def start() -> None:
    """Start the fork server now (a no-op when it runs), importing PRELOAD in the background."""
    preload()
    multiprocessing.forkserver.ensure_running()
