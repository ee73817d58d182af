"""`risk panel` stopped by SIGTERM (a scheduler, systemd, `timeout`, a container stop) or SIGINT (Ctrl-C) stops in
order, whatever the phase: the pool's processes ended, the temporary bucket folder (raw patient data) removed, no
output file nor temporary output left (a previous complete output kept), one line on stderr, exit code 128 + signal.

The subprocess tests run a real `risk panel` on 2,000 generated patients (2 workers) and signal it mid-run, seen from
its work folder; every process it started (the fork server, the resource tracker, the pool's workers) is collected
while it runs and must be gone after the stop."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import psutil
import pytest

import risk.panel.engine as engine
from risk.cli import main
from risk.errors import ExitCode
from risk.synth import generate
from tests.organized_export import organize

AS_OF = "2025-12-31"
OUTPUTS = ("panel.csv", "panel.parquet", "panel.rejects.csv")
WAIT = 240.0  # seconds for the run to reach a phase (a loaded 2-core machine scores 2,000 patients in about 20 s)
GRACE = 10.0  # seconds the processes of a stopped run have to be gone


def stopped_line(name: str) -> str:
    return f"risk: stopped ({name}): no output written; temporary patient data removed"


@pytest.fixture(scope="module")
def cohort_2k(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cohort2k")
    generate(n_patients=2_000, seed=5, out_dir=out, gzip=True)  # 6 buckets of about 40 MB: scored for ~10 s
    return out


@pytest.fixture(scope="module")
def organized_2k(cohort_2k, tmp_path_factory) -> Path:
    """The same patients organised by patient (risk.panel.organized: scored file by file, its own pool)."""
    out = tmp_path_factory.mktemp("organized2k") / "export"
    organize(cohort_2k, out, files=4, gz=True)
    return out


@pytest.fixture(scope="module")
def cohort_small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cohort")
    generate(n_patients=24, seed=7, out_dir=out)
    return out


def panel_argv(source: Path, out_dir: Path, work: Path) -> list[str]:
    return ["panel", str(source), "--out", str(out_dir / OUTPUTS[0]), "--parquet", str(out_dir / OUTPUTS[1]),
            "--as-of", AS_OF, "--quiet", "--workers", "2", "--work-dir", str(work)]


class Run:
    """A `risk panel` subprocess, with every process it starts (collected while it runs: the pool's workers are the
    fork server's children, so they are gone from the tree once the run's own process has ended)."""

    def __init__(self, argv: list[str], stderr: Path) -> None:
        cmd = [sys.executable, "-c", "import sys; from risk.cli import main; sys.exit(main(sys.argv[1:]))", *argv]
        # stderr to a file, not a pipe: a worker left running would hold a pipe open, and its reader waiting
        self.stderr = stderr
        with stderr.open("wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        self.descendants: dict[int, psutil.Process] = {}
        self.parents: dict[int, int] = {}

    def collect(self) -> None:
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                if child.pid not in self.descendants:
                    self.parents[child.pid] = child.ppid()
                    self.descendants[child.pid] = child

    def workers(self) -> int:
        """The pool's worker processes seen (children of a child: the fork server's)."""
        return sum(1 for parent in self.parents.values() if parent != self.proc.pid)

    def wait_until(self, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT
        while not ready():
            assert self.proc.poll() is None, f"the run ended before the phase: {self.stderr.read_text()}"
            assert time.monotonic() < deadline, "the run did not reach the phase in time"
            self.collect()
            time.sleep(0.02)
        self.collect()

    def stop(self, sig: signal.Signals) -> tuple[int, str]:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=120)
        return code, self.stderr.read_text(encoding="utf-8")

    def alive(self) -> list[psutil.Process]:
        """The run's processes still running (a zombie has ended: only its exit status is left to collect)."""
        out = []
        for p in self.descendants.values():
            with contextlib.suppress(psutil.Error):
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
        return out

    def alive_after_grace(self) -> list[psutil.Process]:
        deadline = time.monotonic() + GRACE
        while (left := self.alive()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return left

    def kill_all(self) -> None:
        """Leave nothing behind, even when a test fails (the code before this fix left its workers running)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for p in self.alive():
            with contextlib.suppress(psutil.Error):
                p.kill()


@pytest.fixture
def run_panel(tmp_path) -> Iterator[Callable[[list[str]], Run]]:
    runs: list[Run] = []

    def start(argv: list[str]) -> Run:
        runs.append(Run(argv, tmp_path / f"stderr{len(runs)}.txt"))
        return runs[-1]

    yield start
    for r in runs:
        r.kill_all()


def bucket_folders(work: Path) -> list[Path]:
    return sorted(work.glob("risk-panel-*"))


def exists(folder: Path, pattern: str) -> bool:
    return next(folder.glob(pattern), None) is not None


def scoring(work: Path) -> Callable[[], bool]:
    """Some bucket scored (its part file written), others still to come."""
    return lambda: any(exists(d, "b*/rows.ndjson") for d in bucket_folders(work))


def assert_stopped_in_order(run: Run, code: int, err: str, sig: signal.Signals, work: Path, out_dir: Path) -> None:
    """Every way the stop can go wrong, all reported at once."""
    assert run.workers() >= 1, "the pool's workers were not seen: the test did not stop a run in progress"
    problems = []
    if code != 128 + sig:
        problems.append(f"exit code {code}, not {128 + sig}")
    if not err.strip() or err.strip().splitlines()[-1] != stopped_line(sig.name):
        problems.append(f"stderr does not end with the stop's line: {err[-300:]!r}")
    if "Traceback" in err:
        problems.append(f"a traceback on stderr: {err[-2000:]}")
    if left := [p.name for p in work.iterdir()]:
        problems.append(f"temporary patient data left on disk: {left}")
    if left := [p.name for p in out_dir.iterdir()]:
        problems.append(f"an output or a temporary output left: {left}")
    if left := run.alive_after_grace():
        problems.append(f"processes of the stopped run still running: {[p.pid for p in left]}")
    assert not problems, "\n".join(problems)


def folders(tmp_path: Path) -> tuple[Path, Path]:
    work, out_dir = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    out_dir.mkdir()
    return work, out_dir


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "expected"),
                         [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGINT, ExitCode.INTERRUPTED)])
def test_a_signal_while_buckets_are_scored_stops_in_order(cohort_2k, tmp_path, run_panel, sig, expected):
    """SIGTERM (a scheduler, systemd, `timeout`) exits 143, SIGINT (Ctrl-C) 130, as shells report them."""
    work, out_dir = folders(tmp_path)
    run = run_panel(panel_argv(cohort_2k, out_dir, work))
    run.wait_until(scoring(work))
    code, err = run.stop(sig)
    assert_stopped_in_order(run, code, err, sig, work, out_dir)
    assert code == expected == 128 + sig


@pytest.mark.slow
def test_sigterm_during_the_bucket_pass_stops_in_order(cohort_2k, tmp_path, run_panel):
    """The pass has begun (the shared Medication file is open, the workers route blocks) and has not written its
    buckets yet (they are appended once its buffer is full or the export read: at the end, for this export)."""
    work, out_dir = folders(tmp_path)
    run = run_panel(panel_argv(cohort_2k, out_dir, work))

    def in_bucket_pass() -> bool:
        return run.workers() >= 2 and any(exists(d, "Medication.ndjson.gz") and not exists(d, "b*")
                                          for d in bucket_folders(work))

    run.wait_until(in_bucket_pass)
    code, err = run.stop(signal.SIGTERM)
    assert_stopped_in_order(run, code, err, signal.SIGTERM, work, out_dir)


@pytest.mark.slow
def test_sigterm_while_an_organised_export_is_scored_stops_in_order(organized_2k, tmp_path, run_panel):
    work, out_dir = folders(tmp_path)
    run = run_panel(panel_argv(organized_2k, out_dir, work))
    run.wait_until(lambda: run.workers() >= 2 and any(exists(d, "organized/c*-g*.ndjson")
                                                      for d in bucket_folders(work)))
    code, err = run.stop(signal.SIGTERM)
    assert_stopped_in_order(run, code, err, signal.SIGTERM, work, out_dir)


def _main(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


def test_sigterm_during_the_merge_leaves_no_output_and_keeps_the_previous_one(cohort_small, tmp_path, monkeypatch):
    """The signal arrives while the CSV and Parquet are being written (a real SIGTERM to this process, through the
    command's own handler): the previous run's complete outputs stay as they were, no partial or temporary file."""
    work, out_dir = folders(tmp_path)
    for name in OUTPUTS:
        (out_dir / name).write_text(f"previous {name}\n")
    merged = engine.merged_rows

    def merge_then_sigterm(parts: list[Path]) -> Iterator[dict]:
        for i, row in enumerate(merged(parts)):
            if i == 3:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # the handler raises before this ends
            yield row

    def not_for_the_caller(signum: int, frame: object) -> None:
        raise AssertionError("the SIGTERM reached the caller's handler: the command installed none of its own")

    monkeypatch.setattr(engine, "merged_rows", merge_then_sigterm)
    previous = signal.signal(signal.SIGTERM, not_for_the_caller)  # the caller's own (also: pytest is not killed)
    try:
        before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
        code, err = _main(panel_argv(cohort_small, out_dir, work))
        after = {s: signal.getsignal(s) for s in before}
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert code == 143 and err.strip() == stopped_line("SIGTERM"), err
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(OUTPUTS), "a temporary output was left"
    for name in OUTPUTS:
        assert (out_dir / name).read_text() == f"previous {name}\n", name
    assert not list(work.iterdir())
    assert after == before, "the caller's signal handlers were not restored"


def test_a_complete_run_moves_whole_outputs_into_place_and_leaves_no_temporary_file(cohort_small, tmp_path):
    """Also: signal handling is the command's only while it runs (the app imports `risk` and keeps its own)."""
    work, out_dir = folders(tmp_path)
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    code, err = _main(panel_argv(cohort_small, out_dir, work))
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(OUTPUTS)
    assert not list(work.iterdir())
    rows = pd.read_csv(out_dir / "panel.csv", dtype={"patient_id": str})
    assert f"wrote {len(rows)} patients" in err and len(rows) > 0
    assert len(pd.read_parquet(out_dir / "panel.parquet")) == len(rows)
    assert (out_dir / "panel.rejects.csv").read_text(encoding="utf-8").startswith("file,line,resource_type")
    assert {s: signal.getsignal(s) for s in before} == before
