"""A printable one-to-two page report for the patient, in French or English (fpdf2).

What it holds (product.md section 7.1 item 10): the headline risk as "N in 100 people like you" with an icon
array and the healthy-peer comparison, the other scores with their intervals or why they were not computed,
the main modifiable factors with the patient's values and dates, what would change the risk, the plan (next
steps with their guideline, year, class and level; care gaps) and the dates of the data used. Patient-facing
wording, absolute risks as frequencies over a stated time (Fagerlin / Zikmund-Fisher, product.md section 2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from fpdf import FPDF

from risk import __version__
from risk.assess.assessment import Assessment
from risk.assess.completeness import DIAGNOSIS_TYPES, MEDICATION_TYPES, not_read
from risk.explain.peers import icon_counts, n_in_100
from risk.explain.wording import factor_evidence
from risk.i18n import fmt_date, fmt_number, fmt_percent, french_spacing
from risk.i18n.lab_units import value_text
from risk.i18n.labels import EQUATION_SHORT, HEADLINE_OUTCOME, MODEL_SHORT, SEX, key_conditions, pick, treatments
from risk.i18n.messages import message_text, tr
from risk.report.text import headline_lines
from risk.terminology.concepts import MEASUREMENT_CONCEPTS, SMOKING_LABELS

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian fonts-dejavu-core; Helvetica (latin-1) otherwise
# Legend of the icon array, one catalogue text per kind of icon.
LEGEND = {"extra": lambda lang: tr("pdf.legend_extra", lang), "peer": lambda lang: tr("pdf.legend_peer", lang),
          "none": lambda lang: tr("pdf.legend_none", lang)}
COLOURS = {"extra": (192, 57, 43), "peer": (230, 160, 60), "none": (215, 219, 223)}

class _Report(FPDF):
    def __init__(self, lang: str) -> None:
        super().__init__(format="A4")
        self.lang = lang
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, 18)
        self.unicode = (FONT_DIR / "DejaVuSans.ttf").is_file() and (FONT_DIR / "DejaVuSans-Bold.ttf").is_file()
        if self.unicode:
            self.add_font("body", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("body", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.family = "body"
        else:
            self.family = "helvetica"

    def clean(self, text: str) -> str:
        if self.lang == "fr":
            # A colon that the catalogue did not space already (labels joined here): French puts a space before it.
            text = french_spacing(re.sub(r"(?<=[^\s\u00a0\u202f]): ", " : ", text))
        if self.unicode:
            return text
        for a, b in (("\u202f", " "), ("\u00a0", " "), ("−", "-"), ("≥", ">="), ("≤", "<="), ("–", "-"),
                     ("’", "'"), ("…", "...")):
            text = text.replace(a, b)
        return text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family, "", 7)
        self.set_text_color(110, 110, 110)
        self.multi_cell(0, 3.2, self.clean(tr("pdf.footer", self.lang, v=__version__)), align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(self.family, "B", 12)
        self.multi_cell(0, 6, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 10)

    def para(self, text: str, size: float = 10, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, self.clean(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_font(self.family, "", 10)

    def bullet(self, text: str) -> None:
        self.set_x(self.l_margin + 3)
        self.multi_cell(self.epw - 3, 5, self.clean("• " + text if self.unicode else "- " + text),
                        new_x="LMARGIN", new_y="NEXT", align="L")

    def icon_array(self, counts: Mapping[str, int], x: float, y: float, size: float = 5.2) -> None:
        """10 x 10 people-as-dots, filled row by row from the top-left: extra, then peer, then none."""
        order = ["extra"] * counts["extra"] + ["peer"] * counts["peer"] + ["none"] * counts["none"]
        for i, kind in enumerate(order):
            row, col = divmod(i, 10)
            self.set_fill_color(*COLOURS[kind])
            cx, cy = x + col * (size + 1.2), y + row * (size + 1.2)
            self.ellipse(cx + size * 0.3, cy, size * 0.4, size * 0.4, style="F")  # head
            self.rect(cx + size * 0.15, cy + size * 0.45, size * 0.7, size * 0.55, style="F")  # body


def _pct(x: float, lang: str) -> str:
    return fmt_percent(x, lang, 1)


def report_pdf(a: Assessment, *, lang: str = "fr", today: date | None = None) -> bytes:
    """The report as PDF bytes, in `lang`."""
    pdf = _Report(lang)
    pdf.add_page()
    r = a.record
    row = a.features
    pdf.set_font(pdf.family, "B", 16)
    pdf.multi_cell(0, 8, pdf.clean(tr("pdf.title", lang)), new_x="LMARGIN", new_y="NEXT")
    pdf.para(tr("pdf.subtitle", lang), 9)
    if a.synthetic_models:
        pdf.set_text_color(160, 30, 30)
        pdf.para(tr("pdf.demo", lang), 9, bold=True)
        pdf.set_text_color(0, 0, 0)
    who = (f"{r.name or r.patient_id} - {pick(SEX.get(r.sex, (r.sex, r.sex)), lang)}, {tr('pdf.age', lang)} "
           f"{a.age} - {tr('pdf.on', lang)} {fmt_date(today or a.as_of, lang)}")
    pdf.para(who, 10, bold=True)
    if a.banner is not None:  # a patient who has died: the banner and nothing to act on
        pdf.set_text_color(160, 30, 30)
        pdf.para(pick(a.banner, lang), 12, bold=True)
        pdf.set_text_color(0, 0, 0)
        return bytes(pdf.output())
    if a.partial_banner is not None:  # a partial fetch: said before anything else
        pdf.set_text_color(160, 30, 30)
        pdf.para(pick(a.partial_banner, lang), 10, bold=True)
        pdf.set_text_color(0, 0, 0)
    conds, meds = key_conditions(row, lang), treatments(row, lang)
    no_conds = tr("fetch.not_read", lang) if not_read(a.fetch_gaps, DIAGNOSIS_TYPES) else tr("pdf.none", lang)
    no_meds = tr("fetch.not_read", lang) if not_read(a.fetch_gaps, MEDICATION_TYPES) else tr("pdf.none", lang)
    pdf.para(f"{tr('pdf.conditions', lang)}: {', '.join(conds) or no_conds}. "
             f"{tr('pdf.treatments', lang)}: {', '.join(meds) or no_meds}.", 9)

    # The headline strip, as on the page and in the text report: category and why, the figure, the actions.
    pdf.ln(1)
    for i, line in enumerate(headline_lines(a, lang)):
        pdf.para(line, 11 if i < 2 else 10, bold=i < 2)
    h = a.headline
    pdf.ln(2)
    if h is not None:
        n = n_in_100(h.risk)
        outcome = pick(HEADLINE_OUTCOME[h.name], lang)
        pdf.para(tr("pdf.headline", lang, n=n, outcome=outcome, years=fmt_number(h.horizon_years, lang, 0)), 12,
                 bold=True)
        if h.interval:
            pdf.para(tr("pdf.interval", lang, lo=n_in_100(h.interval[0]), hi=n_in_100(h.interval[1])), 9)
        counts = icon_counts(h.risk, h.peer_risk)
        top = pdf.get_y() + 2
        pdf.icon_array(counts, pdf.l_margin, top)
        lx = pdf.l_margin + 66
        pdf.set_xy(lx, top)
        for kind in ("extra", "peer", "none"):
            if counts[kind] == 0 and kind != "none":
                continue
            pdf.set_fill_color(*COLOURS[kind])
            pdf.rect(lx, pdf.get_y() + 1, 4, 4, style="F")
            pdf.set_x(lx + 6)
            pdf.multi_cell(pdf.epw - 72, 6, pdf.clean(f"{counts[kind]} : {LEGEND[kind](lang)}"),
                           new_x="LEFT", new_y="NEXT")
            pdf.set_x(lx)
        if h.peer_risk is not None:
            pdf.set_x(lx)
            pdf.multi_cell(pdf.epw - 66, 5, pdf.clean(tr("pdf.peer", lang, m=n_in_100(h.peer_risk))),
                           new_x="LEFT", new_y="NEXT")
        pdf.set_y(top + 10 * 6.4 + 2)

    pdf.heading(tr("pdf.scores", lang))
    for name, res in a.scores.models.items():
        label = pick(MODEL_SHORT[name], lang)
        if res.risk is None:
            pdf.bullet(f"{label}: — {message_text(res.message, lang)}")
        else:
            iv = f" ({_pct(res.interval[0], lang)}-{_pct(res.interval[1], lang)})" if res.interval else ""
            pdf.bullet(f"{label}: {_pct(res.risk, lang)}{iv}")
    for name, res in a.shown_equations.items():
        label = pick(EQUATION_SHORT[name], lang)
        if res.risk is None:
            pdf.bullet(f"{label}: — {message_text(res.message, lang)}")
        else:
            pdf.bullet(f"{label}: {_pct(float(res.risk), lang)}")
    if a.disagreement is not None:
        pdf.para(a.disagreement.text(lang, synthetic=bool(a.synthetic_models)), 9, bold=True)

    if a.top_factors:
        pdf.heading(tr("pdf.factors", lang))
        for f in a.top_factors:
            ev = factor_evidence(f, row, lang, a.units, limit=2)
            pdf.bullet(f"{pick((f.label_en, f.label_fr), lang)} (+{fmt_number(f.points, lang, 1)} "
                       f"pts){': ' + '; '.join(ev) if ev else ''}")
    if h is not None and a.what_if:
        lines = []
        for w in a.what_if:
            after = w.models.get(h.name, (None,))[0] if h.is_model else w.equations.get(h.name)
            if after is not None:
                lines.append(tr("pdf.whatif_line", lang, label=pick((w.scenario.label_en, w.scenario.label_fr), lang),
                                before=n_in_100(h.risk), after=n_in_100(after)))
        if lines:
            pdf.heading(tr('pdf.whatif', lang))
            for line in lines:
                pdf.bullet(line)

    pdf.heading(tr("pdf.plan", lang))
    steps = [s for s in a.next_steps if not s.already_done]
    if not steps:
        pdf.para(tr("pdf.no_plan", lang), 9)
    for s in steps[:8]:
        pdf.bullet(f"{pick((s.text_en, s.text_fr), lang)} [{s.guideline} {s.year}, {s.recommendation_class}/"
                   f"{s.evidence_level}]")
    if a.care_gaps:
        pdf.heading(tr("pdf.gaps", lang))
        for g in a.care_gaps[:6]:
            pdf.bullet(pick((g.text_en, g.text_fr), lang))

    pdf.heading(tr("pdf.data", lang))
    shown = [i for i in a.inputs if i.concept in ("sbp", "total_chol", "hdl", "ldl", "hba1c", "egfr", "uacr",
                                                       "bmi", "smoking_status")]
    for i in shown:
        spec = MEASUREMENT_CONCEPTS[i.concept]
        if i.concept == "smoking_status":
            value = SMOKING_LABELS[int(i.value)][1 if lang == "fr" else 0]
        else:
            value = value_text(i.concept, i.value, a.units.get(i.concept), lang)
        stale = f" ({tr('pdf.stale', lang)})" if i.stale else ""
        pdf.bullet(f"{spec.label_fr if lang == 'fr' else spec.label_en}: {value} - {fmt_date(i.date, lang)}{stale}")
    return bytes(pdf.output())
