"""Care gaps: tests, exams and screenings that are due, overdue, or have no record at all (pure).

French organised cancer screening (INCa/HAS) has exclusions: a person with the organ's cancer, a precursor under
surveillance or the organ removed, or a colonoscopy within 5 years, is followed outside the programme; the gap
then names that follow-up (``CareGap.follow_up``) instead of asking for the programme's test. A gap that is done
names the test that was done (a cytology is not an HPV test; a colonoscopy is not a FIT).

Intervals and their sources are in care_gaps.json; this module holds the conditions that select a schedule
(the shortest applicable interval wins) and the date arithmetic. A gap whose evidence the record cannot carry
(no ``last_<concept>_days`` column at all) is not reported; a gap with no evidence in the record says
"no record" and never claims to be overdue since a date.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from functools import cache
from typing import Any

from risk.advise import kidney
from risk.advise.data import care_gap_definitions, message, text, thresholds
from risk.advise.inputs import Features, to_date
from risk.advise.model import AdviceInputError, CareGap
from risk.i18n import LazyText, Text, lazy_template
from risk.terminology.concepts import MEASUREMENT_CONCEPTS

Condition = Callable[[Features, kidney.KidneyStage], bool]


def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _diabetes(f: Features) -> bool:
    return f.yes("diabetes_any") or f.yes("diabetes_t2") or f.yes("diabetes_t1")


def _diabetes_screen_eligible(f: Features) -> bool:
    """ADA: kidney and eye screening in type 2 diabetes from diagnosis, in type 1 from 5 years' duration."""
    if not _diabetes(f):
        return False
    if f.yes("diabetes_t1") and not f.yes("diabetes_t2"):
        years = f.num("diabetes_years")
        return years is not None and years >= 5
    return True


def _age_between(f: Features, low: float, below: float) -> bool:
    age = f.num("age")
    return age is not None and low <= age < below


def _woman(f: Features) -> bool:
    return f.flag("sex_male") is False


def _hypertension(f: Features) -> bool:
    return f.yes("hypertension") or f.yes("on_antihypertensive")


def _retina_low_risk(f: Features) -> bool:
    hba1c, sbp, dbp = f.num("hba1c"), f.num("sbp"), f.num("dbp")
    return (
        not f.yes("rx_insulin")
        and not f.yes("dx_diabetic_retinopathy")
        and hba1c is not None
        and hba1c <= thresholds()["diabetes"]["hba1c_target"]
        and sbp is not None
        and sbp < 140
        and (dbp is None or dbp < 90)
    )


def _latest_cervical_test(f: Features) -> str | None:
    """Which cervical test was done last ("cervical_cytology" or "cervical_hpv"), None without any."""
    cytology, hpv = f.num("last_cervical_cytology_days"), f.num("last_cervical_hpv_days")
    if cytology is None and hpv is None:
        return None
    if hpv is None or (cytology is not None and cytology < hpv):
        return "cervical_cytology"
    return "cervical_hpv"


def _cervical(f: Features, low: float, below: float) -> bool:
    """A woman in the cervical programme's age band (25-65, arrêté du 30 juillet 2020)."""
    return _woman(f) and _age_between(f, low, below)


def _cervical_cytology_second(f: Features) -> bool:
    """HAS 2019: at 25-29 the first two cytologies are one year apart, then every 3 years."""
    return (
        _cervical(f, 25, 30)
        and _latest_cervical_test(f) == "cervical_cytology"
        and (f.num("n_cervical_cytology") or 0) == 1
    )


def _bp_screen_low(f: Features) -> bool:
    sbp, dbp = f.num("sbp"), f.num("dbp")
    return sbp is not None and dbp is not None and sbp < 120 and dbp < 70


