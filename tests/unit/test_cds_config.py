"""The CDS trust file: a bad one is one clear error before any worker starts, never a half-configured service."""

from __future__ import annotations

import re

import pytest

from risk.cds.config import load_config
from risk.cli import main
from risk.errors import ExitCode, RiskError


@pytest.mark.parametrize(("text", "message"), [
    ("public_url = [", "not valid TOML"),
    ('public_url = "cds.example.org"\n[[issuers]]\niss = "https://ehr"\n', "public_url"),
    ('public_url = "https://cds.example.org"\n', "no [[issuers]]"),
    ('public_url = "https://cds.example.org"\n[[issuers]]\njku = []\n', "needs an iss"),
    ('public_url = "https://cds.example.org"\n[[issuers]]\niss = "https://ehr"\njwks_file = "nope.json"\n',
     "cannot read the JWKS"),
])
def test_a_bad_trust_file_is_refused_in_words(tmp_path, text, message):
    path = tmp_path / "cds.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RiskError, match=re.escape(message)):
        load_config(path)


def test_risk_serve_checks_the_trust_file_before_starting(tmp_path, capsys):
    assert main(["serve", "--config", str(tmp_path / "missing.toml")]) == ExitCode.FILE_NOT_FOUND
    assert "cannot read the CDS configuration" in capsys.readouterr().err


def test_fhir_servers_are_compared_without_a_trailing_slash(tmp_path):
    path = tmp_path / "cds.toml"
    path.write_text('public_url = "https://cds.example.org/"\n[[issuers]]\niss = "https://ehr"\n'
                    'fhir_servers = ["https://ehr/fhir/"]\n', encoding="utf-8")
    config = load_config(path)
    assert config.issuers["https://ehr"].fhir_servers == ("https://ehr/fhir",)
    assert config.audience("/cds-services") == "https://cds.example.org/cds-services"
