"""The tamper-evident audit log: any edit, deletion, swap or cut tail is found and named by `risk audit verify`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from risk import audit
from risk.audit.chain import canonical, entry_hash
from risk.cli import main
from risk.errors import ExitCode
from tests.app_fixtures import JP


def _log_with(tmp_path: Path, n: int = 5) -> Path:
    log = tmp_path / "audit.log"
    for i in range(n):
        audit.record("view_patient" if i % 2 else "cds_patient_view", patient_id=f"{JP}-{i}", log=log,
                     key="k", source="iss=https://ehr.example.org tenant=t1", models={"cvd10": "1.0"},
                     shown={"score2": 0.051, "steps": "statin,bp"})
    return log


def _lines(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines(keepends=True)


def _write(log: Path, lines: list[str]) -> None:
    log.write_text("".join(lines), encoding="utf-8")


def test_each_entry_carries_sequence_previous_hash_and_its_own_sha256(tmp_path):
    log = _log_with(tmp_path, 3)
    entries = audit.read(log)
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["prev"] == "0" * 64
    assert [e["prev"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    assert all(e["hash"] == entry_hash(e) and len(e["hash"]) == 64 for e in entries)
    # canonical form: sorted keys, no whitespace, `hash` excluded
    assert canonical(entries[0]).startswith(b'{"action":"cds_patient_view"')
    assert b'"hash"' not in canonical(entries[0]) and canonical({"b": [1, 2], "a": 1}) == b'{"a":1,"b":[1,2]}'
    assert audit.verify(log).ok and audit.verify(log).entries == 3
    assert audit.read_head(log) == audit.Head(seq=3, hash=entries[-1]["hash"])


def test_verify_names_an_edited_entry(tmp_path, capsys):
    log = _log_with(tmp_path)
    lines = _lines(log)
    entry = json.loads(lines[2])
    entry["user"] = "someone.else"
    lines[2] = json.dumps(entry) + "\n"
    _write(log, lines)
    assert main(["audit", "verify", "--log", str(log)]) == ExitCode.AUDIT_TAMPERED
    err = capsys.readouterr().err
    assert "line 3" in err and "edited" in err


def test_verify_names_the_entry_after_a_deleted_one(tmp_path, capsys):
    log = _log_with(tmp_path)
    lines = _lines(log)
    del lines[1]
    _write(log, lines)
    v = audit.verify(log)
    assert not v.ok and v.line == 2 and "deleted" in v.reason
    assert main(["audit", "verify", "--log", str(log)]) == ExitCode.AUDIT_TAMPERED
    assert "line 2" in capsys.readouterr().err


def test_verify_names_swapped_entries(tmp_path):
    log = _log_with(tmp_path)
    lines = _lines(log)
    lines[1], lines[2] = lines[2], lines[1]
    _write(log, lines)
    v = audit.verify(log)
    assert not v.ok and v.line == 2 and "swapped" in v.reason


def test_an_edit_that_recomputes_its_hash_still_breaks_the_next_link(tmp_path):
    log = _log_with(tmp_path)
    lines = _lines(log)
    entry = json.loads(lines[1])
    entry["shown"] = {"score2": 0.01}
    entry["hash"] = entry_hash(entry)
    lines[1] = json.dumps(entry) + "\n"
    _write(log, lines)
    v = audit.verify(log)
    assert not v.ok and v.line == 3 and "link" in v.reason


def test_a_cut_tail_is_detected_by_the_head_checkpoint_and_by_the_next_entry(tmp_path, capsys):
    log = _log_with(tmp_path)
    _write(log, _lines(log)[:3])
    v = audit.verify(log)
    assert not v.ok and v.line is None and "cut" in v.reason
    assert main(["audit", "verify", "--log", str(log)]) == ExitCode.AUDIT_TAMPERED
    assert "tail was cut" in capsys.readouterr().err
    # the next append chains on the checkpoint, so the gap stays visible inside the file too
    audit.record("view_patient", patient_id=JP, log=log, key="k")
    v = audit.verify(log)
    assert not v.ok and v.line == 4 and "sequence 6" in v.reason


def test_a_deleted_log_with_a_checkpoint_left_is_detected(tmp_path):
    log = _log_with(tmp_path, 2)
    log.unlink()
    assert not audit.verify(log).ok


def test_verify_of_an_intact_log_prints_its_size(tmp_path, capsys):
    log = _log_with(tmp_path, 4)
    assert main(["audit", "verify", "--log", str(log)]) == ExitCode.OK
    assert "4 entries, chain intact" in capsys.readouterr().out


def test_feedback_outcome_and_reason_are_chained_and_outcomes_are_a_closed_vocabulary(tmp_path):
    log = tmp_path / "a.log"
    e = audit.record("cds_feedback", patient_id=JP, log=log, key="k", outcome="overridden",
                     reason="patient declined", source="iss=https://ehr.example.org")
    assert e["outcome"] == "overridden" and audit.verify(log).ok
    with pytest.raises(ValueError, match="unknown audit outcome"):
        audit.record("cds_feedback", log=log, key="k", outcome="ignored")


_WRITER = """
import sys
from risk import audit
for i in range(int(sys.argv[2])):
    audit.record("view_patient", patient_id=f"p{i}", user=sys.argv[3], log=sys.argv[1])
"""


def test_two_processes_appending_a_thousand_entries_each_leave_a_valid_chain(tmp_path):
    log = tmp_path / "audit.log"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(log), "1000", who]) for who in ("app", "worker")]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    v = audit.verify(log)
    assert v.ok, v.reason
    entries = audit.read(log)
    assert len(entries) == 2000 and [e["seq"] for e in entries] == list(range(1, 2001))
    assert {e["user"] for e in entries} == {"app", "worker"}
    # one key for both writers, created by whichever came first
    assert len({e["patient"] for e in entries if e["patient"] == audit.pseudonym("p0", log=log)}) == 1
    assert sum(e["patient"] == audit.pseudonym("p0", log=log) for e in entries) == 2


def test_a_micro_batch_is_appended_as_one_step_and_chains_after_single_entries(tmp_path):
    log = _log_with(tmp_path, 2)
    batch = audit.record_many([{"action": "cds_patient_view", "patient_id": f"{JP}-b{i}", "user": "Practitioner/7",
                                "source": "iss=https://ehr.example.org", "shown": {"score2": 0.04}}
                               for i in range(3)], log=log, key="k")
    assert [e["seq"] for e in batch] == [3, 4, 5]
    assert [e["seq"] for e in audit.read(log)] == [1, 2, 3, 4, 5]
    assert audit.verify(log).ok and audit.read_head(log).seq == 5
    assert all(JP not in line for line in _lines(log)), "a patient id reached the log"


def test_a_micro_batch_with_one_unknown_action_writes_nothing(tmp_path):
    log = _log_with(tmp_path, 1)
    before = _lines(log)
    with pytest.raises(ValueError, match="unknown audit action 'cds_viewed'"):
        audit.record_many([{"action": "cds_patient_view", "patient_id": "p1"},
                           {"action": "cds_viewed", "patient_id": "p2"}], log=log, key="k")
    assert _lines(log) == before and audit.verify(log).ok
