"""The audit log (risk.audit): a keyed pseudonym, never the patient id; a closed vocabulary of actions."""

from __future__ import annotations

import pytest

from risk import audit
from tests.app_fixtures import JP


def test_audit_line_holds_a_keyed_pseudonym_never_the_patient_id(tmp_path):
    log = tmp_path / "audit.log"
    audit.record("view_patient", patient_id=JP, user="dr.house@example.org", log=log)
    audit.record("download_report_pdf", patient_id=JP, log=log)
    text = log.read_text(encoding="utf-8")
    assert JP not in text and "Martin" not in text
    lines = audit.read(log)
    assert [x["action"] for x in lines] == ["view_patient", "download_report_pdf"]
    assert lines[0]["user"] == "dr.house@example.org" and lines[1]["user"] == "anonymous"
    assert lines[0]["patient"] == lines[1]["patient"] == audit.pseudonym(JP, log=log)
    key_file = log.with_name("audit.log.key")
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    # keyed: without the key, no link back to the id
    assert audit.pseudonym(JP, log=log, key="another-key") != lines[0]["patient"]


def test_audit_refuses_an_action_outside_its_vocabulary(tmp_path):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("viewed", patient_id=JP, log=tmp_path / "a.log")
