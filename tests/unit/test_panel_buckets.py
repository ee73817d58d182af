"""The bucket pass of `risk panel` (risk.panel.buckets): the export is read in blocks and routed on a pool of
processes, yet every bucket, line order and reject is the one a line-by-line reading in one process gives."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from risk.panel import buckets
from risk.panel.buckets import Bucket, export_files, iter_blocks, partition
from risk.panel.engine import bucket_rejects
from risk.panel.rejects import Reject


def _patient(pid: str, **extra: object) -> bytes:
    return orjson.dumps({"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1950-02-03",
                         **extra})


def _obs(oid: str, pid: str) -> bytes:
    return orjson.dumps({"resourceType": "Observation", "id": oid, "status": "final",
                         "subject": {"reference": f"Patient/{pid}"}})


def _export(folder: Path) -> None:
    """Twelve patients and their observations, with every kind of line a reader meets in the wild."""
    folder.mkdir()
    patients = [_patient(f"p{i}") for i in range(12)]
    patients += [_patient("p3"), _patient("bad id!"), orjson.dumps({"resourceType": "Patient", "id": "nobirth",
                                                                   "gender": "male"})]
    (folder / "Patient.ndjson").write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(patients))  # BOM, CRLF, no last newline
    obs = [_obs(f"o{i}", f"p{i % 12}") for i in range(600)]
    obs[100:100] = [b"", b"   ", b'{"resourceType": "Observation", "id": "cut', orjson.dumps([1, 2]),
                    orjson.dumps({"resourceType": "Observaton"}), _obs("o-ghost", "ghost"), _obs("o-nb", "nobirth")]
    (folder / "Observation.ndjson").write_bytes(b"\n".join(obs) + b"\n")
    blob = gzip.compress(b"".join(_obs(f"z{i}", f"p{i % 12}") + b"\n" for i in range(3000)), compresslevel=1)
    (folder / "sub").mkdir()
    (folder / "sub" / "Observation.cut.ndjson.gz").write_bytes(blob[: len(blob) * 2 // 3])  # truncated
    (folder / "Condition.ndjson.gz").write_bytes(b"not gzip")
    (folder / "Medication.ndjson").write_bytes(orjson.dumps({"resourceType": "Medication", "id": "m1"}) + b"\n")


def _contents(work: Path) -> dict[str, bytes]:
    return {str(p.relative_to(work)): gzip.decompress(p.read_bytes())
            for p in sorted(work.rglob("*.gz")) if not p.is_symlink()}


@pytest.fixture
def export(tmp_path: Path) -> Path:
    _export(tmp_path / "export")
    return tmp_path / "export"


def test_blocks_cut_at_line_ends_number_lines_as_a_line_by_line_reading(export, monkeypatch):
    monkeypatch.setattr(buckets, "BLOCK_BYTES", 1000)
    path = export / "Observation.ndjson"
    got = list(iter_blocks(path, path.name))
    assert len(got) > 10 and b"".join(b for _, b in got) == path.read_bytes()
    line = 1
    for first, block in got:
        assert first == line and block.endswith(b"\n")
        line += block.count(b"\n")


def test_a_truncated_gzip_keeps_its_whole_lines_and_is_rejected_where_a_line_by_line_reading_stops(export,
                                                                                                 monkeypatch):
    monkeypatch.setattr(buckets, "BLOCK_BYTES", 5000)
    path = export / "sub" / "Observation.cut.ndjson.gz"
    lines: list[bytes] = []
    with pytest.raises(EOFError), gzip.open(path, "rb") as fh:
        lines.extend(fh)
    got = list(iter_blocks(path, "cut"))
    assert got[-1] == Reject(file="cut", line=len(lines) + 1, resource_type="", reason="truncated_gzip")
    assert b"".join(b for _, b in got[:-1]) == b"".join(lines)
    assert list(iter_blocks(export / "Condition.ndjson.gz", "c")) == [
        Reject(file="c", line=0, resource_type="", reason="truncated_gzip")]  # named .gz, not gzip


def test_buckets_and_rejects_do_not_depend_on_block_size_or_processes(export, tmp_path, monkeypatch):
    one = partition(export, tmp_path / "one", k=5, workers=1)
    monkeypatch.setattr(buckets, "BLOCK_BYTES", 700)
    two = partition(export, tmp_path / "two", k=5, workers=2)
    assert one.rejects == two.rejects and one.lines == two.lines and one.files == two.files
    assert [b.index for b in one.buckets] == [b.index for b in two.buckets]
    assert _contents(tmp_path / "one") == _contents(tmp_path / "two")
    reasons = {(r.file, r.reason) for r in one.rejects}
    assert reasons == {("Observation.ndjson", "invalid_json"), ("Observation.ndjson", "not_a_resource"),
                       ("Observation.ndjson", "unknown_resource_type"), ("Patient.ndjson", "patient_invalid_id"),
                       ("Patient.ndjson", "patient_no_birth_date"), ("Condition.ndjson.gz", "truncated_gzip"),
                       ("sub/Observation.cut.ndjson.gz", "truncated_gzip")}
    assert [r.line for r in one.rejects if r.file == "Observation.ndjson"] == [103, 104, 105]


def test_each_line_lands_once_in_its_patients_bucket_in_export_order(export, tmp_path):
    part = partition(export, tmp_path / "work", k=3)
    data = b"".join(gzip.decompress((b.folder / buckets.DATA_FILE).read_bytes()) for b in part.buckets)
    resources = [orjson.loads(x) for x in data.splitlines()]
    assert sum(r["resourceType"] == "Patient" for r in resources) == 14  # 12, a duplicate and the one born when?
    for b in part.buckets:
        ids = [orjson.loads(x)["id"] for x in gzip.decompress((b.folder / buckets.DATA_FILE).read_bytes()).split()]
        obs = [int(i[1:]) for i in ids if i.startswith("o") and i[1:].isdigit()]
        assert obs == sorted(obs)
    assert gzip.decompress((tmp_path / "work" / buckets.SHARED_FILE).read_bytes()).count(b'"m1"') == 1


def test_bucket_rejects_find_duplicates_and_orphans_at_their_export_line(export, tmp_path):
    part = partition(export, tmp_path / "work", k=1)
    (bucket,) = part.buckets
    duplicates, rejects, where = bucket_rejects(bucket, part.files)
    assert duplicates == {"p3"}
    assert rejects == [Reject(file="Patient.ndjson", line=13, resource_type="Patient", reason="duplicate_patient"),
                       Reject(file="Observation.ndjson", line=106, resource_type="Observation",
                              reason="orphan_resource")]
    assert where["p3"] == ("Patient.ndjson", 4) and where["nobirth"] == ("Patient.ndjson", 15)


def test_a_bucket_without_patients_makes_every_line_an_orphan(tmp_path):
    folder = tmp_path / "b0000"
    folder.mkdir()
    (folder / buckets.ORIGINS_FILE).write_bytes(gzip.compress(b"0\t1\tObservation\tx\n0\t2\tCondition\ty\n"))
    rejects = bucket_rejects(Bucket(index=0, folder=folder), ("Obs.ndjson",))[1]
    assert [(r.line, r.resource_type, r.reason) for r in rejects] == [(1, "Observation", "orphan_resource"),
                                                                     (2, "Condition", "orphan_resource")]


def test_export_files_skip_the_log(export):
    (export / "log.ndjson").write_text("{}\n")
    assert "log.ndjson" not in {p.name for p in export_files(export)}


def _observations(n: int) -> bytes:
    return b"".join(orjson.dumps({"resourceType": "Observation", "id": f"o{i}", "status": "final",
                                  "subject": {"reference": f"Patient/p{i % 500}"},
                                  "valueQuantity": {"value": i % 200, "unit": "mg/dL"}}) + b"\n" for i in range(n))


def test_a_gzip_file_past_4_gib_is_sized_from_its_own_ratio_not_its_wrapped_size_field(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """gzip stores the size modulo 4 GiB: a wrapped size field must not shrink the bucket count, or each bucket
    (and each worker's memory) grows with the export (1M patients: 6x the intended size). The modulus is made
    small here so that a test file wraps it several times, as a 80 GB Observation file wraps 4 GiB."""
    content = _observations(20_000)
    monkeypatch.setattr(buckets, "ISIZE_MODULUS", 1 << 20)
    assert len(content) > 2 << 20  # wraps the (test) modulus twice
    path = tmp_path / "Observation.ndjson.gz"
    path.write_bytes(gzip.compress(content, compresslevel=1))  # its size field: len(content) % 2**32
    assert buckets.export_size(path) == len(content)
    monkeypatch.setattr(buckets, "BUCKET_BYTES", -(-len(content) // 4))
    assert buckets.bucket_count([path]) == 4


def test_an_ordinary_gzip_file_is_sized_exactly_so_a_small_export_gets_few_buckets(tmp_path: Path):
    """Under 4 GiB / 1032 compressed, the size field is exact: no ratio guess that would split a practice's
    export into needlessly many buckets (30:1 on level-1 files gave the Synthea x10 replica 77 buckets, not 27)."""
    content = _observations(5_000)
    path = tmp_path / "Observation.ndjson.gz"
    path.write_bytes(gzip.compress(content, compresslevel=1))
    assert buckets.export_size(path) == len(content)
    plain = path.with_name("Observation.ndjson")
    plain.write_bytes(content)
    assert buckets.export_size(plain) == len(content)
    assert buckets.bucket_count([path, plain]) == -(-2 * len(content) // buckets.BUCKET_BYTES) == 1


def test_the_sampled_ratio_follows_gzip_members_and_survives_a_damaged_file(tmp_path: Path):
    content = _observations(2_000)
    members = tmp_path / "Observation.ndjson.gz"
    members.write_bytes(b"".join(gzip.compress(content[i:i + 50_000], compresslevel=1)
                                 for i in range(0, len(content), 50_000)))
    whole = len(content) / members.stat().st_size
    assert buckets.sampled_ratio(members) == pytest.approx(whole, rel=0.02)
    damaged = tmp_path / "Damaged.ndjson.gz"
    damaged.write_bytes(b"\x1f\x8b" + b"\x00" * 100)
    assert buckets.sampled_ratio(damaged) == buckets.GZIP_RATIO


def test_the_pass_reports_every_byte_it_splits_against_the_export_size(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    """The progress a coordinator watches while a million patients are split (minutes before the first score)."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Patient.ndjson").write_bytes(b"\n".join(_patient(f"p{i}") for i in range(30)) + b"\n")
    content = b"".join(_obs(f"o{i}", f"p{i % 30}") + b"\n" for i in range(2000))
    (folder / "Observation.ndjson.gz").write_bytes(gzip.compress(content, compresslevel=1))
    monkeypatch.setattr(buckets, "BLOCK_BYTES", 5000)
    reports: list[tuple[int, int]] = []
    partition(folder, tmp_path / "work", k=3, on_read=lambda n, total: reports.append((n, total)))
    size = (folder / "Patient.ndjson").stat().st_size + len(content)
    assert len(reports) > 10
    assert sum(n for n, _ in reports) == size
    assert {total for _, total in reports} == {size}
