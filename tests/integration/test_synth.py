"""The synthetic cohort generator (risk.synth): determinism, the hazards seen in the simulation's hidden truth,
and the `risk synth` subcommand. The written cohort's validity and realism are in test_synth_cohort.py; the hazard
equations alone in tests/unit/test_synth_hazards.py. Targets and their sources: risk/synth/parameters.py.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from risk.synth import RESOURCE_TYPES, generate, simulate_cohort
from risk.synth.cli import register
from risk.synth.state import Ev


# --- determinism and format ---------------------------------------------------------------------------
def test_same_seed_gives_byte_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(n_patients=150, seed=3, out_dir=a)
    generate(n_patients=150, seed=3, out_dir=b)
    generate(n_patients=150, seed=4, out_dir=c)
    for rt in RESOURCE_TYPES:
        assert (a / f"{rt}.ndjson").read_bytes() == (b / f"{rt}.ndjson").read_bytes(), rt
    assert (a / "Observation.ndjson").read_bytes() != (c / "Observation.ndjson").read_bytes()


def test_gzip_output_is_deterministic_and_decompresses_to_the_plain_files(tmp_path: Path) -> None:
    generate(n_patients=80, seed=5, out_dir=tmp_path / "plain")
    generate(n_patients=80, seed=5, out_dir=tmp_path / "gz1", gzip=True)
    generate(n_patients=80, seed=5, out_dir=tmp_path / "gz2", gzip=True)
    for rt in RESOURCE_TYPES:
        z1 = (tmp_path / "gz1" / f"{rt}.ndjson.gz").read_bytes()
        assert z1 == (tmp_path / "gz2" / f"{rt}.ndjson.gz").read_bytes()
        assert gzip.decompress(z1) == (tmp_path / "plain" / f"{rt}.ndjson").read_bytes()


# --- hazards in the simulation's hidden truth ---------------------------------------------------------
@pytest.fixture(scope="module")
def truth() -> list:
    return simulate_cohort(n_patients=20_000, seed=21)


def _event_rate_by_quintile(
    histories: list, trait: str, kinds: tuple[Ev, ...], who: str = "all"
) -> np.ndarray:
    counts, years = np.zeros(5), np.zeros(5)
    for h in histories:
        pop, ev = h.pop, h.events
        value = getattr(pop, trait)
        quintile = np.searchsorted(np.quantile(value, [0.2, 0.4, 0.6, 0.8]), value)
        start = pop.activation_day
        if who == "diabetic":
            onset = np.full(pop.n, np.nan)
            sel = ev["kind"] == Ev.DX_DIABETES
            onset[ev["patient"][sel]] = ev["day"][sel]
            start = onset
        stop = h.exit_day
        at_risk = ~np.isnan(start) & (stop > start)
        hit = (
            np.isin(ev["kind"], kinds)
            & at_risk[ev["patient"]]
            & (ev["day"] >= np.nan_to_num(start)[ev["patient"]])
        )
        counts += np.bincount(quintile[ev["patient"][hit]], minlength=5)
        years += np.bincount(quintile[at_risk], weights=(stop - start)[at_risk], minlength=5)
    return counts / years


def test_high_sbp_variability_patients_have_more_cardiovascular_events(truth: list) -> None:
    rate = _event_rate_by_quintile(truth, "bpv_z", (Ev.MI, Ev.STROKE))
    assert rate[4] / rate[0] > 1.2  # ~1.1-1.2 per SD, the extreme quintiles are ~2.8 SD apart


def test_faster_hba1c_rise_means_more_diabetic_retinopathy(truth: list) -> None:
    rate = _event_rate_by_quintile(truth, "dm_drift", (Ev.RETINOPATHY,), who="diabetic")
    # > 1.1, not 1.2: since diagnosed diabetes duration also drives retinopathy (parameters section 7), it takes
    # part of the variance the HbA1c trajectory used to carry alone.
    assert rate[4] / rate[0] > 1.1


def test_fast_egfr_decliners_reach_dialysis_more_often(truth: list) -> None:
    rate = _event_rate_by_quintile(truth, "egfr_person_slope", (Ev.DIALYSIS,))
    assert rate[0] > 2 * rate[4]  # the most negative person slopes are in the first quintile


def test_qrisk3_predictors_have_their_cited_french_prevalence(truth: list) -> None:
    from risk.synth import checks
    from risk.synth import parameters as P

    total: dict[str, list[int]] = {}
    for h in truth:
        for key, (cases, people) in checks.qrisk3_prevalence(h).items():
            total.setdefault(key, [0, 0])
            total[key][0] += cases
            total[key][1] += people
    checked = 0
    for key, (cases, people) in total.items():
        name, sex = key.rsplit(" ", 1)
        target = P.QRISK3_PREVALENCE_TARGETS[name][sex == "men"]
        if target == 0.0:
            assert cases == 0, key  # erectile dysfunction: men only
        elif target * people >= 100:  # enough expected cases for the tolerance to be meaningful at 20 000
            assert abs(cases / people / target - 1) <= P.QRISK3_PREVALENCE_TOLERANCE, (key, cases / people)
            checked += 1
        else:  # rare (SLE, rheumatoid arthritis in men): present, and not far off
            assert 0 < cases / people < 3 * target, (key, cases, people)
    assert checked >= 9


def test_people_with_qrisk3_predictors_have_more_cardiovascular_events(truth: list) -> None:
    from risk.synth import parameters as P

    k = P.QRISK3_CONDITIONS.index("family_history_chd")
    counts, years = np.zeros(2), np.zeros(2)
    for h in truth:
        pop, ev = h.pop, h.events
        has = (pop.condition_onset[k] <= pop.entry_day).astype(int)
        span = np.clip(h.exit_day - pop.entry_day, 0, None)
        hit = np.isin(ev["kind"], (Ev.MI, Ev.STROKE)) & (ev["day"] >= pop.entry_day[ev["patient"]])
        counts += np.bincount(has[ev["patient"][hit]], minlength=2)
        years += np.bincount(has, weights=span, minlength=2)
    ratio = (counts[1] / years[1]) / (counts[0] / years[0])
    assert 1.3 < ratio < 2.1  # QRISK3: 1.58 (women), 1.72 (men); crude ratio, same age mix in both groups


# --- CLI ----------------------------------------------------------------------------------------------
def test_cli_synth_subcommand_writes_a_gzipped_bulk_export(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="risk")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["synth", "--patients", "40", "--seed", "9", "--out", str(tmp_path), "--gzip", "--no-progress"]
    )
    assert args.handler(args) == 0
    for rt in RESOURCE_TYPES:
        assert (tmp_path / f"{rt}.ndjson.gz").stat().st_size > 0
    summary = json.loads((tmp_path / "cohort_summary.json").read_text())
    assert summary["n_patients"] == 40 and summary["resource_counts"]["Patient"] == 40
    with pytest.raises(SystemExit):
        parser.parse_args(["synth", "--patients", "0", "--out", str(tmp_path)])


def test_shards_split_the_same_lines_over_several_gzip_files_per_type(tmp_path: Path, monkeypatch) -> None:
    """`risk synth --shard N` (issue 13): a large export is written as several files per resource type, simulation
    chunks in turn, so the lines are those of the one-file export and a patient's resources share a shard."""
    import risk.synth as synth

    monkeypatch.setattr(synth.P, "CHUNK_SIZE", 40)
    generate(n_patients=100, seed=4, out_dir=tmp_path / "one", gzip=True)
    generate(n_patients=100, seed=4, out_dir=tmp_path / "three", gzip=True, shards=3)
    for rt in RESOURCE_TYPES:
        one = gzip.decompress((tmp_path / "one" / f"{rt}.ndjson.gz").read_bytes()).splitlines()
        parts = [gzip.decompress((tmp_path / "three" / f"{rt}.{k:03d}.ndjson.gz").read_bytes()).splitlines()
                 for k in range(3)]
        assert sorted(one) == sorted(line for p in parts for line in p) and all(parts), rt
    patients = [{json.loads(x)["id"] for x in gzip.decompress(
        (tmp_path / "three" / f"Patient.{k:03d}.ndjson.gz").read_bytes()).splitlines()} for k in range(3)]
    obs = gzip.decompress((tmp_path / "three" / "Observation.001.ndjson.gz").read_bytes()).splitlines()
    assert {json.loads(x)["subject"]["reference"].split("/")[1] for x in obs} <= patients[1]
