"""Bytes to JSON for FHIR files, plain or gzipped, small or huge: every failure becomes one clear SourceError.

Small files are read whole and parsed with orjson (the fastest parser measured, see
shared/reference/fhir_ecosystem.md section 4). Files above `STREAM_THRESHOLD_BYTES` (uncompressed) are
streamed with ijson (yajl2 C backend), one bundle entry at a time, so a 500 MB bundle is never held whole.
Gzip is recognised by its magic bytes, whatever the file is called. Error messages name the file and the
position, never the content (a parser's excerpt of the text could be patient data).
"""

from __future__ import annotations

import gc
import gzip
import io
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from risk.errors import ExitCode, SourceError

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
STREAM_THRESHOLD_BYTES = 50_000_000  # above this (uncompressed), bundles are streamed entry by entry
_READ_BUFFER = 1 << 18
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many parsed resources pile up in memory.

    Parsed JSON holds no reference cycles, so the collector frees nothing; it would only rescan every
    live resource again and again (grouping the 449-patient export took 2.6x longer with it on).
    Never hold it across a `yield`: the caller's code would run with it paused.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def is_gzip(path: Path) -> bool:
    with _open_raw(path) as fh:
        return fh.read(2) == GZIP_MAGIC


def _open_raw(path: Path) -> IO[bytes]:
    try:
        return open(path, "rb", buffering=_READ_BUFFER)  # noqa: SIM115 (closed by callers)
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist", ExitCode.FILE_NOT_FOUND) from None
    except IsADirectoryError:
        raise SourceError(f"{path} is a folder, not a file", ExitCode.FILE_NOT_FOUND) from None
    except PermissionError:
        raise SourceError(f"{path} cannot be read: permission denied", ExitCode.FILE_NOT_FOUND) from None
    except OSError as exc:
        raise SourceError(
            f"{path} cannot be read: {exc.strerror or type(exc).__name__}", ExitCode.FILE_NOT_FOUND
        ) from None


def gzip_error(path: Path, exc: BaseException) -> SourceError:
    if isinstance(exc, EOFError):
        reason = "it is truncated"
    elif isinstance(exc, gzip.BadGzipFile):
        reason = "its header is not gzip"
    else:
        reason = "its compressed data is damaged"
    return SourceError(
        f"{path} is not a readable gzip file ({reason}): re-download or re-compress it", ExitCode.CORRUPT_GZIP
    )


def _check_gzip_name(path: Path, gzipped: bool) -> None:
    if path.name.lower().endswith(".gz") and not gzipped:
        raise SourceError(
            f"{path} is named .gz but is not gzip-compressed: rename it or compress it", ExitCode.CORRUPT_GZIP
        )


@contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    """The file's (decompressed) bytes as a stream; gzip recognised by its magic bytes."""
    raw = _open_raw(path)
    try:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        _check_gzip_name(path, gzipped)
        if gzipped:
            with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
                yield fh  # type: ignore[misc]
        else:
            yield raw
    finally:
        raw.close()


