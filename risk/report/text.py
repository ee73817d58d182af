"""Readable text of an Assessment for the terminal (`risk score --format text --lang fr|en`).

Headline strip first (ESC category and why, the one risk to act on, the top three actions), then every score,
the explanation, the what-if, the plan and the data-quality issues. Every word comes from the catalogue.
"""

from __future__ import annotations

from risk.assess.assessment import Assessment
from risk.explain.wording import factor_evidence, summary
from risk.i18n import NBSP, fmt_date, fmt_number, fmt_percent, in_sentence
from risk.i18n.labels import EQUATION_SHORT, HEADLINE_OUTCOME, MODEL_SHORT, SEX, pick
from risk.i18n.messages import message_text, tr
from risk.terminology.concepts import MEASUREMENT_CONCEPTS


def pct(value: float, lang: str) -> str:
    return fmt_percent(value, lang, 1)


def heading_text(text: str, lang: str) -> str:
    return text + (NBSP + ":" if lang == "fr" else ":")


def heading(code: str, lang: str, /, **params: object) -> str:
    """A catalogue heading followed by a colon, spaced as the language wants ("Alertes :" / "Alerts:")."""
    return heading_text(tr(code, lang, **params), lang)


def top_factors_text(a: Assessment, lang: str) -> str:
    """'Blood pressure (+2.1 pts), Lipids (+1.0 pts)': the same words on every output."""
    return ", ".join(f"{pick((f.label_en, f.label_fr), lang)} (+{fmt_number(f.points, lang, 1)} pts)"
                     for f in a.top_factors)


def headline_lines(a: Assessment, lang: str) -> list[str]:
    """The strip a GP reads first: category with its reason, the one figure to act on, the top actions, the
    stale key inputs; for a patient who has died, only the banner."""
    if a.banner is not None:
        return ["⚠ " + pick(a.banner, lang)]
    c = a.category
    lines = ["⚠ " + pick(a.partial_banner, lang)] if a.partial_banner else []
    lines += [tr("report.category_line", lang, category=pick((c.label_en, c.label_fr), lang),
                reason=pick((c.reason_en, c.reason_fr), lang))]
    h = a.headline
    if h is None:
        lines.append(tr("report.no_headline", lang))
    else:
        label = pick(MODEL_SHORT.get(h.name) or EQUATION_SHORT[h.name], lang)
        lines.append(tr("report.headline_line", lang, label=label, risk=pct(h.risk, lang),
                        years=fmt_number(h.horizon_years, lang, 0), outcome=pick(HEADLINE_OUTCOME[h.name], lang)))
    if a.top_factors:
        lines.append(tr("report.top_factors", lang, factors=top_factors_text(a, lang)))
    if a.top_actions:
        lines.append(heading("report.top_actions", lang))
        lines += [f"  {i}. {pick((s.text_en, s.text_fr), lang)}  [{s.guideline}]"
                  for i, s in enumerate(a.top_actions, 1)]
    if stale := stale_inputs_text(a, lang):
        lines.append(stale)
    return lines


def stale_inputs_text(a: Assessment, lang: str) -> str:
    """"Outdated key inputs: LDL cholesterol (9 Sep 2019), ...": what the risk and the steps rest on that is old."""
    rows = a.stale_inputs
    if not rows:
        return ""
    labels = {r.concept: MEASUREMENT_CONCEPTS[r.concept] for r in rows}
    items = ", ".join(f"{in_sentence(labels[r.concept].label_fr if lang == 'fr' else labels[r.concept].label_en)} "
                      f"({fmt_date(r.date, lang)})" for r in rows)
    return tr("report.stale_inputs", lang, inputs=items)


def assessment_text(a: Assessment, *, lang: str = "en") -> str:
    r = a.record
    sex = pick(SEX.get(r.sex, (r.sex, r.sex)), lang)
    lines = [tr("report.patient_line", lang, pid=r.patient_id, name=r.name or "", sex=sex,
                age=a.age, date=fmt_date(a.as_of, lang)), ""]
    lines += headline_lines(a, lang)
    if a.deceased:
        return "\n".join([*lines, "", *issue_lines(a, lang)]) + "\n"
    lines += ["", heading("report.models_synthetic" if a.synthetic_models else "report.models", lang)]
    for name, res in a.scores.models.items():
        label = pick(MODEL_SHORT[name], lang)
        if res.risk is None:
            lines.append(f"  {label:<26} {'—':>8}  {message_text(res.message, lang)}")
        else:
            lo, hi = res.interval or (res.risk, res.risk)
            lines.append(f"  {label:<26} {pct(res.risk, lang):>8}  "
                         f"({tr('report.interval', lang, low=pct(lo, lang), high=pct(hi, lang))})")
    lines += ["", heading("report.equations", lang)]
    for name, res in a.shown_equations.items():
        label = pick(EQUATION_SHORT[name], lang)
        if res.risk is None:
            lines.append(f"  {label:<26} {'—':>8}  {message_text(res.message, lang)}")
        else:
            warn = "; ".join(message_text(w, lang) for w in res.warning_messages)
            lines.append(f"  {label:<26} {pct(float(res.risk), lang):>8}" + (f"  ⚠ {warn}" if warn else ""))
    if a.disagreement is not None:
        lines += ["", "⚠ " + a.disagreement.text(lang, synthetic=bool(a.synthetic_models))]
    if a.risk_age is not None:
        lines += ["", tr("report.risk_age", lang, age=fmt_number(a.risk_age, lang, 0))]
    for name, e in a.explanations.items():
        lines += ["", heading("report.explanation", lang, model=name) + f" {summary(e, a.features, lang, a.units)}"]
        for f in e.factors[:6]:
            points = ("+" if f.points >= 0 else "") + fmt_number(f.points, lang, 1)
            lines.append(f"  {pick((f.label_en, f.label_fr), lang):<22} {points:>7} pts  "
                         + "; ".join(factor_evidence(f, a.features, lang, a.units, limit=2)))
    if a.what_if:
        lines += ["", heading("report.what_if", lang)]
        for w in a.what_if:
            after = [f"{pick(MODEL_SHORT[k], lang)} {pct(v[0], lang)}" for k, v in w.models.items()]
            after += [f"{pick(EQUATION_SHORT[k], lang)} {pct(v, lang)}" for k, v in w.equations.items()]
            lines.append(f"  {heading_text(pick((w.scenario.label_en, w.scenario.label_fr), lang), lang)} "
                         + ", ".join(after))
    for title, items in ((heading("report.next_steps", lang), a.next_steps),
                         (heading("report.care_gaps", lang), a.care_gaps), (heading("report.alerts", lang), a.alerts)):
        lines += ["", title]
        lines += [f"  - {pick((s.text_en, s.text_fr), lang)}" + (f"  [{s.guideline}]" if getattr(s, "guideline", None)
                                                                   else "") for s in items] \
            or [f"  {tr('report.none', lang)}"]
    lines += ["", *issue_lines(a, lang)]
    return "\n".join(lines) + "\n"


def issue_lines(a: Assessment, lang: str) -> list[str]:
    """The data-quality issues, one line per reason (risk.assess.issues): 18 HbA1c rejected for the same reason
    read as one line with their count, not eighteen."""
    lines = [heading("report.issues", lang, n=len(a.issues))]
    return lines + ([f"  - {message_text(g.message(), lang)}" for g in a.issue_groups]
                    or [f"  {tr('report.none', lang)}"])
