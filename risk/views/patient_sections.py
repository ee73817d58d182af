"""The blocks of the patient page; each lays out one library result."""

from __future__ import annotations

import json
import math

import streamlit as st

from risk.assess.result import (
    PatientResult,
    advice_available,
    changes_from_controls,
    rescore,
    whatif_controls,
)
from risk.explain.wording import factor_evidence, is_modifiable, summary, trigger_text
from risk.assess.history import input_trends, risk_history
from risk.i18n.labels import EQUATION_SHORT, MODEL_SHORT, pick
from risk.models.registry import synthetic_models
from risk.i18n.reasons import localise
from risk.views import charts
from risk.views.session import lang, log, log_once, models, num, pct, session_cache, settings, tx
from risk.views.tables import inputs_frame, issues_frame

SHOWN_EQUATIONS = ("score2", "score2_diabetes", "prevent_cvd", "prevent_ascvd", "prevent_hf", "kfre_5y", "kfre_2y")


def _not_applicable(reason: str | None) -> bool:
    """Out of the model's population (age, no diabetes, prior event), as opposed to 'could not be computed'."""
    return bool(reason) and ("not applicable" in reason or "applies to" in reason)


def _label(name: str) -> str:
    return pick(MODEL_SHORT.get(name) or EQUATION_SHORT.get(name) or (name, name), lang())


def score_cards(result: PatientResult) -> None:
    a = result.assessment
    models_cards, eq_cards, out_of_scope = [], [], []
    for name, r in a.scores.models.items():
        item = (name, r.risk, r.interval, r.reason, [])
        (out_of_scope if r.risk is None and _not_applicable(r.reason) else models_cards).append(item)
    for name in SHOWN_EQUATIONS:
        e = a.scores.equations.get(name)
        if e is None:
            continue
        item = (name, None if e.risk is None else float(e.risk), None, e.reason, e.warnings)
        (out_of_scope if e.risk is None and _not_applicable(e.reason) else eq_cards).append(item)
    _card_row(tx("Models (machine learning)", "Modèles (apprentissage automatique)"), models_cards)
    _card_row(tx("Published equations", "Équations publiées"), eq_cards)
    if result.disagreement is not None:
        st.warning(result.disagreement.text(lang(), synthetic=bool(synthetic_models(models()))),
                   icon=":material/compare_arrows:")
    if out_of_scope:
        with st.expander(tx("Not applicable to this patient ({n})", "Non applicables à ce patient ({n})",
                            n=len(out_of_scope))):
            for name, _r, _i, reason, _w in out_of_scope:
                st.markdown(f"- **{_label(name)}** — {localise(reason, lang())}")


def card_markdown(label: str, value: str) -> str:
    """A risk card's label and number as plain markdown. Not st.metric, nor HTML: both load JavaScript on first
    use, which put the first risk on screen about 0.5 s later (benchmarks/app.py)."""
    return f"{label}\n\n### {value}"


def _card_row(title: str, cards: list) -> None:
    if not cards:
        return
    st.markdown(f"##### {title}")
    per_row = 5
    for start in range(0, len(cards), per_row):
        cols = st.columns(per_row)
        for col, (name, risk, interval, reason, warnings) in zip(cols, cards[start:start + per_row], strict=False):
            with col.container(border=True, key=f"card_{name}"):
                st.markdown(card_markdown(_label(name), "—" if risk is None else pct(risk)))
                if risk is None:
                    st.caption(tx("Not computed because: {r}", "Non calculé car : {r}", r=localise(reason, lang())))
                    continue
                if interval:
                    st.caption(tx("90 % interval {lo} – {hi}", "intervalle à 90 % {lo} – {hi}",
                                  lo=pct(interval[0]), hi=pct(interval[1])))
                for w in warnings:
                    st.caption(":material/warning: " + localise(w, lang()))


