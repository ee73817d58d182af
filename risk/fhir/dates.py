"""FHIR date and dateTime parsing to timezone-aware UTC datetimes.

FHIR allows partial dates ("2020", "2020-03") and dateTimes with offsets; a date without a time is taken as
midnight UTC of that day. Returns None for anything unparseable, so the caller records a data issue.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def parse_fhir_datetime(text: object) -> datetime | None:
    """Parse a FHIR date/dateTime/instant; anything that is not a string (a list, a number...) gives None.

    >>> parse_fhir_datetime("2020-03-02T10:00:00+02:00").isoformat()
    '2020-03-02T08:00:00+00:00'
    >>> parse_fhir_datetime("2020-03").isoformat()
    '2020-03-01T00:00:00+00:00'
    >>> parse_fhir_datetime("not a date") is None
    True
    >>> parse_fhir_datetime(["2020-03-02"]) is None
    True
    """
    if not isinstance(text, str):
        return None
    found = _PARSED.get(text, _UNSEEN)
    if found is _UNSEEN:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        found = _PARSED[text] = _parse_text(text)
    return found  # type: ignore[return-value]


# Each distinct text parsed once: Synthea repeats each encounter's instant on all of its resources, and a bulk
# export's million dates hold a few hundred thousand distinct ones. A dict read inline costs a third of the
# functools.lru_cache call it replaces; cleared when full (bounds memory on a huge export: some 20 MB).
_PARSED: dict[str, datetime | None] = {}
_PARSED_MAX = 1 << 17
_UNSEEN = object()


def _parse_text(text: str) -> datetime | None:
    s = text.strip()
    try:
        if len(s) == 4:
            return datetime(int(s), 1, 1, tzinfo=UTC)
        if len(s) == 7:
            return datetime(int(s[:4]), int(s[5:7]), 1, tzinfo=UTC)
        if len(s) == 10:
            d = date.fromisoformat(s)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        dt = datetime.fromisoformat(s)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted out of range by its offset
        return None


def parse_fhir_date(text: object) -> date | None:
    dt = parse_fhir_datetime(text)
    return dt.date() if dt else None


def to_utc_datetime(day: date | datetime) -> datetime:
    """A date (or naive datetime) as an aware UTC datetime at the end of that day when given a date.

    `as_of` is a date: everything recorded on that day counts as known on that day.
    """
    if isinstance(day, datetime):
        return day if day.tzinfo else day.replace(tzinfo=UTC)
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=UTC)
