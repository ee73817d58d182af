"""Errors a clinician may read (a record that cannot be assessed) speak the reader's language: in the app and in the
CDS "cannot assess" card, French or English from the catalogue, with the English unchanged for the command line."""

from __future__ import annotations

import pickle

import pytest

from risk.cds.card import cannot_assess_card
from risk.errors import ExitCode, RecordError, RiskError
from risk.i18n.messages import error_text
from risk.record.build import patient_demographics

UNUSABLE_PATIENTS = {
    "no birth date": {"resourceType": "Patient", "id": "p1", "gender": "female"},
    "a birth date in another format": {"resourceType": "Patient", "id": "p1", "gender": "female",
                                       "birthDate": "12/04/1969"},
    "no sex": {"resourceType": "Patient", "id": "p1", "birthDate": "1969-04-12"},
    "a sex the equations do not cover": {"resourceType": "Patient", "id": "p1", "birthDate": "1969-04-12",
                                         "gender": "unknown"},
    "no id": {"resourceType": "Patient", "birthDate": "1969-04-12", "gender": "male"},
    "not a JSON object": ["Patient"],
}


def refusal(patient: object) -> RecordError:
    with pytest.raises(RecordError) as caught:
        patient_demographics(patient)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize("case", sorted(UNUSABLE_PATIENTS))
def test_a_record_refusal_reads_the_same_in_english_and_has_its_own_french(case):
    error = refusal(UNUSABLE_PATIENTS[case])
    assert error.said is not None
    assert error_text(error, "en") == error.message  # the command line and the tests' English, unchanged
    french = error_text(error, "fr")
    assert french != error.message and "Patient resource" not in french and "has no" not in french


def test_the_french_card_for_a_record_without_a_birth_date_says_so_in_french():
    error = refusal(UNUSABLE_PATIENTS["no birth date"])
    card = cannot_assess_card(error, lang="fr")
    assert card["detail"].startswith("Risque cardiovasculaire non calculé\u00a0: le patient p1 n'a pas de date de "
                                     "naissance utilisable")
    assert "birth date" not in card["detail"] and card["summary"].startswith("Risque cardiovasculaire")
    english = cannot_assess_card(error, lang="en")["detail"]
    assert english == ("Cardiovascular risk not computed: patient p1 has no usable birth date (birthDate=None); "
                       "age-based risk cannot be computed")


def test_the_message_alone_still_carries_the_reason_to_the_card():
    """The CDS service hands the card `exc.message`: the coded reason travels with that text."""
    error = refusal(UNUSABLE_PATIENTS["no sex"])
    assert cannot_assess_card(error.message, lang="fr")["detail"] == cannot_assess_card(error, lang="fr")["detail"]
    assert "sexe" in cannot_assess_card(error.message, lang="fr")["detail"]


def test_an_uncoded_error_falls_back_to_its_english_message():
    error = RiskError("the FHIR server answered 503", ExitCode.SERVER_ERROR)
    assert error_text(error, "fr") == error_text(error.message, "fr") == "the FHIR server answered 503"
    assert error_text("plain text", "fr") == "plain text"


def test_a_coded_error_keeps_its_reason_across_processes():
    """The panel scores on a process pool: an error crossing it is still worded in the reader's language."""
    error = pickle.loads(pickle.dumps(refusal(UNUSABLE_PATIENTS["no birth date"])))  # noqa: S301 (our own bytes)
    assert error.code == ExitCode.MISSING_DEMOGRAPHICS and "date de naissance" in error_text(error, "fr")