def explanation(result: PatientResult) -> None:
    a = result.assessment
    if not a.explanations:
        st.info(tx("No model result to explain for this patient (see the cards above).",
                   "Aucun résultat de modèle à expliquer pour ce patient (voir les cartes ci-dessus)."))
        return
    names = list(a.explanations)
    default = names.index("cvd10") if "cvd10" in names else 0
    labels = {n: _label(n) for n in names}
    name = st.selectbox(tx("Explain", "Expliquer"), names, index=default, format_func=labels.__getitem__,
                        key=f"explain_model_{lang()}") if len(names) > 1 else names[0]
    expl = a.explanations[name]
    row = a.view.features
    st.markdown("**" + summary(expl, row, lang(), result.units) + "**")
    st.plotly_chart(charts.waterfall(expl, row, lang(), result.units), key="waterfall", width="stretch")
    st.caption(tx("Contributions in percentage points of risk, from the average patient of the development data "
                  "({base}) to this patient ({risk}); they add up exactly (grouped SHAP values). They show what "
                  "drives the number, not what treatment would do: see 'What if'.",
                  "Contributions en points de pourcentage de risque, du patient moyen des données d'apprentissage "
                  "({base}) à ce patient ({risk}) ; leur somme est exacte (valeurs SHAP groupées). Elles montrent ce "
                  "qui fait le chiffre, pas l'effet d'un traitement : voir « Et si ».",
                  base=pct(expl.base_risk), risk=pct(expl.risk)))
    rows = []
    for f in expl.factors:
        if abs(f.points) < 0.05:
            continue
        rows.append({tx("Factor", "Facteur"): f.label_fr if lang() == "fr" else f.label_en,
                     tx("Points", "Points"): round(f.points, 1),
                     tx("Modifiable", "Modifiable"): tx("yes", "oui") if is_modifiable(f) else tx("no", "non"),
                     tx("Patient's values", "Valeurs du patient"): "; ".join(
                         factor_evidence(f, expl, row, lang(), result.units))})
    st.dataframe(rows, hide_index=True, width="stretch")


def peer_comparison(result: PatientResult) -> None:
    h = result.headline
    if h is None:
        return
    st.markdown("##### " + tx("Out of 100 people like this patient", "Sur 100 personnes comme ce patient"))
    peer = result.peers.get(h.name) or (result.peers.get("score2") if not h.is_model else None)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(charts.icon_array(h.risk, peer.peer_risk if peer else None, lang()), key="icon_array")
    with right:
        from risk.explain.peers import n_in_100

        outcome = h.outcome_fr if lang() == "fr" else h.outcome_en
        st.markdown(tx("About **{n} in 100** people like this patient will have {o} in the next {y} years.",
                       "Environ **{n} sur 100** personnes comme ce patient auront {o} dans les {y} prochaines années.",
                       n=n_in_100(h.risk), o=outcome, y=num(h.years)))
        if peer is not None:
            st.metric(tx("Healthy person, same age and sex", "Personne sans facteur de risque, même âge et sexe"),
                      tx("{m} in 100", "{m} sur 100", m=n_in_100(peer.peer_risk)))
            st.metric(tx("Relative risk", "Risque relatif"), "×" + num(peer.relative_risk, 1))
            st.caption(tx("Healthy: non-smoker, SBP 125 mmHg, total/HDL cholesterol 4.0, BMI 25, no diabetes "
                          "(QRISK3 definition), same {what}.",
                          "Sans facteur de risque : non-fumeur, PAS 125 mmHg, cholestérol total/HDL 4,0, IMC 25, sans "
                          "diabète (définition QRISK3), même {what}.", what=_label(peer.name)))


def _delta(before: float, after: float) -> str:
    d = (after - before) * 100
    if abs(d) < 0.05:
        return "="
    return ("+" if d > 0 else "−") + num(abs(d), 1) + " pts"


def _effect(text: str) -> str:
    """Trial-estimate effect label ('SBP -24 mmHg') in the user's language."""
    if lang() != "fr":
        return text
    return localise(text.replace("SBP", "PAS").replace("smoking cessation", "arrêt du tabac"), "fr")


