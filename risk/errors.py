"""Every fatal condition has a name, a clear one-line message and its own exit code.

Scripts and tests tell failures apart by the exit code; users read the message, which says what to do next.
"""

from __future__ import annotations

from enum import IntEnum


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


class RiskError(Exception):
    """An error the user can act on: shown as one line, never as a traceback."""

    code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, code: ExitCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


class SourceError(RiskError):
    """The FHIR input cannot be read (file, JSON, gzip, FHIR structure, server)."""


class RecordError(RiskError):
    """The patient's record cannot be built (no birth date, unknown patient, ...)."""


class ModelError(RiskError):
    """A model artefact is missing or fails its integrity check."""
