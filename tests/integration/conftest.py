"""Fixtures of the integration tests."""

from __future__ import annotations

from typing import Any

import pytest

from risk.models.registry import LoadedModel
from tests.app_fixtures import JP, SAMPLE_AS_OF, sample_record


@pytest.fixture(scope="session")
def jp(trained_models: dict[str, LoadedModel]) -> Any:
    """Jean-Pierre Martin's PatientResult with the throwaway models (type 2 diabetes, CKD 3, lipids in g/L)."""
    from risk.assess.result import Settings, patient_result  # imported here: a broken room fails its tests only

    return patient_result(sample_record(JP), SAMPLE_AS_OF, trained_models, Settings())
