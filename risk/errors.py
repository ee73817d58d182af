"""Every fatal condition has a name, a clear one-line message and its own exit code.

Scripts and tests tell failures apart by the exit code; users read the message, which says what to do next.
"""

from __future__ import annotations

from enum import IntEnum

from risk.terminology.messages import Message


class ExitCode(IntEnum):
    OK = 0
    USAGE = 2
    FILE_NOT_FOUND = 10
    EMPTY_FILE = 11
    INVALID_JSON = 12
    CORRUPT_GZIP = 13
    NOT_FHIR = 14
    UNEXPECTED_RESOURCE_TYPE = 15
    NO_PATIENT = 16
    MULTIPLE_PATIENTS = 17
    PATIENT_NOT_FOUND = 18
    MISSING_DEMOGRAPHICS = 19
    FILE_TOO_LARGE = 20
    UNSUPPORTED_BUNDLE_TYPE = 21  # e.g. a history or transaction-response Bundle
    SERVER_ERROR = 30
    SERVER_TIMEOUT = 31
    SERVER_AUTH = 32  # 401/403: the access token is missing, expired or lacks scopes
    MODEL_INTEGRITY = 40
    MODEL_MISSING = 41
    AUDIT_TAMPERED = 50  # `risk audit verify`: an entry was edited, deleted, swapped, or the tail cut
    INTERNAL = 70
    # Stopped by a signal (risk.panel.stop): 128 + its number, what shells report for a process a signal ended.
    INTERRUPTED = 130  # SIGINT, Ctrl-C
    TERMINATED = 143  # SIGTERM: a scheduler, systemd, `timeout`, a container stop


class ErrorMessage(str):
    """A RiskError's English one-line message that also carries its coded form (`said`), so that a face handed only
    the text (the CDS card) can still word it in the reader's language (risk.i18n.messages.error_text)."""

    said: Message | None

    def __new__(cls, text: str, said: Message | None = None) -> ErrorMessage:
        out = super().__new__(cls, text)
        out.said = said
        return out


class RiskError(Exception):
    """An error the user can act on: shown as one line, never as a traceback.

    `message` is English (the command line, logs, tests); an error a clinician may read in the app or in a CDS card
    is also `said` as a catalogue code with parameters (risk/i18n/messages.json), worded in French or English by
    risk.i18n.messages.error_text. Its English there must equal `message`: tests/unit/test_error_messages.py."""

    code: ExitCode = ExitCode.INTERNAL
    said: Message | None = None

    def __init__(self, message: str, code: ExitCode | None = None, *, said: Message | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        if said is not None:
            self.said = said

    @property
    def message(self) -> ErrorMessage:
        return ErrorMessage(str(self.args[0]), self.said)


class SourceError(RiskError):
    """The FHIR input cannot be read (file, JSON, gzip, FHIR structure, server)."""


class RecordError(RiskError):
    """The patient's record cannot be built (no birth date, unknown patient, ...)."""


class ModelError(RiskError):
    """A model artefact is missing or fails its integrity check."""
