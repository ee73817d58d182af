"""The list of patients a source holds (id, name, sex, birth date), for choosing one, without normalising them.

Reading only the Patient resource of each bundle is ~10x faster than building records (the 15 sample
patients: ~0.15 s against ~2 s). A patient whose demographics are unusable is listed with the reason, so that
choosing it shows that reason instead of failing silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from risk.errors import RiskError
from risk.fhir.base import Source
from risk.record.build import patient_demographics

MAX_ENTRIES = 5000


@dataclass(frozen=True, kw_only=True)
class Entry:
    patient_id: str
    name: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    problem: str | None = None  # why this patient cannot be assessed (missing birth date...): the error's message


def patient_directory(source: Source, *, limit: int = MAX_ENTRIES) -> list[Entry]:
    out: list[Entry] = []
    for pr in source.iter_patients():
        try:
            pid, sex, _deceased, name, birth = patient_demographics(pr.patient)
            out.append(Entry(patient_id=pid, name=name, sex=sex,
                             birth_date=birth if isinstance(birth, date) else None))
        except RiskError as exc:
            out.append(Entry(patient_id=pr.patient_id, problem=exc.message))
        if len(out) >= limit:
            break
    return sorted(out, key=lambda e: ((e.name or "").split()[-1:] or [""], e.name or "", e.patient_id))
