"""Where the tests find the repository, its sample patients and the shared folder beside it (one place, so a test
file can move between tests/unit, tests/integration and tests/e2e without counting parent folders)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_fhir"  # the 15 French sample patients (sample_fhir/README.md) and a few Synthea ones
SHARED = REPO.parent / "shared"  # reference data and public samples, beside the repository (not in it)


def script_module(relative: str) -> ModuleType:
    """A repository script (e.g. "validation/nafld.py") loaded as a module, without running its __main__ block."""
    spec = importlib.util.spec_from_file_location(Path(relative).stem + "_script", REPO / relative)
    assert spec is not None and spec.loader is not None, relative
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
