"""Shared test fixtures."""

from tests.app_fixtures import app_env, trained_models, trained_models_dir  # noqa: F401,E402 (pytest fixtures)
from tests.conftest_server import FhirTestServer, fhir_server  # noqa: F401 (pytest fixture)