def gunzip(data: bytes) -> bytes:
    """gzip.decompress, faster: zlib checks the CRC while inflating instead of in a second pass."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data)
    except zlib.error:
        return gzip.decompress(data)  # raises the precise error (bad header, damaged data)
    if not inflater.eof:
        raise EOFError("truncated gzip")
    if inflater.unused_data.strip(b"\x00"):
        return gzip.decompress(data)  # several gzip members, concatenated
    return out


def read_bytes(path: Path) -> bytes:
    """The whole (decompressed) content; EMPTY_FILE when there is nothing but whitespace."""
    with _open_raw(path) as raw:
        data = raw.read()
    if not data or data.isspace():  # (no copy, unlike strip)
        raise SourceError(f"{path} is empty: expected a FHIR Bundle or Patient resource", ExitCode.EMPTY_FILE)
    gzipped = data[:2] == GZIP_MAGIC
    _check_gzip_name(path, gzipped)
    if gzipped:
        try:
            data = gunzip(data)
        except _GZIP_ERRORS as exc:
            raise gzip_error(path, exc) from None
        if not data or data.isspace():
            raise SourceError(
                f"{path} is empty once decompressed: expected a FHIR Bundle or Patient resource",
                ExitCode.EMPTY_FILE,
            )
    return data


def uncompressed_size(path: Path) -> int:
    """Size of the content once decompressed, cheaply estimated for gzip from its ISIZE trailer.

    ISIZE is the size modulo 2**32, so it is taken with a floor of 4x the compressed size (FHIR JSON
    compresses 10-20x): a multi-gigabyte archive is never mistaken for a small one.
    """
    size = os.path.getsize(path)
    isize = gzip_size_field(path)
    return size if isize is None else max(isize, 4 * size)


def gzip_size_field(path: Path) -> int | None:
    """gzip's ISIZE trailer (the last member's size modulo 2**32, RFC 1952 section 2.3.1); None for a file that is
    not gzip or too short to hold one."""
    if os.path.getsize(path) < 18 or not is_gzip(path):
        return None
    with _open_raw(path) as raw:
        raw.seek(-4, io.SEEK_END)
        return int.from_bytes(raw.read(4), "little")


def json_error(
    where: str, exc: orjson.JSONDecodeError, *, line: bytes | None = None, lineno: int = 0
) -> SourceError:
    """INVALID_JSON naming the place; for one NDJSON `line`, the file's line number `lineno`."""
    row, col = exc.lineno, exc.colno
    if line is not None:  # orjson counts within the line; past its end means the line was cut short
        row, col = lineno, exc.colno if exc.lineno == 1 else len(line.rstrip()) + 1
    return SourceError(
        f"invalid JSON in {where} at line {row}, column {col}: {exc.msg}", ExitCode.INVALID_JSON
    )


def loads(data: bytes, where: str) -> Any:
    """orjson.loads with a UTF-8 BOM tolerated (Windows tools write one) and errors as SourceError."""
    if data[:3] == UTF8_BOM:
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise json_error(where, exc) from None


def _yajl_reason(exc: Exception) -> str:
    """First line of a yajl message, without the excerpt of the text that follows it."""
    text = str(exc)
    if text.startswith(("b'", 'b"')):
        text = text[2:]
    return text.replace("\\n", "\n").split("\n", 1)[0].strip() or type(exc).__name__


def iter_json_items(path: Path, prefix: str) -> Iterator[Any]:
    """Stream the JSON values at `prefix` (ijson syntax, e.g. "entry.item") without reading the file whole."""
    with open_binary(path) as fh:
        try:
            yield from ijson.items(fh, prefix, use_float=True)
        except ijson.JSONError as exc:
            raise SourceError(
                f"invalid JSON in {path} (found while streaming): {_yajl_reason(exc)}", ExitCode.INVALID_JSON
            ) from None
        except _GZIP_ERRORS as exc:
            raise gzip_error(path, exc) from None