@st.fragment
def what_if(result: PatientResult, loaded: dict) -> None:
    a = result.assessment
    row = a.view.features
    pid = a.view.record.patient_id
    controls = whatif_controls(row, result.units)
    if not controls:
        st.info(tx("No modifiable input with a value to change.", "Aucune donnée modifiable à faire varier."))
        return
    st.caption(tx("Move the controls: the models and equations are recomputed with the new values (counterfactual "
                  "prediction, not a promise of treatment effect).",
                  "Déplacez les curseurs : les modèles et équations sont recalculés avec les nouvelles valeurs "
                  "(prédiction contrefactuelle, pas une promesse d'effet du traitement)."))
    values: dict[str, float] = {}
    cols = st.columns(len(controls))
    labels = {"sbp": tx("Systolic BP", "PA systolique"), "ldl": tx("LDL cholesterol", "LDL-cholestérol"),
              "hba1c": "HbA1c", "bmi": tx("BMI", "IMC"), "smoking": tx("Stops smoking", "Arrêt du tabac")}
    for col, c in zip(cols, controls, strict=True):
        with col:
            if c.key == "smoking":
                stop = st.toggle(labels["smoking"], value=False, key=f"wi_smoking_{pid}")
                values["smoking"] = 0.0 if stop else 1.0
                continue
            digits = max(0, round(-math.log10(c.step)))
            if digits == 0:
                values[c.key] = st.slider(f"{labels[c.key]} ({c.unit})", min_value=int(c.low), max_value=int(c.high),
                                          value=int(c.value), step=int(c.step), key=f"wi_{c.key}_{pid}")
            else:
                values[c.key] = st.slider(f"{labels[c.key]} ({c.unit})", min_value=c.low, max_value=c.high,
                                          value=c.value, step=c.step, key=f"wi_{c.key}_{pid}",
                                          format=f"%.{digits}f")
    changes = changes_from_controls(row, values, result.units, controls)
    after = rescore(a, loaded, changes, region=settings().region) if changes else None
    if changes:
        log_once("what_if", pid)
    h = result.headline
    if h is not None:
        new = (after.models.get(h.name, (h.risk,))[0] if h.is_model else after.equations.get(h.name, h.risk)) \
            if after else h.risk
        st.metric(tx("{n} with the changes", "{n} avec les changements", n=_label(h.name)), pct(new),
                  delta=None if abs(new - h.risk) < 5e-4 else f"{'+' if new > h.risk else '-'}"  # ASCII: Streamlit
                  f"{num(abs(new - h.risk) * 100, 1)} pts", delta_color="inverse")  # reads the sign for the arrow
    rows = []
    for name, r in a.scores.models.items():
        if r.risk is None:
            continue
        new = after.models.get(name) if after else (r.risk, *(r.interval or (r.risk, r.risk)))
        rows.append({tx("Result", "Résultat"): _label(name), tx("Now", "Actuel"): pct(r.risk),
                     tx("With the changes", "Avec les changements"): pct(new[0]),
                     tx("90 % interval", "Intervalle à 90 %"): f"{pct(new[1])} – {pct(new[2])}",
                     tx("Change", "Variation"): _delta(r.risk, new[0])})
    for name in SHOWN_EQUATIONS:
        e = a.scores.equations.get(name)
        if e is None or e.risk is None:
            continue
        new_eq = after.equations.get(name, float(e.risk)) if after else float(e.risk)
        rows.append({tx("Result", "Résultat"): _label(name), tx("Now", "Actuel"): pct(float(e.risk)),
                     tx("With the changes", "Avec les changements"): pct(new_eq),
                     tx("90 % interval", "Intervalle à 90 %"): "",
                     tx("Change", "Variation"): _delta(float(e.risk), new_eq)})
    st.dataframe(rows, hide_index=True, width="stretch", key="whatif_table", height=36 * (len(rows) + 1) + 3)
    if not a.what_if:
        return
    st.markdown("##### " + tx("At guideline targets", "Aux cibles des recommandations"))
    names = [n for n, r in a.scores.models.items() if r.risk is not None] + [
        n for n in SHOWN_EQUATIONS if a.scores.equations.get(n) is not None and a.scores.equations[n].risk is not None]
    table = []
    for w in a.what_if:
        line = {tx("Scenario", "Scénario"): w.scenario.label_fr if lang() == "fr" else w.scenario.label_en}
        for n in names:
            v = w.models[n][0] if n in w.models else w.equations.get(n)
            line[_label(n)] = pct(v) if v is not None else ""
        table.append(line)
    st.dataframe(table, hide_index=True, width="stretch", key="scenario_table", height=36 * (len(table) + 1) + 3)
    estimates = [t for w in a.what_if if w.scenario.key != "all" for t in w.trial_estimates]
    if estimates:
        st.markdown("##### " + tx("Trial-based estimates (applied to the headline risk)",
                                  "Estimations issues des essais (appliquées au risque principal)"))
        for t in estimates:
            st.caption(tx("{e}: {r} (relative risk {rr}) — {src}", "{e} : {r} (risque relatif {rr}) — {src}",
                          e=_effect(t["effect"]), r=pct(t["risk_after"]), rr=num(t["relative_risk"], 2),
                          src=t["source"]))


