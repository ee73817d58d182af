"""Deployment settings, read once by the faces (CLI, app) and passed down as arguments.

Every environment variable the product honours is read here and nowhere else, so a library function never
changes behaviour mid-pipeline because of the environment. Secrets (the FHIR bearer token, the audit key) are
kept out of `repr` so that they cannot reach a log line by accident.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from risk.errors import ExitCode, RiskError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODELS_DIR = REPO_ROOT / "models"  # the bundled, versioned model artefacts
LANGS = ("fr", "en")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a deployment chooses. Defaults suit French primary care (ESC low-risk region, French first)."""

    lang: str = "fr"  # RISK_LANG
    region: str = "low"  # RISK_REGION: ESC SCORE2 region (France: low)
    # RISK_GUIDELINES: current ESC set (ESC 2024 hypertension, ESC/EAS 2025 lipid update); "esc2021" selectable
    guideline_set: str = "esc_eas2025"
    models_dir: Path = DEFAULT_MODELS_DIR  # RISK_MODELS_DIR
    sample_dir: Path = REPO_ROOT / "sample_fhir"  # RISK_SAMPLE_DIR
    upload_max_mb: int = 20  # RISK_UPLOAD_MAX_MB
    bulk_roots: tuple[Path, ...] = field(default=(REPO_ROOT / "var" / "bulk",))  # RISK_BULK_DIRS (os.pathsep)
    worklist_db: Path = Path("var/worklist.sqlite")  # RISK_WORKLIST_DB
    audit_log: Path = Path("var/audit.log")  # RISK_AUDIT_LOG
    audit_key: str | None = field(default=None, repr=False)  # RISK_AUDIT_KEY (else a key file beside the log)
    fhir_token: str | None = field(default=None, repr=False)  # RISK_FHIR_TOKEN (bearer token of a FHIR server)
    debug: bool = False  # RISK_DEBUG: let the CLI show a traceback
    # SMART Backend Services for `risk panel --fhir-server`: client id and its private JWK set (a JSON file)
    bulk_client_id: str | None = None  # RISK_BULK_CLIENT_ID
    bulk_key_file: Path | None = None  # RISK_BULK_KEY_FILE
    # SMART App Launch: FHIR servers allowed to launch the app (`iss`, comma-separated), the app's client id
    smart_iss: tuple[str, ...] = ()  # RISK_SMART_ISS
    smart_client_id: str = "risk-dashboard"  # RISK_SMART_CLIENT_ID

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        lang = (e.get("RISK_LANG") or "fr").strip().lower()
        roots = tuple(Path(p).expanduser().resolve() for p in (e.get("RISK_BULK_DIRS") or "").split(os.pathsep)
                      if p.strip()) or (REPO_ROOT / "var" / "bulk",)
        return cls(lang=lang if lang in LANGS else "fr", region=e.get("RISK_REGION") or "low",
                   guideline_set=e.get("RISK_GUIDELINES") or cls.guideline_set,
                   models_dir=Path(e.get("RISK_MODELS_DIR") or DEFAULT_MODELS_DIR),
                   sample_dir=Path(e.get("RISK_SAMPLE_DIR") or REPO_ROOT / "sample_fhir"),
                   upload_max_mb=int(e.get("RISK_UPLOAD_MAX_MB") or 20), bulk_roots=roots,
                   worklist_db=Path(e.get("RISK_WORKLIST_DB") or "var/worklist.sqlite"),
                   audit_log=Path(e.get("RISK_AUDIT_LOG") or "var/audit.log"),
                   audit_key=e.get("RISK_AUDIT_KEY") or None, fhir_token=e.get("RISK_FHIR_TOKEN") or None,
                   debug=bool(e.get("RISK_DEBUG")), bulk_client_id=e.get("RISK_BULK_CLIENT_ID") or None,
                   bulk_key_file=Path(e["RISK_BULK_KEY_FILE"]) if e.get("RISK_BULK_KEY_FILE") else None,
                   smart_iss=tuple(i.strip() for i in (e.get("RISK_SMART_ISS") or "").split(",") if i.strip()),
                   smart_client_id=e.get("RISK_SMART_CLIENT_ID") or "risk-dashboard")

    def allowed_bulk_folder(self, folder: str | Path) -> Path | None:
        """The folder resolved, when it lies under one of the allowed roots (a user cannot read any path)."""
        p = Path(folder).expanduser().resolve()
        for root in self.bulk_roots:
            if p == root or root in p.parents:
                return p if p.is_dir() else None
        return None


def parse_as_of(text: str | None) -> date:
    """The index date a user typed (`--as-of`, YYYY-MM-DD); today when none was given."""
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise RiskError(f"--as-of {text!r} is not a date (use YYYY-MM-DD)", ExitCode.USAGE) from exc
