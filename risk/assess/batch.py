"""Many patients at once (a CDS micro-batch, a panel chunk) where one patient's failure never takes the others.

The batch path (risk.assess.snapshot.snapshots, risk.assess.assessment.assess_many) is the same code as for one
patient; if it raises, every record of the batch is assessed alone so that only the patient whose data meets the
defect gets the error, and the caller says so for that patient (a "cannot assess" card, a rejects line).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import date

from risk.advise.data import DEFAULT_GUIDELINE_SET
from risk.assess.assessment import Assessment, assess, assess_many
from risk.assess.snapshot import snapshot, snapshots
from risk.models.registry import LoadedModel
from risk.record import PatientRecord


def assess_records(records: Sequence[PatientRecord], as_of: date, models: Mapping[str, LoadedModel], *,
                   region: str = "low", guideline_set: str = DEFAULT_GUIDELINE_SET,
                   card_only: bool = False, seconds: dict[str, float] | None = None) -> list[Assessment | Exception]:
    """One Assessment per record, in order, or the exception its own assessment raised. `seconds`, when given,
    receives the time spent building the snapshots ("features") and assessing ("assess")."""
    try:
        t0 = time.perf_counter()
        snaps = snapshots(records, as_of)
        t1 = time.perf_counter()
        out = list(assess_many(snaps, models, region=region, guideline_set=guideline_set, card_only=card_only))
        if seconds is not None:
            seconds["features"] = seconds.get("features", 0.0) + t1 - t0
            seconds["assess"] = seconds.get("assess", 0.0) + time.perf_counter() - t1
        return out
    except Exception:  # noqa: BLE001 (find the one patient it belongs to: each alone)
        out: list[Assessment | Exception] = []
        for record in records:
            try:
                out.append(assess(snapshot(record, as_of), models, region=region, guideline_set=guideline_set,
                                  card_only=card_only))
            except Exception as exc:  # noqa: BLE001 (returned to the caller, who says it for this patient)
                out.append(exc)
        return out
