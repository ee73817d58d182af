"""Small, fast FHIR R4 formatting helpers: timestamps, ids, coded elements and quantity fragments.

Observation and Encounter lines are assembled from pre-serialised JSON fragments (orjson for every static
part, so escaping is never done by hand); the few variable parts are numbers, ids and timestamps that
contain no characters needing escape. Times are local French time with the Europe/Paris offset of the day
(+01:00 in winter, +02:00 from the last Sunday of March to the last Sunday of October; the switch is taken at
midnight, a simplification that only matters between 00:00 and 03:00 on two nights a year).
"""

from __future__ import annotations

import numpy as np
import orjson

from risk.synth.codes import UCUM, Code
from risk.synth.population import year_start_day

CATEGORY = {
    cat: orjson.dumps(
        [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": cat,
                        "display": display,
                    }
                ]
            }
        ]
    ).decode()
    for cat, display in (
        ("vital-signs", "Vital Signs"),
        ("laboratory", "Laboratory"),
        ("social-history", "Social History"),
        ("exam", "Exam"),
    )
}


def coding(code: Code) -> dict[str, object]:
    return {
        "coding": [{"system": code.system, "code": code.code, "display": code.display}],
        "text": code.display,
    }


def codeable_json(code: Code, text: bool = True) -> str:
    """A serialised CodeableConcept; `text=False` omits the optional text (high-volume Observations)."""
    value = coding(code)
    if not text:
        del value["text"]
    return orjson.dumps(value).decode()


def quantity_suffix(unit: str | None) -> str:
    """Everything after the number in a valueQuantity; `None` writes a quantity without unit (a defect)."""
    if unit is None:
        return "}"
    return orjson.dumps({"unit": unit, "system": UCUM, "code": unit}).decode().replace("{", ",", 1)


def _paris_offset_hours(day: np.ndarray) -> np.ndarray:
    d = day.astype(np.int64)
    year = d.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    start = year_start_day(year).astype(np.int64)
    leap = ((year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))).astype(np.int64)
    mar31 = start + 89 + leap
    oct31 = start + 303 + leap
    last_sunday = lambda x: x - ((x + 3 - 6) % 7)  # noqa: E731  (1970-01-01 was a Thursday; Monday = 0)
    summer = (d >= last_sunday(mar31)) & (d < last_sunday(oct31))
    return np.where(summer, 2, 1)


def timestamps(day: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """ISO 8601 local date-times with offset, e.g. '2014-03-02T09:30:00+01:00' (vectorised)."""
    if len(day) == 0:
        return np.array([], dtype=object)
    minutes = day.astype(np.int64) * 1440 + minute.astype(np.int64)
    text = np.datetime_as_string(minutes.astype("datetime64[m]"), unit="s")
    offset = np.where(_paris_offset_hours(day) == 2, "+02:00", "+01:00")
    return np.char.add(text, offset).astype(object)


def dates(day: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(day.astype(np.int64).astype("datetime64[D]")).astype(object)


def numbers(values: np.ndarray, decimals: int) -> list[str]:
    """Shortest decimal text of values rounded to `decimals` (no trailing zeros, integers without a point)."""
    if decimals == 0:
        return [str(v) for v in np.round(values).astype(np.int64).tolist()]
    return [repr(v) for v in np.round(values, decimals).tolist()]


def sequence_in_group(group: np.ndarray) -> np.ndarray:
    """0, 1, 2... within runs of equal values of a sorted `group` array (per-patient resource counters)."""
    if group.size == 0:
        return group.astype(np.int64)
    first = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    counts = np.diff(np.r_[first, group.size])
    return np.arange(group.size) - np.repeat(first, counts)