CONDITIONS: dict[str, Condition] = {
    "diabetes": lambda f, k: _diabetes(f),
    "diabetes_hba1c_above_target": lambda f, k: (
        _diabetes(f) and (f.num("hba1c") or 0.0) > thresholds()["diabetes"]["hba1c_target"]
    ),
    "on_lipid_lowering": lambda f, k: f.yes("on_lipid_lowering") or f.yes("on_statin"),
    "hypertension": lambda f, k: _hypertension(f),
    "adult_risk_assessment": lambda f, k: (
        (f.flag("sex_male") is True and _age_between(f, 40, 200)) or (_woman(f) and _age_between(f, 50, 200))
    ),
    "ckd_heat_map": lambda f, k: k.ckd,
    "diabetes_kidney_screen": lambda f, k: _diabetes_screen_eligible(f),
    "diabetes_retina_standard": lambda f, k: _diabetes_screen_eligible(f) and not _retina_low_risk(f),
    "diabetes_retina_low_risk": lambda f, k: _diabetes_screen_eligible(f) and _retina_low_risk(f),
    "diabetes_foot_high_risk": lambda f, k: (
        _diabetes(f) and (f.yes("dx_diabetic_foot_ulcer") or f.yes("dx_amputation"))
    ),
    "diabetes_foot_neuropathy": lambda f, k: _diabetes(f) and f.yes("dx_diabetic_neuropathy"),
    "bp_follow_up": lambda f, k: _hypertension(f) or _diabetes(f),
    "adult_bp_screen_yearly": lambda f, k: (
        _age_between(f, 18, 200) and (_age_between(f, 40, 200) or not _bp_screen_low(f))
    ),
    "adult_bp_screen_3y": lambda f, k: _age_between(f, 18, 40) and _bp_screen_low(f),
    "age_50_74": lambda f, k: _age_between(f, 50, 75),
    "woman_50_74": lambda f, k: _woman(f) and _age_between(f, 50, 75),
    "cervical_cytology_second": lambda f, k: _cervical_cytology_second(f),
    "cervical_cytology": lambda f, k: _cervical(f, 25, 30) and not _cervical_cytology_second(f),
    # From 30 the HPV test: 3 years after the last (normal) cytology, then every 5 years (HAS 2019).
    "cervical_hpv_after_cytology": lambda f, k: (
        _cervical(f, 30, 66) and _latest_cervical_test(f) == "cervical_cytology"
    ),
    "cervical_hpv": lambda f, k: _cervical(f, 30, 66) and _latest_cervical_test(f) != "cervical_cytology",
}


def _months(schedule: dict[str, Any], ks: kidney.KidneyStage) -> int:
    if schedule["months"] == "kdigo":
        return 12 // (ks.times_per_year or 1)  # 1 -> 12, 2 -> 6, 3 -> 4, 4+ -> 3 months
    return int(schedule["months"])


def _last_evidence(f: Features, evidence: list[str], reference: date) -> tuple[bool, date | None, str | None]:
    """(the record can tell, latest date of evidence or None, the evidence concept of that date)."""
    can_tell = False
    latest: date | None = None
    latest_concept: str | None = None
    for name in evidence:
        if name in MEASUREMENT_CONCEPTS:
            can_tell = True
            when = f.date_of(name)
            if when is None and (days := f.num(f"{name}_days")) is not None:
                when = reference - timedelta(days=days)
        else:
            column = f"last_{name}_days"
            if not f.has(column):
                continue
            can_tell = True
            days = f.num(column)
            when = None if days is None else reference - timedelta(days=days)
        if when is not None and (latest is None or when > latest):
            latest, latest_concept = when, name
    return can_tell, latest, latest_concept


def _exclusion(
    f: Features, gap: dict[str, Any], reference: date
) -> tuple[dict[str, Any], date | None, date | None] | None:
    """The first exclusion from the organised programme that applies: (definition, date of the evidence, date
    the programme may resume), or None. A history concept excludes for good; an evidence concept (a colonoscopy)
    for its `months`."""
    for exclusion in gap.get("exclusions", ()):
        if "history" in exclusion and f.yes(f"dx_{exclusion['history']}"):
            return exclusion, None, None
        if "evidence" in exclusion:
            _, last, _ = _last_evidence(f, [exclusion["evidence"]], reference)
            if last is not None and (until := add_months(last, int(exclusion["months"]))) > reference:
                return exclusion, last, until
    return None


