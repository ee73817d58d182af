"""FHIR sources against a plain orjson load of the same files (issue 2: ingest at most 3x that floor).

    python benchmarks/sources.py                 # the 449 SMART bundles and their NDJSON, best of 3
    python benchmarks/sources.py --large 500     # stream a generated 500 MB bundle; time and peak RSS

The floor reads each file, gunzips it and parses it with orjson, keeping nothing. Times are CPU seconds
of this process, best of `--repeat` runs (the machine is shared), and include gunzip.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from risk.fhir.bundle import BundleFileSource, BundleFolderSource  # noqa: E402
from risk.fhir.ndjson import NdjsonSource  # noqa: E402

SMART = Path(__file__).resolve().parents[2] / "shared" / "fhir_samples" / "smart-generated-sample-data-r4"


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """Best CPU time of this process over `repeat` runs (wall time swings with the other jobs here)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times)


def orjson_bundles(files: list[Path]) -> None:
    for path in files:
        orjson.loads(gzip.decompress(path.read_bytes()))


def orjson_ndjson(files: list[Path]) -> None:
    for path in files:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                orjson.loads(line)


def drain(iterator: object) -> None:
    for _ in iterator:  # type: ignore[attr-defined]
        pass


def sample_benchmarks(repeat: int) -> None:
    bundle_files = sorted((SMART / "bundles_gz").glob("*.json.gz"))
    ndjson_files = sorted((SMART / "ndjson").glob("*.ndjson.gz"))
    gz_mb = sum(p.stat().st_size for p in bundle_files) / 1e6
    print(f"{len(bundle_files)} bundles ({gz_mb:.0f} MB gzipped), best of {repeat}")
    floor = best_of(repeat, lambda: orjson_bundles(bundle_files))
    rows = [
        ("bundles: orjson floor (gunzip + loads)", floor, floor),
        (
            "bundles: BundleFolderSource.iter_patients",
            best_of(repeat, lambda: drain(BundleFolderSource(SMART / "bundles_gz").iter_patients())),
            floor,
        ),
        (
            "bundles: BundleFolderSource.iter_resources",
            best_of(repeat, lambda: drain(BundleFolderSource(SMART / "bundles_gz").iter_resources())),
            floor,
        ),
        (
            "bundles: patient_ids (first entries only)",
            best_of(repeat, lambda: BundleFolderSource(SMART / "bundles_gz").patient_ids()),
            floor,
        ),
    ]
    nd_floor = best_of(repeat, lambda: orjson_ndjson(ndjson_files))
    rows += [
        ("ndjson: orjson floor (gunzip + loads per line)", nd_floor, nd_floor),
        (
            "ndjson: NdjsonSource.iter_resources",
            best_of(repeat, lambda: drain(NdjsonSource(SMART / "ndjson").iter_resources())),
            nd_floor,
        ),
        (
            "ndjson: NdjsonSource.iter_patients",
            best_of(repeat, lambda: drain(NdjsonSource(SMART / "ndjson").iter_patients())),
            nd_floor,
        ),
    ]
    for name, seconds, base in rows:
        print(f"  {name:<50} {seconds:7.2f} s CPU  {seconds / base:5.2f}x floor")


def large_benchmark(megabytes: int) -> None:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "subject": {"reference": "urn:uuid:big-1"},
        "effectiveDateTime": "2020-01-01T10:00:00+00:00",
        "valueQuantity": {
            "value": 128.5,
            "unit": "mm[Hg]",
            "system": "http://unitsofmeasure.org",
            "code": "mm[Hg]",
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.json"
        with path.open("wb") as fh:  # written piece by piece: the generator itself must not hold it
            fh.write(
                b'{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:big-1",'
                b'"resource":{"resourceType":"Patient","id":"big-1","birthDate":"1950-06-01"}}'
            )
            i = 0
            while fh.tell() < megabytes * 1_000_000:
                chunk = b"".join(
                    b',{"fullUrl":"urn:uuid:o%d","resource":' % (i + k)
                    + orjson.dumps({**observation, "id": f"o{i + k}"})
                    + b"}"
                    for k in range(10_000)
                )
                fh.write(chunk)
                i += 10_000
            fh.write(b"]}")
        size = path.stat().st_size
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        source = BundleFileSource(path)
        start = time.perf_counter()
        count = sum(1 for _ in source.iter_resources())
        seconds = time.perf_counter() - start
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        mb = size / 1e6
        print(f"streamed {mb:.0f} MB ({count} resources, streamed={source.streamed}) in {seconds:.1f} s")
        print(f"= {mb / seconds:.0f} MB/s; peak RSS {rss_before:.0f} MB before, {rss_after:.0f} MB after")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--large", type=int, metavar="MB", help="stream a generated bundle of this size instead"
    )
    args = parser.parse_args()
    if args.large:
        large_benchmark(args.large)
    else:
        sample_benchmarks(args.repeat)


if __name__ == "__main__":
    main()
