"""The pool's workers start with the scoring code imported by the fork server (risk.panel.forkserver)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = '''
import sys

from risk.panel import buckets, forkserver


def imported() -> list[str]:
    return [m for m in ("xgboost", "risk.panel.engine") if m in sys.modules]


if __name__ == "__main__":
    forkserver.PRELOAD[:] = sys.argv[1:]
    forkserver.start()
    with buckets.process_pool(2) as pool:
        print(pool.submit(imported).result())
'''


def _imported_in_a_worker(tmp_path: Path, preload: list[str]) -> str:
    script = tmp_path / "worker_imports.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script), *preload], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_worker_starts_with_the_scoring_code_imported_once_by_the_fork_server(tmp_path: Path):
    assert _imported_in_a_worker(tmp_path, ["risk.panel.engine"]) == "['xgboost', 'risk.panel.engine']"


def test_without_the_preload_a_worker_would_import_the_scoring_code_itself(tmp_path: Path):
    """The control: the bucket pass's own imports do not pull XGBoost in (the preload is what brings it)."""
    assert _imported_in_a_worker(tmp_path, []) == "[]"
