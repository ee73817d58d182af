"""Readable text of an assessment for the terminal (`risk score --format text --lang fr|en`)."""

from __future__ import annotations

from risk.assess.assessment import Assessment
from risk.i18n import fmt_date, fmt_number

T = {
    "en": {"patient": "Patient", "age": "age", "models": "Models (demonstration, synthetic training data)",
           "equations": "Published equations", "not": "not computed", "drivers": "Explanation",
           "whatif": "What if", "steps": "Next steps", "gaps": "Care gaps", "alerts": "Alerts",
           "issues": "Data-quality issues", "none": "none", "interval": "interval", "category": "Risk category"},
    "fr": {"patient": "Patient", "age": "âge", "models": "Modèles (démonstration, entraînés sur données synthétiques)",
           "equations": "Équations publiées", "not": "non calculé", "drivers": "Explication",
           "whatif": "Et si", "steps": "Prochaines étapes", "gaps": "Suivi en retard", "alerts": "Alertes",
           "issues": "Problèmes de qualité des données", "none": "aucun", "interval": "intervalle",
           "category": "Catégorie de risque"},
}


def pct(value: float, lang: str) -> str:
    return f"{fmt_number(100 * value, lang, 1)} %"


def _text(obj: object, lang: str) -> str:
    return str(getattr(obj, f"text_{lang}", None) or getattr(obj, "text_en", obj))


def assessment_text(a: Assessment, *, lang: str = "en") -> str:
    t = T[lang]
    r = a.view.record
    lines = [f"{t['patient']} {r.patient_id}  {r.name or ''} — {r.sex}, {t['age']} "
             f"{r.age_on(a.view.as_of):.0f} ({fmt_date(a.view.as_of, lang)})", "", t["models"] + ":"]
    for name, res in a.scores.models.items():
        title = res.title_fr if lang == "fr" else res.title_en
        if res.risk is None:
            lines.append(f"  {name:<13} {t['not']}: {res.reason}")
        else:
            lo, hi = res.interval or (res.risk, res.risk)
            lines.append(f"  {name:<13} {pct(res.risk, lang):>8}  ({t['interval']} {pct(lo, lang)}–{pct(hi, lang)})"
                         f"  {title}")
    lines += ["", t["equations"] + ":"]
    for name, res in a.scores.equations.items():
        if res.risk is None:
            lines.append(f"  {name:<16} {t['not']}: {res.reason}")
        else:
            warn = f"  ⚠ {'; '.join(res.warnings)}" if getattr(res, "warnings", None) else ""
            lines.append(f"  {name:<16} {pct(res.risk, lang):>8}{warn}")
    from risk.advise.agreement import assessment_disagreement
    from risk.models.registry import synthetic_models

    if (d := assessment_disagreement(a)) is not None:
        lines += ["", "⚠ " + d.text(lang, synthetic=bool(synthetic_models(a.models)))]
    if a.risk_category is not None:
        c = a.risk_category
        lines += ["", f"{t['category']}: {getattr(c, f'label_{lang}')} — {getattr(c, f'reason_{lang}')}"]
    for name, e in a.explanations.items():
        lines += ["", f"{t['drivers']} {name}: {e.summary(lang)}"]
        for f in e.factors[:6]:
            label = f.label_fr if lang == "fr" else f.label_en
            lines.append(f"  {label:<22} {('+' if f.points >= 0 else '') + fmt_number(f.points, lang, 1):>7} pts  "
                         + "; ".join(f.evidence[:2]))
    if a.what_if:
        lines += ["", t["whatif"] + ":"]
        for w in a.what_if:
            label = w.scenario.label_fr if lang == "fr" else w.scenario.label_en
            after = ", ".join(f"{k} {pct(v[0], lang)}" for k, v in w.models.items())
            eq = ", ".join(f"{k} {pct(v, lang)}" for k, v in w.equations.items())
            lines.append(f"  {label}: " + "; ".join(part for part in (after, eq) if part))
    for key, items in (("steps", a.next_steps), ("gaps", a.care_gaps), ("alerts", a.alerts)):
        lines += ["", t[key] + ":"]
        lines += [f"  - {_text(s, lang)}" + (f"  [{s.guideline}]" if getattr(s, "guideline", None) else "")
                  for s in items] or [f"  {t['none']}"]
    lines += ["", f"{t['issues']} ({len(r.issues)}):"]
    lines += [f"  - {i.message}" for i in r.issues] or [f"  {t['none']}"]
    return "\n".join(lines) + "\n"
