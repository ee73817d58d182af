"""A message the library produces, as a code with parameters: rendered in French or English by risk.i18n.

Reasons a score was not computed, warnings on a score and data-quality issues are decided deep in the pipeline
(equations, models, the record) but worded only at the edge, in one catalogue (risk/i18n/messages.json), so
the page, the PDF, the JSON and the text report say the same thing in the reader's language. This type sits in
the terminology leaf because every stage, the equations included, may produce one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Message:
    code: str  # key in risk/i18n/messages.json, e.g. "model.age_out_of_range"
    params: Mapping[str, Any] = field(default_factory=dict)  # plain values: numbers, dates, concept keys
