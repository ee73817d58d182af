"""NDJSON lines read a block at a time are the lines of the line-by-line reader (issue 13: reading made faster).

`risk.fhir.reading.iter_line_blocks` inflates gzip a megabyte at a time and splits the lines itself; whatever the
file holds (blank lines, CRLF, a BOM, no final newline, a line longer than a block, several gzip members, a
truncated or damaged stream, padding), it must give the lines, their numbers and the error of iterating a GzipFile.
Blocks are made tiny here so that lines and gzip members cross them.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk.errors import ExitCode, SourceError
from risk.fhir import reading
from risk.fhir.ndjson import NdjsonSource
from risk.fhir.reading import _GZIP_ERRORS, gzip_error, iter_lines, open_binary


def line_by_line(path: Path) -> Iterator[tuple[int, bytes]]:
    """The reader before issue 13's change: `for line in GzipFile`, blank lines skipped."""
    with open_binary(path) as fh:
        try:
            for lineno, line in enumerate(fh, 1):
                if line and not line.isspace():
                    yield lineno, line
        except _GZIP_ERRORS as exc:
            raise gzip_error(path, exc) from None


def outcome(lines: Iterator[tuple[int, bytes]]) -> list:
    """Every (number, line) given, then the error message if it stopped on one."""
    got: list = []
    try:
        got.extend(lines)
    except SourceError as exc:
        got.append(("error", exc.code, str(exc)))
    return got


@pytest.fixture
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(reading, "LINE_BLOCK_BYTES", 16)
    monkeypatch.setattr(reading, "_READ_BUFFER", 7)


LINES = st.lists(st.sampled_from([
    b'{"resourceType":"Observation","id":"o1"}\n', b'{"resourceType":"Patient","id":"p1"}\r\n', b"\n", b"  \r\n",
    b'\xef\xbb\xbf{"resourceType":"Patient","id":"p2"}\n', b'{"resourceType":"Condition","id":"' + b"x" * 300 + b'"}\n',
    b"a\rb\r", b"\t\n",
]), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES, final_newline=st.booleans(), members=st.integers(1, 3), gz=st.booleans(),
       damage=st.sampled_from(["none", "truncated", "zero padding", "garbage after", "bad crc", "flipped byte"]))
def test_the_lines_are_those_of_the_line_by_line_reader(tmp_path_factory, tiny_blocks, lines, final_newline, members,
                                                        gz, damage):
    data = b"".join(lines)
    if not final_newline:
        data = data.rstrip(b"\n")
    if gz:
        step = max(1, len(data) // members)
        content = b"".join(gzip.compress(data[i:i + step]) for i in range(0, max(len(data), 1), step))
        if damage == "truncated":
            content = content[:max(2, len(content) * 2 // 3)]
        elif damage == "zero padding":
            content += b"\x00" * 5
        elif damage == "garbage after":
            content += b"not gzip"
        elif damage == "bad crc":
            content = content[:-8] + bytes(4) + content[-4:]
        elif damage == "flipped byte" and len(content) > 20:
            content = content[:15] + bytes([content[15] ^ 0x55]) + content[16:]
    else:
        content = data
    path = tmp_path_factory.mktemp("lines") / ("Observation.ndjson.gz" if gz else "Observation.ndjson")
    path.write_bytes(content)
    expected, got = outcome(line_by_line(path)), outcome(iter_lines(path))
    if damage == "flipped byte" and expected and expected[-1][0] == "error":
        # Damaged data inflates to garbage until zlib notices: how much of it either reader gives first depends on
        # its buffer sizes. The error is the same.
        assert got[-1] == expected[-1]
    else:
        assert got == expected


def test_a_line_longer_than_many_blocks_is_one_line(tmp_path, tiny_blocks):
    huge = b'{"resourceType":"Patient","id":"p1","note":"' + b"y" * 5000 + b'"}\n'
    (tmp_path / "Patient.ndjson.gz").write_bytes(gzip.compress(b"\n" + huge + huge.rstrip()))
    assert list(iter_lines(tmp_path / "Patient.ndjson.gz")) == [(2, huge), (3, huge.rstrip())]


def test_invalid_json_after_a_block_boundary_gives_the_file_s_line_number(tmp_path, tiny_blocks):
    lines = [b'{"resourceType":"Patient","id":"p%d"}\n' % i for i in range(40)]
    lines[33] = b'{"resourceType":"Patient",\n'
    (tmp_path / "Patient.ndjson.gz").write_bytes(gzip.compress(b"".join(lines)))
    with pytest.raises(SourceError) as err:
        list(NdjsonSource(tmp_path).iter_unlinked())
    assert err.value.code == ExitCode.INVALID_JSON
    assert f"{tmp_path / 'Patient.ndjson.gz'} at line 34, column 27" in str(err.value)


def test_a_truncated_member_after_whole_ones_is_truncated(tmp_path, tiny_blocks):
    first = gzip.compress(b'{"resourceType":"Patient","id":"p1"}\n')
    second = gzip.compress(b'{"resourceType":"Patient","id":"p2"}\n' * 20)
    (tmp_path / "Patient.ndjson.gz").write_bytes(first + second[: len(second) // 2])
    got = outcome(iter_lines(tmp_path / "Patient.ndjson.gz"))
    assert got[0] == (1, b'{"resourceType":"Patient","id":"p1"}\n')
    assert got[-1][1] == ExitCode.CORRUPT_GZIP and "(it is truncated)" in got[-1][2]
    assert got == outcome(line_by_line(tmp_path / "Patient.ndjson.gz"))