def json_header(path: Path) -> Any:
    """Top-level `resourceType` and `type` of a (possibly huge) JSON file, read without parsing `entry`.

    For JSON that is not an object, returns the value ([] for an array) so the caller can say what it is.
    Keys written after `entry` (legal, but unusual) are found by a second, C-speed pass.
    """
    header: dict[str, Any] = {}
    wanted = ("resourceType", "type")
    with open_binary(path) as fh:
        try:
            events = ijson.parse(fh, use_float=True)
            first = next(events, None)
            if first is None:
                raise SourceError(
                    f"{path} is empty: expected a FHIR Bundle or Patient resource", ExitCode.EMPTY_FILE
                )
            if first[1] != "start_map":
                return [] if first[1] == "start_array" else first[2]
            for prefix, event, value in events:
                if prefix in wanted and event == "string":
                    header[prefix] = value
                    if header.get("resourceType", "Bundle") != "Bundle" or len(header) == len(wanted):
                        break
                elif prefix == "entry" and event == "start_array":
                    break
        except ijson.JSONError as exc:
            raise SourceError(
                f"invalid JSON in {path} (found while streaming): {_yajl_reason(exc)}", ExitCode.INVALID_JSON
            ) from None
        except _GZIP_ERRORS as exc:
            raise gzip_error(path, exc) from None
    if header.get("resourceType", "Bundle") == "Bundle":
        for key in wanted:
            if key not in header:
                value = next(iter_json_items(path, key), None)
                if isinstance(value, str):
                    header[key] = value
    return header


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, line) for every non-blank line of an NDJSON file, plain or gzipped."""
    for first, lines in iter_line_blocks(path):
        for lineno, line in enumerate(lines, first):
            if not line.isspace():
                yield lineno, line


LINE_BLOCK_BYTES = 1 << 20  # read (and inflated) at a time by iter_line_blocks


def iter_line_blocks(path: Path) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, lines) for the lines of a file, plain or gzipped, a block at a time.

    The lines are exactly those of `for line in file` (split at b"\\n" only, which each keeps; blank ones
    included, never empty), so numbers and error messages are unchanged. Iterating a GzipFile costs a Python
    readline per line (half of reading a bulk export, beyond parsing it); this inflates a megabyte at a time
    and splits it in C. Anything unusual in a gzip stream (truncated, damaged, a trailer that is not another
    member) replays the file through GzipFile from the first line not yet given, so the lines given before the
    error, and the error itself, are exactly those of the line-by-line reader.
    """
    raw = _open_raw(path)
    try:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        _check_gzip_name(path, gzipped)
        blocks = _inflated_blocks(raw) if gzipped else iter(lambda: raw.read(LINE_BLOCK_BYTES), b"")
        first = 1
        pending: list[bytes] = []  # the start of a line that goes on in the next block (a huge line: many)
        try:
            for block in blocks:
                if b"\n" not in block:
                    pending.append(block)
                    continue
                lines = io.BytesIO(block).readlines()
                if pending:
                    pending.append(lines[0])
                    lines[0] = b"".join(pending)
                    pending = []
                if not lines[-1].endswith(b"\n"):
                    pending.append(lines.pop())
                yield first, lines
                first += len(lines)
        except _DamagedGzip:
            yield from _replayed(path, first)
            return
        if pending:
            yield first, [b"".join(pending)]
    finally:
        raw.close()


class _DamagedGzip(Exception):
    """The fast inflater met something it leaves to GzipFile (which words it)."""


def _inflated_blocks(raw: IO[bytes]) -> Iterator[bytes]:
    """The inflated content of a gzip stream, member after member (concatenated gzip files are one file).

    Raises _DamagedGzip for a truncated stream, damaged data, a bad check value, or bytes after a member that
    do not start another one (zero padding included: GzipFile decides whether it is allowed)."""
    inflater, fed = zlib.decompressobj(wbits=31), False
    while chunk := raw.read(_READ_BUFFER):
        while chunk:
            try:
                out = inflater.decompress(chunk, LINE_BLOCK_BYTES)  # (bounded: a gzip bomb is read in blocks)
            except zlib.error:
                raise _DamagedGzip from None
            fed = True
            if out:
                yield out
            if inflater.eof:  # the member's trailer is read: what follows is the next member, if any
                chunk = inflater.unused_data
                inflater, fed = zlib.decompressobj(wbits=31), False
            else:
                chunk = inflater.unconsumed_tail
    if fed:  # the input ended inside a member
        raise _DamagedGzip


def _replayed(path: Path, first: int) -> Iterator[tuple[int, list[bytes]]]:
    """Lines `first` onwards read line by line through GzipFile, and its error worded."""
    with open_binary(path) as fh:
        try:
            for lineno, line in enumerate(fh, 1):
                if lineno >= first:
                    yield lineno, [line]
        except _GZIP_ERRORS as exc:
            raise gzip_error(path, exc) from None
