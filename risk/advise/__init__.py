"""Advice: guideline next steps, care gaps and weak-signal alerts for one patient (pure functions).

Rules are data (rules.json, thresholds.json, care_gaps.json, alerts.json, guidelines.json, messages.json) plus
small functions that decide when each fires. Every step cites its guideline, year, class and level of
evidence and the inputs that triggered it, in French and English.

    >>> from risk.advise import next_steps, care_gaps, alerts, risk_category
"""

from risk.advise.alerts import alerts
from risk.advise.category import deceased_category, risk_category
from risk.advise.data import ldl_goal
from risk.advise.engine import next_steps
from risk.advise.gaps import care_gaps
from risk.advise.model import AdviceInputError, Alert, CareGap, NextStep, RiskCategory, TriggerInput

__all__ = [
    "AdviceInputError",
    "Alert",
    "CareGap",
    "NextStep",
    "RiskCategory",
    "TriggerInput",
    "alerts",
    "care_gaps",
    "deceased_category",
    "ldl_goal",
    "next_steps",
    "risk_category",
]