def _follow_up_gap(gap: dict[str, Any], exclusion: dict[str, Any], last: date | None, until: date | None,
                   as_of: date) -> CareGap:
    dated = {"last": last, "until": until} if last is not None else {}
    params = {
        "name": _text_of(gap["name"]),
        "reason": lazy_template(Text(en=exclusion["reason"]["en"], fr=exclusion["reason"]["fr"]), **dated),
        "follow_up": lazy_template(Text(en=exclusion["follow_up"]["en"], fr=exclusion["follow_up"]["fr"]), **dated),
    }
    msg = _capitalised(message("gap.follow_up", **params))
    return CareGap(id=gap["id"], text_en=msg, text_fr=msg, last_done=last,
                   due=until or as_of, overdue_days=None, interval_months=0, guideline=exclusion["guideline"],
                   follow_up=True)


@cache
def _interval_text(months: int) -> Text:
    """ "every 3 years": one per interval, shared by every patient."""
    if months % 12 == 0:
        return message("interval.year") if months == 12 else message("interval.years", n=months // 12)
    return message("interval.months", n=months)


_TEXTS: dict[int, tuple[dict[str, str], Text]] = {}  # id(JSON object) -> (that object, kept alive; its Text)


def _text_of(data: dict[str, str]) -> Text:
    """A bilingual label of care_gaps.json / thresholds.json, read once (the JSON is loaded once and kept)."""
    key = id(data)
    found = _TEXTS.get(key)
    if found is None or found[0] is not data:
        found = _TEXTS[key] = (data, text(data))
    return found[1]


@cache
def _reason(template: Text, stage: str) -> Text:
    """A schedule's reason with the patient's kidney stage ("G3a A2"): few stages, shared by every patient."""
    return lazy_template(template, stage=stage)


def _capitalised(msg: Text) -> Text:
    """The message with a capital first letter, in each language when it is read."""
    return LazyText(lambda lang: _capital(msg.get(lang)))


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


def care_gaps(features: Mapping[str, Any], *, as_of: date, horizon_days: int = 0,
              rejected: Mapping[str, int] | None = None) -> list[CareGap]:
    """Gaps due at ``as_of`` (or within ``horizon_days``), most overdue first, then the no-record ones.

    ``rejected``: values of a concept read but not used (implausible, unknown unit...); a gap with no usable value
    says so ("no usable HbA1c: 18 values rejected") rather than "no record", which would send the GP looking for
    a test that was done."""
    as_of_day = to_date(as_of)
    if as_of_day is None:
        raise AdviceInputError("care_gaps needs an as_of date")
    f = Features(features)
    reference = f.as_of or as_of_day  # *_days columns count back from the features' own index date
    ks = kidney.stage(f)
    gaps: list[CareGap] = []
    for gap in care_gap_definitions():
        applicable = [s for s in gap["schedules"] if CONDITIONS[s["when"]](f, ks)]
        if not applicable:
            continue
        if (excluded := _exclusion(f, gap, reference)) is not None:
            gaps.append(_follow_up_gap(gap, *excluded, as_of_day))
            continue
        schedule = min(applicable, key=lambda s: _months(s, ks))
        months = _months(schedule, ks)
        can_tell, last, test = _last_evidence(f, gap["evidence"], reference)
        if not can_tell:
            continue
        params = {
            "name": _text_of(gap["name"]),
            "interval": _interval_text(months),
            "reason": _reason(_text_of(schedule["reason"]), ks.label),
        }
        if last is None:
            key, due, overdue = "gap.no_record", as_of_day, None
            if n_rejected := sum((rejected or {}).get(name, 0) for name in gap["evidence"]):
                key, params = "gap.none_usable", params | {"n": n_rejected}
        else:
            due = add_months(last, months)
            overdue = (as_of_day - due).days
            if overdue < -horizon_days:
                continue
            key = "gap.overdue" if overdue >= 0 else "gap.upcoming"
            params |= {"due": due, "last": last}
            if test is not None and test in gap.get("tests", {}):  # name the test that was done
                key, params["test"] = f"{key}_test", _text_of(gap["tests"][test])
        msg = _capitalised(message(key, **params))
        gaps.append(
            CareGap(
                id=gap["id"],
                text_en=msg,
                text_fr=msg,
                last_done=last,
                due=due,
                overdue_days=overdue,
                interval_months=months,
                guideline=schedule["guideline"],
            )
        )
    gaps.sort(key=lambda g: (g.follow_up, g.overdue_days is None, -(g.overdue_days or 0)))
    return gaps
