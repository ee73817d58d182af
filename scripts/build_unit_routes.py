"""Build risk/terminology/data/unit_routes.json: the unit conversions most files need, computed once with pint.

Creating the ucumvert/pint registry takes about a second in every process that reads a value; with this table the
common units convert without it (risk.terminology.units._route), and the rest still go through pint. Each entry is
the linear route `_computed_route` gives today (factor and note, stored exactly: JSON keeps a float's repr);
tests/unit/test_units.py recomputes every entry with pint and fails if one differs.

Candidate units: every spelling of risk.terminology.units._ALIASES, each concept's canonical and display unit, the
units of a generated cohort (`risk synth`), and every Quantity unit of the sample files (read only here, never at
run time). Run from the repository root:

    .venv/bin/python scripts/build_unit_routes.py
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "risk" / "terminology" / "data" / "unit_routes.json"
SAMPLES = [ROOT / "sample_fhir", ROOT.parent / "shared" / "fhir_samples"]

sys.path.insert(0, str(ROOT))
from risk.terminology import units  # noqa: E402
from risk.terminology.concepts import MEASUREMENT_CONCEPTS  # noqa: E402


def _quantity_units(value: object) -> Iterator[str]:
    """`code` and `unit` of every Quantity-like object (a dict with a `value`) in parsed JSON."""
    if isinstance(value, dict):
        if "value" in value:
            for key in ("code", "unit"):
                if isinstance(value.get(key), str):
                    yield value[key]
        for v in value.values():
            yield from _quantity_units(v)
    elif isinstance(value, list):
        for v in value:
            yield from _quantity_units(v)


def _documents(folder: Path) -> Iterator[object]:
    for path in sorted(folder.rglob("*")):
        name = path.name.lower()
        if not path.is_file() or not name.endswith((".json", ".json.gz", ".ndjson", ".ndjson.gz")):
            continue
        data = path.read_bytes()
        data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        lines = data.splitlines() if ".ndjson" in name else [data]
        for line in lines:
            try:
                yield json.loads(line)
            except ValueError:
                continue


def candidate_units() -> set[str]:
    found = set(units._ALIASES) | set(units._ALIASES.values())
    found |= {c.unit for c in MEASUREMENT_CONCEPTS.values()} | {c.display_unit for c in MEASUREMENT_CONCEPTS.values()}
    from risk.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(n_patients=300, seed=11, out_dir=Path(tmp), progress=False)
        folders = [Path(tmp), *SAMPLES]
        for folder in folders:
            if folder.is_dir():
                for doc in _documents(folder):
                    found.update(_quantity_units(doc))
    return {u for u in found if u.strip()}


def main() -> None:
    candidates = sorted(candidate_units())
    routes: dict[str, dict[str, list]] = {}
    for concept, spec in sorted(MEASUREMENT_CONCEPTS.items()):
        if not spec.numeric:
            continue
        for unit in candidates:
            route = units._computed_route(concept, unit)
            if route.factor is not None and route.to_canonical is not None:
                routes.setdefault(concept, {})[unit] = [route.factor, route.note]
    doc = {
        "_about": {
            "description": "Linear unit routes (concept -> unit -> [factor to the canonical unit, note]) computed "
                           "with pint by risk.terminology.units._computed_route; read instead of creating the "
                           "ucumvert registry. Checked against pint by tests/unit/test_units.py.",
            "generated_by": "scripts/build_unit_routes.py",
        },
        "routes": routes,
    }
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{sum(len(v) for v in routes.values())} routes for {len(routes)} concepts -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
