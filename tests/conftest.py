"""Shared test fixtures, and each test's kind from its folder.

- tests/unit: pure functions, fast: no subprocess, no Streamlit AppTest, no server, no browser, no trained models.
- tests/integration: several stages together: the CLI, AppTest pages, the FHIR server, training, the sample patients
  through the whole pipeline.
- tests/e2e: a real browser (Playwright + chromium), and end-to-end runs over a full sample set.

Every test gets the marker of its folder (`unit`, `integration`, `e2e`); `server`, `browser` and `slow` are set in the
test files. Development loop: `pytest -m "not slow and not server and not browser"`. CI: `pytest`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_fixtures import app_env, trained_models, trained_models_dir  # noqa: F401 (pytest fixtures)
from tests.conftest_server import FhirTestServer, fhir_server  # noqa: F401 (pytest fixture)

TESTS = Path(__file__).resolve().parent
KINDS = ("unit", "integration", "e2e")
# A unit test that needs one of these is an integration test: it trains models, starts a server or runs the app.
NOT_FOR_UNIT_TESTS = frozenset({"trained_models", "trained_models_dir", "app_env", "fhir_server"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    misplaced: list[str] = []
    for item in items:
        try:
            kind = item.path.resolve().relative_to(TESTS).parts[0]
        except ValueError:
            continue  # not under tests/ (e.g. a doctest module given on the command line)
        if kind not in KINDS:
            misplaced.append(f"{item.nodeid}: put it in tests/unit, tests/integration or tests/e2e")
            continue
        item.add_marker(getattr(pytest.mark, kind))
        if kind == "unit" and (heavy := NOT_FOR_UNIT_TESTS & set(item.fixturenames)):
            misplaced.append(f"{item.nodeid}: uses {', '.join(sorted(heavy))}, so it belongs in tests/integration")
    if misplaced:
        raise pytest.UsageError("tests in the wrong folder:\n  " + "\n  ".join(misplaced))
