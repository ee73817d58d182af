"""The panel worklist (risk.panel.worklist): statuses survive a restart, keep their history, and are checked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from risk.panel.worklist import Worklist, WorklistError


def test_worklist_status_survives_a_restart_and_keeps_its_history(tmp_path, monkeypatch):
    monkeypatch.setenv("RISK_AUDIT_LOG", str(tmp_path / "audit.log"))
    db = tmp_path / "wl.sqlite"
    Worklist(db).set_status("p1", "done", user="coordinator")
    Worklist(db).set_status("p2", "dismissed", reason="moved away")
    again = Worklist(db)  # a new process would open the same file
    st = again.statuses(["p1", "p2", "p3"])
    assert (st["p1"].status, st["p1"].user) == ("done", "coordinator")
    assert (st["p2"].status, st["p2"].reason) == ("dismissed", "moved away")
    assert st["p3"].status == "todo" and st["p3"].at is None
    again.set_status("p1", "todo")
    assert [s.status for s in again.history("p1")] == ["done", "todo"]
    assert b"p1" not in db.read_bytes()  # stored under the pseudonym


def test_worklist_dismissal_needs_a_reason_and_a_snooze_a_future_date_within_a_year(tmp_path, monkeypatch):
    monkeypatch.setenv("RISK_AUDIT_LOG", str(tmp_path / "audit.log"))
    wl = Worklist(tmp_path / "wl.sqlite")
    with pytest.raises(WorklistError, match="needs a reason"):
        wl.set_status("p", "dismissed", reason="  ")
    with pytest.raises(WorklistError, match="date after today"):
        wl.set_status("p", "snoozed", until=date.today())
    with pytest.raises(WorklistError, match="longer than 365 days"):
        wl.set_status("p", "snoozed", until=date.today() + timedelta(days=400))


def test_an_expired_snooze_reads_as_to_do_again(tmp_path, monkeypatch):
    monkeypatch.setenv("RISK_AUDIT_LOG", str(tmp_path / "audit.log"))
    wl = Worklist(tmp_path / "wl.sqlite")
    today = date(2026, 11, 28)
    wl.set_status("p", "snoozed", until=today + timedelta(days=30), today=today)
    assert wl.status("p", today=today + timedelta(days=29)).status == "snoozed"
    assert wl.status("p", today=today + timedelta(days=30)).status == "todo"
