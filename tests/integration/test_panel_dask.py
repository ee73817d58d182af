"""`risk panel --engine dask` on a local Dask cluster gives the same bytes as the local process pool (issue 13,
acceptance 1): buckets are independent tasks and the rows are merged in patient-id order."""

from __future__ import annotations

import contextlib
import io

import pytest

from risk.cli import main
from risk.errors import ExitCode, RiskError
from risk.panel.engine import check_scheduler
from risk.synth import generate

AS_OF = "2025-12-31"


def _panel(argv: list[str]) -> str:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    assert code == 0, err.getvalue()
    return err.getvalue()


@pytest.mark.slow
def test_dask_local_cluster_gives_byte_identical_csv_and_parquet_to_the_local_engine(tmp_path):
    from dask.distributed import Client, LocalCluster

    cohort = tmp_path / "cohort"
    generate(n_patients=2000, seed=13, out_dir=cohort)
    local = _panel(["panel", str(cohort), "--out", str(tmp_path / "local.csv"), "--parquet",
                    str(tmp_path / "local.parquet"), "--as-of", AS_OF, "--quiet", "--workers", "2"])
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster):
        remote = _panel(["panel", str(cohort), "--out", str(tmp_path / "dask.csv"), "--parquet",
                         str(tmp_path / "dask.parquet"), "--as-of", AS_OF, "--quiet", "--engine", "dask",
                         "--scheduler", cluster.scheduler_address])
    csv_local = (tmp_path / "local.csv").read_bytes()
    assert csv_local.count(b"\n") > 1500  # the living patients of 2,000, one row each
    assert (tmp_path / "dask.csv").read_bytes() == csv_local
    assert (tmp_path / "dask.parquet").read_bytes() == (tmp_path / "local.parquet").read_bytes()
    def same(text: str) -> str:  # the summary (counts per category, gap, reject) names its own files
        return text.replace("local", "OUT").replace("dask", "OUT")

    assert same(local) == same(remote) and "wrote" in local


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "tcp://scheduler.example.org:8786", "10.0.0.5:8786"])
def test_a_remote_scheduler_is_refused_unless_over_tls(address):
    with pytest.raises(RiskError) as err:
        check_scheduler(address)
    assert err.value.code == ExitCode.USAGE and "tls://" in err.value.message


@pytest.mark.parametrize("address", ["tls://scheduler.example.org:8786", "tcp://127.0.0.1:8786", "tcp://[::1]:1"])
def test_tls_or_this_machine_is_accepted(address):
    check_scheduler(address)