def plan(result: PatientResult) -> None:
    a = result.assessment
    if not advice_available():
        st.info(tx("Guideline next steps, care gaps and alerts appear here once the advice module (risk.advise) is "
                   "installed.", "Les prochaines étapes, examens en retard et alertes apparaîtront ici une fois le "
                   "module de recommandations (risk.advise) installé."))
        return
    fr = lang() == "fr"
    if a.risk_category is not None:
        c = a.risk_category
        st.markdown(tx("**Risk category: {c}** — {r} _({g} {y})_", "**Catégorie de risque : {c}** — {r} _({g} {y})_",
                       c=c.label_fr if fr else c.label_en, r=c.reason_fr if fr else c.reason_en, g=c.guideline,
                       y=str(c.year)))
    st.markdown("##### " + tx("Next steps", "Prochaines étapes"))
    todo = [s for s in a.next_steps if not s.already_done]
    done = [s for s in a.next_steps if s.already_done]
    if not todo:
        st.write(tx("No new step suggested.", "Aucune nouvelle étape proposée."))
    for s in todo:
        with st.container(border=True):
            st.markdown(f"**{s.text_fr if fr else s.text_en}**")
            st.caption(tx("{g} {y} — class {c}, level {l}", "{g} {y} — classe {c}, niveau {l}", g=s.guideline,
                          y=str(s.year), c=s.recommendation_class, l=s.evidence_level)
                       + (f" · {s.reference}" if s.reference else ""))
            if s.triggered_by:
                st.caption(tx("Based on: ", "Sur la base de : ") + "; ".join(
                    trigger_text(t.name, t.value, t.unit, t.date, lang(), result.units) for t in s.triggered_by))
    if done:
        with st.expander(tx("Already in place ({n})", "Déjà en place ({n})", n=len(done))):
            for s in done:
                st.markdown(f"- {s.text_fr if fr else s.text_en} _({s.guideline} {s.year})_")
    st.markdown("##### " + tx("Care gaps", "Examens en retard"))
    if not a.care_gaps:
        st.write(tx("None.", "Aucun."))
    for g in a.care_gaps:
        st.markdown(f"- {g.text_fr if fr else g.text_en} _({g.guideline})_")
    st.markdown("##### " + tx("Alerts", "Alertes"))
    if not a.alerts:
        st.write(tx("None.", "Aucune."))
    for al in a.alerts:
        st.warning(f"{al.text_fr if fr else al.text_en} — {al.guideline_or_rationale}")


