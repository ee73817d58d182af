"""The pieces of an orderly stop of `risk panel`: outputs staged beside their targets (risk.panel.staging) and the
signal scope of the command (risk.panel.stop). The stop of a real run: tests/integration/test_panel_stop.py."""

from __future__ import annotations

import os
import signal
import time

import pytest

from risk.panel.staging import staged
from risk.panel.stop import Stopped, held, stop_signals


def test_staged_outputs_appear_only_when_the_block_completes(tmp_path):
    target = tmp_path / "panel.csv"
    with staged() as staging:
        temp = staging.path(target)
        temp.write_text("whole\n")
        assert temp.parent == tmp_path and not target.exists()
    assert target.read_text() == "whole\n" and os.listdir(tmp_path) == ["panel.csv"]


def test_a_stopped_block_leaves_no_temporary_file_and_the_previous_output(tmp_path):
    target = tmp_path / "panel.csv"
    target.write_text("previous\n")
    with pytest.raises(Stopped), staged() as staging:
        staging.path(target).write_text("half")
        raise Stopped(signal.SIGTERM)
    assert target.read_text() == "previous\n" and os.listdir(tmp_path) == ["panel.csv"]


def test_sigterm_raises_stopped_in_the_scope_only_and_the_handlers_come_back():
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    with pytest.raises(Stopped) as stop, stop_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert stop.value.exit_code == 143 and stop.value.name == "SIGTERM"
    assert Stopped(signal.SIGINT).exit_code == 130
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_stop_in_a_held_section_is_raised_at_its_end_and_a_second_signal_is_ignored():
    steps = []
    with pytest.raises(Stopped), stop_signals():
        with held():
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGINT)  # a second stop: must not cut the cleanup short
            time.sleep(0.2)
            steps.append("held section completed")
        steps.append("after the section")  # not reached
    assert steps == ["held section completed"]
