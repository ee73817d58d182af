"""`risk panel` memory does not grow with the export (issue 13, acceptance 2): peak RSS on 20,000 generated
patients stays within 1.25x of the peak on 2,000. A memory check, not a timing: each run is a fresh process tree
(`risk panel` and its two pool workers), measured by a wrapper process's RUSAGE_CHILDREN (the largest resident
set of any process of the run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from risk.synth import generate

WRAPPER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if code.returncode:
    sys.exit(code.stderr.decode()[-2000:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_kb(source: Path, out: Path) -> int:
    cmd = [sys.executable, "-c", "import sys; from risk.cli import main; sys.exit(main(sys.argv[1:]))",
           "panel", str(source), "--out", str(out), "--as-of", "2025-12-31", "--quiet", "--workers", "2"]
    done = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


@pytest.mark.slow
def test_peak_memory_of_a_20k_panel_stays_within_1_25x_of_a_2k_panel(tmp_path):
    peaks = {}
    for n in (2_000, 20_000):
        cohort = tmp_path / f"c{n}"
        generate(n_patients=n, seed=5, out_dir=cohort, gzip=True)
        peaks[n] = peak_rss_kb(cohort, tmp_path / f"p{n}.csv")
        assert sum(1 for _ in (tmp_path / f"p{n}.csv").open()) > 0.7 * n  # the run scored the cohort
    print(f"peak RSS: 2k {peaks[2_000] / 1024:.0f} MB, 20k {peaks[20_000] / 1024:.0f} MB")
    assert peaks[20_000] <= 1.25 * peaks[2_000], peaks
