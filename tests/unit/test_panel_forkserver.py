"""The pool's workers start with the scoring code imported by the fork server (risk.panel.forkserver), and with
what they imported frozen out of the cyclic garbage collector (risk.panel.buckets.freeze_long_lived)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = '''
import gc
import sys

from risk.panel import buckets, forkserver


def imported() -> list[str]:
    return [m for m in ("xgboost", "risk.panel.engine") if m in sys.modules]


def frozen() -> int:
    return gc.get_freeze_count()


if __name__ == "__main__":
    forkserver.PRELOAD[:] = sys.argv[1:]
    forkserver.start()
    with buckets.process_pool(2) as pool:
        print(pool.submit(imported).result(), pool.submit(frozen).result() > 1000)
'''


def _imported_in_a_worker(tmp_path: Path, preload: list[str]) -> str:
    """What a pool worker has imported, and whether it starts with its objects frozen (thousands of them)."""
    script = tmp_path / "worker_imports.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script), *preload], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_worker_starts_with_the_scoring_code_imported_once_by_the_fork_server(tmp_path: Path):
    assert _imported_in_a_worker(tmp_path, ["risk.panel.engine"]) == "['xgboost', 'risk.panel.engine'] True"


def test_without_the_preload_a_worker_would_import_the_scoring_code_itself(tmp_path: Path):
    """The control: the bucket pass's own imports do not pull XGBoost in (the preload is what brings it)."""
    assert _imported_in_a_worker(tmp_path, []) == "[] True"


def test_the_collector_is_paused_while_a_chunk_is_assessed_and_on_again_at_each_yield(monkeypatch):
    """The pause (risk.panel.stream.assess_chunks) never reaches the caller's code between two patients."""
    import gc
    from datetime import date

    from risk.panel import stream

    seen: list[bool] = []

    def assess_records(batch, as_of, models, **kwargs):  # noqa: ANN001, ANN003, ANN202 (stands in for the batch path)
        seen.append(gc.isenabled())
        return [ValueError(str(r)) for r in batch]

    monkeypatch.setattr(stream, "assess_records", assess_records)
    at_yield = [gc.isenabled() for _ in stream.assess_chunks(range(5), {}, as_of=date(2025, 1, 1), chunk=2)]
    assert seen == [False, False, False]
    assert at_yield == [True] * 5