def inputs(result: PatientResult) -> None:
    a = result.assessment
    st.markdown("##### " + tx("Inputs used (latest value at the assessment date)",
                              "Données utilisées (dernière valeur à la date d'évaluation)"))
    frame = inputs_frame(a.view.inputs, lang(), result.units)
    st.dataframe(frame, hide_index=True, width="stretch", key="inputs_table", height=36 * (len(frame) + 1) + 3)
    st.caption(tx("Stale: older than the follow-up interval for that test. Derived: computed here (non-HDL, BMI, "
                  "eGFR). Converted: the lab reported another unit.",
                  "Ancien : plus vieux que l'intervalle de suivi de cet examen. Calculé : dérivé ici (non-HDL, IMC, "
                  "DFGe). Converti : le labo a transmis une autre unité."))
    issues = a.view.record.issues
    st.markdown("##### " + tx("Data-quality issues ({n})", "Problèmes de qualité des données ({n})", n=len(issues)))
    if issues:
        st.dataframe(issues_frame(issues, lang()), hide_index=True, width="stretch", key="issues_table")
    else:
        st.write(tx("None: every value read was usable.", "Aucun : toutes les valeurs lues étaient utilisables."))


def trends(result: PatientResult, loaded: dict) -> None:
    from risk.explain.whatif import HBA1C_TARGET, SBP_TARGET

    a = result.assessment
    pid = a.view.record.patient_id
    data = input_trends(a.view.tables, pid, a.view.as_of)
    targets = {"sbp": SBP_TARGET} | ({"hba1c": HBA1C_TARGET} if a.view.features.get("diabetes_any") == 1 else {})
    st.markdown("##### " + tx("Key inputs over time", "Évolution des principales données"))
    st.plotly_chart(charts.input_trends(data, lang(), result.units, targets=targets), key="input_trends")
    st.markdown("##### " + tx("Risk recomputed at past visits", "Risque recalculé aux consultations précédentes"))
    cache = session_cache("history")
    key = (pid, a.view.as_of, tuple(sorted(loaded)))
    if key not in cache:
        cache.clear()
        cache[key] = risk_history(a.view.tables, pid, a.view.as_of, loaded, region=settings().region)
    hist = cache[key]
    if hist.risks.empty:
        st.info(localise(hist.reason, lang()))
        return
    labels = {c: _label(c) for c in hist.risks.columns}
    st.plotly_chart(charts.risk_history(hist.risks, labels, lang()), key="risk_history")
    st.caption(tx("Each point uses only the data known on that day.",
                  "Chaque point n'utilise que les données connues ce jour-là."))


def downloads(result: PatientResult, loaded: dict) -> None:
    from risk.report.fhir import risk_assessment
    from risk.report.pdf import report_pdf

    a = result.assessment
    pid = a.view.record.patient_id
    demo = synthetic_models(loaded)
    options = {"fr": "Français", "en": "English"}
    report_lang = st.radio(tx("Report language", "Langue du compte rendu"), list(options), index=list(options).index(
        lang()), format_func=options.__getitem__, horizontal=True, key="report_lang")

    def pdf_bytes() -> bytes:
        log("download_report_pdf", pid)
        return report_pdf(a, lang=report_lang, peers=result.peers, units=result.units, synthetic_models=demo,
                          disagreement=result.disagreement)

    def fhir_bytes() -> bytes:
        log("download_fhir_risk_assessment", pid)
        versions = {n: str(m.manifest.get("version", "")) for n, m in loaded.items()}
        doc = risk_assessment(a, lang=report_lang, model_versions=versions, synthetic_models=demo)
        return json.dumps(doc, indent=2, ensure_ascii=False).encode()

    c1, c2 = st.columns(2)
    c1.download_button(tx("Printable report (PDF)", "Compte rendu imprimable (PDF)"), data=pdf_bytes,
                       file_name=f"risk-report-{a.view.as_of.isoformat()}.pdf", mime="application/pdf",
                       on_click="ignore", key="download_pdf", icon=":material/picture_as_pdf:")
    c2.download_button(tx("FHIR RiskAssessment (JSON)", "RiskAssessment FHIR (JSON)"), data=fhir_bytes,
                       file_name=f"risk-assessment-{a.view.as_of.isoformat()}.json", mime="application/fhir+json",
                       on_click="ignore", key="download_fhir", icon=":material/data_object:")
    st.caption(tx("Downloads are recorded in the audit log (time, user, pseudonymised patient, action).",
                  "Les téléchargements sont tracés dans le journal d'audit (heure, utilisateur, patient pseudonymisé, "
                  "action)."))
