"""Fixtures shared by the app tests: throwaway trained models, an isolated app environment, the sample patients."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from risk.models.registry import LoadedModel, load_all
from risk.record import PatientRecord
from risk.record.load import iter_records
from tests.paths import REPO, SAMPLES, SHARED  # noqa: F401 (re-exported: tests import them from here too)
from tests.synthetic_models import train_throwaway_models

CACHE = REPO / "test-artifacts" / "throwaway-models"


def _cache_key() -> str:
    """Changes when the cohort, the training code or XGBoost change (then the models are trained again)."""
    import hashlib

    import xgboost

    h = hashlib.sha256(xgboost.__version__.encode())
    for path in (REPO / "tests" / "synthetic_models.py", REPO / "risk" / "models" / "train.py",
                 REPO / "risk" / "models" / "registry.py", *sorted((REPO / "risk" / "features").glob("*.py"))):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def trained_models_dir() -> Path:
    """cvd10 and retinopathy5 trained on the generated cohort, kept in test-artifacts/ between test sessions."""
    folder = CACHE / _cache_key()
    if not (folder / "cvd10" / "SHA256SUMS").is_file() or not (folder / "retinopathy5" / "SHA256SUMS").is_file():
        tmp = folder.with_name(folder.name + ".tmp")
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        train_throwaway_models(tmp)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return folder


@pytest.fixture(scope="session")
def trained_models(trained_models_dir: Path) -> dict[str, LoadedModel]:
    return load_all(trained_models_dir)


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, trained_models_dir: Path) -> Path:
    """The app's environment: trained models, French, audit log and worklist in a temporary folder."""
    monkeypatch.setenv("RISK_MODELS_DIR", str(trained_models_dir))
    monkeypatch.setenv("RISK_LANG", "fr")
    monkeypatch.setenv("RISK_AUDIT_LOG", str(tmp_path / "audit.log"))
    monkeypatch.setenv("RISK_WORKLIST_DB", str(tmp_path / "worklist.sqlite"))
    monkeypatch.setenv("RISK_BULK_DIRS", str(tmp_path / "bulk"))
    (tmp_path / "bulk").mkdir()
    return tmp_path


JP = "fr-jean-pierre-martin"  # type 2 diabetes, CKD 3, lipids in g/L (sample_fhir/README.md)
SAMPLE_AS_OF = date(2026, 11, 28)  # an index date after every sample's last data


def sample_record(pid: str) -> PatientRecord:
    """One of the sample patients of sample_fhir/, read through the FHIR reader."""
    return next(iter_records(SAMPLES, pid))
