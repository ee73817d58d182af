"""`risk panel` on a bulk export with every kind of bad record (issue 13, acceptance 5): each lands in the side file
at its file and line with its reason, the run completes, the summary counts them, and the side file holds no
patient data. Also: the rows do not depend on the bucket count or the number of workers."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import shutil
from datetime import date
from pathlib import Path

import orjson
import pandas as pd
import pytest
from tqdm import tqdm

from risk.cli import main
from risk.errors import ExitCode
from risk.panel.row import row_columns
from risk.panel.screen import screen
from risk.synth import generate

AS_OF = "2025-12-31"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cohort")
    generate(n_patients=24, seed=7, out_dir=out)
    return out


def _lines(path: Path) -> int:
    return sum(1 for _ in path.open("rb"))


def _bad_export(cohort: Path, folder: Path) -> dict[str, tuple[str, int, str]]:
    """The cohort plus one bad record of each kind; returns reason -> (file, line, resource type) expected."""
    shutil.copytree(cohort, folder)
    first = orjson.loads((folder / "Patient.ndjson").open("rb").readline())
    obs = folder / "Observation.ndjson"
    n = _lines(obs)
    with obs.open("ab") as f:
        f.write(b'{"resourceType": "Observation", "id": "cut", "subject": {"reference": "Pat\n')  # n + 1
        f.write(orjson.dumps({"resourceType": "Observaton", "id": "typo"}) + b"\n")  # n + 2
        f.write(orjson.dumps({"resourceType": "Observation", "id": "o-ghost", "status": "final",
                              "subject": {"reference": "Patient/ghost"}}) + b"\n")  # n + 3
        f.write(b"[1, 2]\n")  # n + 4
    pat = folder / "Patient.ndjson"
    m = _lines(pat)
    with pat.open("ab") as f:
        f.write(orjson.dumps({"resourceType": "Patient", "id": "nobirth", "gender": "male",
                              "name": [{"family": "Sansdate"}]}) + b"\n")  # m + 1
        f.write(orjson.dumps({"resourceType": "Patient", "id": "bad id!", "gender": "female",
                              "birthDate": "1950-02-03"}) + b"\n")  # m + 2
        f.write(orjson.dumps(first) + b"\n")  # m + 3: the first patient again
    # A sub-folder, as bulk tools write them: a gzip file cut short after a good line, and the tools' log.
    sub = folder / "part2"
    sub.mkdir()
    good = orjson.dumps({"resourceType": "Observation", "id": "o-nobirth", "status": "final",
                         "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                         "subject": {"reference": "Patient/nobirth"}}) + b"\n"
    blob = gzip.compress(good + good.replace(b"o-nobirth", b"o-nobirth-2") * 2000, compresslevel=1)
    (sub / "Observation.extra.ndjson.gz").write_bytes(blob[: len(blob) // 2])
    (folder / "log.ndjson").write_text('{"not": "a resource"}\n')
    return {"invalid_json": ("Observation.ndjson", n + 1, ""),
            "unknown_resource_type": ("Observation.ndjson", n + 2, "Observaton"),
            "orphan_resource": ("Observation.ndjson", n + 3, "Observation"),
            "not_a_resource": ("Observation.ndjson", n + 4, ""),
            "patient_no_birth_date": ("Patient.ndjson", m + 1, "Patient"),
            "patient_invalid_id": ("Patient.ndjson", m + 2, "Patient"),
            "duplicate_patient": ("Patient.ndjson", m + 3, "Patient"),
            "truncated_gzip": ("part2/Observation.extra.ndjson.gz", None, "")}


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


def test_each_bad_record_is_set_aside_with_its_reason_and_the_run_completes(cohort, tmp_path):
    export = tmp_path / "export"
    expected = _bad_export(cohort, export)
    out = tmp_path / "panel.csv"
    code, err = _run(["panel", str(export), "--out", str(out), "--parquet", str(tmp_path / "panel.parquet"),
                      "--as-of", AS_OF, "--quiet", "--workers", "2"])
    assert code == 0, err
    with (tmp_path / "panel.rejects.csv").open(encoding="utf-8") as f:
        rejects = list(csv.DictReader(f))
    by_reason: dict[str, list[dict]] = {}
    for r in rejects:
        by_reason.setdefault(r["reason"], []).append(r)
    assert set(by_reason) == set(expected)
    for reason, (file, line, rtype) in expected.items():
        got = by_reason[reason]
        assert len(got) == 1, (reason, got)
        assert got[0]["file"] == file and got[0]["resource_type"] == rtype and got[0]["message"]
        if line is not None:
            assert int(got[0]["line"]) == line, reason
    assert int(by_reason["truncated_gzip"][0]["line"]) > 1  # the good lines before the damage were read
    text = (tmp_path / "panel.rejects.csv").read_text(encoding="utf-8")
    assert "Sansdate" not in text and "1950-02-03" not in text and "ghost" not in text  # no patient data
    rows = pd.read_csv(out, dtype={"patient_id": str})
    first = orjson.loads((cohort / "Patient.ndjson").open("rb").readline())["id"]
    assert first not in set(rows["patient_id"])  # duplicated: which of the two is right? not scored
    assert "nobirth" not in set(rows["patient_id"]) and list(rows.columns) == row_columns()
    assert list(rows["patient_id"]) == sorted(rows["patient_id"])
    assert f"wrote {len(rows)} patients" in err
    assert "set aside 8 records (3 patients)" in err
    for reason in expected:
        assert f"{reason} 1" in err
    assert len(pd.read_parquet(tmp_path / "panel.parquet")) == len(rows)


def test_a_run_where_every_patient_is_rejected_fails_with_its_reason(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "Patient.ndjson").write_bytes(orjson.dumps({"resourceType": "Patient", "id": "p1"}) + b"\n")
    code, err = _run(["panel", str(export), "--out", str(tmp_path / "p.csv"), "--as-of", AS_OF, "--quiet"])
    assert code == ExitCode.NO_PATIENT and "no patient of" in err and "Traceback" not in err
    assert "patient_no_birth_date" in (tmp_path / "p.rejects.csv").read_text(encoding="utf-8")


def test_the_run_shows_the_split_of_the_export_before_the_scoring(cohort, tmp_path):
    """Without --quiet: a bar of the bytes split by patient (minutes on a million patients), then the patients."""
    code, err = _run(["panel", str(cohort), "--out", str(tmp_path / "p.csv"), "--as-of", AS_OF, "--workers", "1"])
    assert code == 0, err
    size = sum(p.stat().st_size for p in cohort.rglob("*.ndjson"))
    assert "splitting export by patient" in err and "scoring panel" in err
    assert err.index("splitting export by patient") < err.index("scoring panel: 24")
    assert f"/{tqdm.format_sizeof(size)}" in err, err[:500]  # out of the export's size, in tqdm's units


def test_rows_do_not_depend_on_buckets_or_workers(cohort, tmp_path):
    """Also: the pool's workers do not hang when this process has already run shap and XGBoost (workers forked from
    such a process hung on a lock copied in its held state; they now start from a fork server). The hang depends on
    timing: a script running shap then a 200-patient panel hung every time with fork, this test not always."""
    import numpy as np
    import shap
    import xgboost as xgb

    x = np.random.default_rng(0).random((500, 4))
    shap.TreeExplainer(xgb.train({"nthread": 2}, xgb.DMatrix(x, label=x[:, 0]), num_boost_round=3)).shap_values(x)
    outputs = []
    for buckets, workers in ((1, 1), (5, 2)):
        csv_path, pq_path = tmp_path / f"{buckets}.csv", tmp_path / f"{buckets}.parquet"
        summary = screen(cohort, out_csv=csv_path, out_parquet=pq_path, rejects_path=tmp_path / "r.csv",
                         workers=workers, buckets=buckets,
                         job_args={"models_dir": None, "as_of": date(2025, 12, 31), "region": "low",
                                   "guideline_set": "esc_eas2025"})
        assert summary.buckets == buckets and summary.scored + summary.deceased == 24
        outputs.append((csv_path.read_bytes(), pq_path.read_bytes()))
    assert outputs[0] == outputs[1]


def test_the_panel_model_frame_of_each_row_is_exactly_the_patient_pages(cohort):
    """The panel slices one-row frames from the chunk (risk.features.build.model_frames); the patient page builds
    its own (row_frame): the same dtypes and values, so SHAP and what-if read the same numbers."""
    from risk.features.build import build_features, model_frames, row_frame
    from risk.features.tables import tables_from_records
    from risk.record.load import iter_records

    feats = build_features(tables_from_records(list(iter_records(cohort))), date(2025, 12, 31))
    frames = model_frames(feats)
    assert len(feats) == 24
    for i in range(len(feats)):
        pd.testing.assert_frame_equal(frames.iloc[[i]], row_frame(feats.iloc[i]), check_exact=True)


def test_a_patient_the_program_cannot_assess_is_set_aside_not_the_run(cohort, tmp_path, monkeypatch):
    """A defect met on one patient's unusual data (as the missing SCORE2-Diabetes-in-HF text was) must not stop a
    run of a million: that patient is in the side file as assessment_failed, at its Patient line."""
    import risk.assess.assessment as assessment

    real = assessment._assess_one
    lines = [orjson.loads(x) for x in (cohort / "Patient.ndjson").open("rb")]
    index = next(i for i, p in enumerate(lines) if not any(k.startswith("deceased") for k in p))  # alive
    victim = lines[index]["id"]

    def failing(snap, *args, **kwargs):  # the defect breaks the victim's chunk: the others are assessed alone
        if snap.record.patient_id == victim:
            raise KeyError("a defect")
        return real(snap, *args, **kwargs)

    monkeypatch.setattr(assessment, "_assess_one", failing)
    summary = screen(cohort, out_csv=tmp_path / "p.csv", out_parquet=None, rejects_path=tmp_path / "r.csv",
                     workers=1, job_args={"models_dir": None, "as_of": date(2025, 12, 31), "region": "low",
                                          "guideline_set": "esc_eas2025"})
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert [(r["file"], int(r["line"]), r["reason"]) for r in rows] == [
        ("Patient.ndjson", index + 1, "assessment_failed")]
    assert summary.rejects == {"assessment_failed": 1} and summary.scored + summary.deceased == 23
    assert victim not in (tmp_path / "p.csv").read_text()
