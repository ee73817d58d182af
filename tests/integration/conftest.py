"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest

from risk.assess.assessment import Assessment, assess
from risk.assess.snapshot import snapshot
from risk.models.registry import LoadedModel
from tests.app_fixtures import JP, SAMPLE_AS_OF, sample_record


@pytest.fixture(scope="session")
def jp(trained_models: dict[str, LoadedModel]) -> Assessment:
    """Jean-Pierre Martin's Assessment with the throwaway models (type 2 diabetes, CKD 3, lipids in g/L)."""
    return assess(snapshot(sample_record(JP), SAMPLE_AS_OF), trained_models)
