"""Shared test fixtures."""

from tests.conftest_server import FhirTestServer, fhir_server  # noqa: F401 (pytest fixture)
