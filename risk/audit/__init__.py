"""Who saw what: the tamper-evident audit log (risk.audit.chain), its FHIR AuditEvent export
(risk.audit.export) and `risk audit verify` (risk.audit.cli).

Callers keep `audit.record(action, patient_id=..., user=..., log=..., key=...)`, `audit.pseudonym` and
`audit.read`; the chain, the head checkpoint and the cross-process lock are invisible to them.
"""

from risk.audit.chain import (
    ACTIONS,
    DEFAULT_LOG,
    OUTCOMES,
    Head,
    Verdict,
    pseudonym,
    read,
    read_head,
    record,
    record_many,
    verify,
)

__all__ = ["ACTIONS", "DEFAULT_LOG", "OUTCOMES", "Head", "Verdict", "pseudonym", "read", "read_head", "record",
           "record_many", "verify"]
