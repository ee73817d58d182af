"""The blocks of the patient page; each lays out one library result."""

from __future__ import annotations

import math

import streamlit as st

from risk.assess.assessment import Assessment
from risk.assess.history import input_trends, risk_history
from risk.explain.factors import DRIVER_MIN_POINTS
from risk.explain.peers import n_in_100
from risk.explain.whatif import changes_from_controls, rescore, treatment_targets, whatif_controls
from risk.explain.wording import factor_evidence, summary, trigger_text
from risk.i18n.labels import EQUATION_SHORT, HEADLINE_OUTCOME, MODEL_SHORT, pick
from risk.i18n.messages import message_text
from risk.report.fhir import risk_assessment
from risk.report.json import dumps
from risk.report.pdf import report_pdf
from risk.report.text import stale_inputs_text, top_factors_text
from risk.views import charts
from risk.views.session import lang, log, log_once, num, pct, session_cache, tx
from risk.views.tables import inputs_frame, issues_frame
from risk.views.writeback import write_back_section

CATEGORY_COLOURS = {"very_high": "red", "high": "orange", "moderate": "yellow", "low_moderate": "green",
                    "low": "green", "unknown": "gray"}


def _label(name: str) -> str:
    return pick(MODEL_SHORT.get(name) or EQUATION_SHORT.get(name) or (name, name), lang())


def headline_strip(a: Assessment) -> None:
    """What a GP needs first: the ESC category with its reason, the one figure to act on, the top actions, the
    stale inputs they rest on; for a patient who has died, only the banner."""
    if a.banner is not None:
        st.error(pick(a.banner, lang()), icon=":material/block:")
        return
    if a.partial_banner is not None:
        st.warning(pick(a.partial_banner, lang()), icon=":material/warning:")
    c = a.category
    h = a.headline
    with st.container(border=True, key="headline_strip"):
        st.markdown(f":{CATEGORY_COLOURS.get(c.category, 'gray')}-badge[{pick((c.label_en, c.label_fr), lang())}] "
                    + tx("**ESC risk category** — {r}", "**Catégorie de risque ESC** — {r}",
                         r=pick((c.reason_en, c.reason_fr), lang())))
        if h is None:
            st.markdown(tx("No published cardiovascular risk equation could be computed: see the cards below.",
                           "Aucune équation publiée de risque cardiovasculaire n'a pu être calculée : voir les cartes "
                           "ci-dessous."))
        else:
            st.markdown(f"### {pct(h.risk)} · {_label(h.name)}\n\n" + tx(
                "{y}-year risk of {o}.", "Risque à {y} ans : {o}.", o=pick(HEADLINE_OUTCOME[h.name], lang()),
                y=num(h.horizon_years)))
        if a.top_factors:
            st.markdown(tx("**Main modifiable factors:** {f}", "**Principaux facteurs modifiables :** {f}",
                           f=top_factors_text(a, lang())))
        if a.top_actions:
            st.markdown(tx("**Next steps**", "**Prochaines étapes**") + "\n" + "\n".join(
                f"{i}. {pick((s.text_en, s.text_fr), lang())} _({s.guideline})_"
                for i, s in enumerate(a.top_actions, 1)))
        if stale := stale_inputs_text(a, lang()):
            st.warning(stale, icon=":material/history:")


def score_cards(a: Assessment) -> None:
    models_cards, eq_cards, out_of_scope = [], [], []
    for name, r in a.scores.models.items():
        item = (name, r.risk, r.interval, r.message, [])
        (out_of_scope if r.status == "not_applicable" else models_cards).append(item)
    for name, e in a.shown_equations.items():
        item = (name, None if e.risk is None else float(e.risk), None, e.message, e.warning_messages)
        (out_of_scope if e.status == "not_applicable" else eq_cards).append(item)
    rows = [(tx("Models (machine learning)", "Modèles (apprentissage automatique)"), models_cards),
            (tx("Published equations", "Équations publiées"), eq_cards)]
    if a.headline is None or not a.headline.is_model:  # the equation leads; the models (challengers) follow it
        rows.reverse()
    for title, cards in rows:
        _card_row(title, cards, notes=a.challengers)
    if a.disagreement is not None:
        st.warning(a.disagreement.text(lang(), synthetic=bool(a.synthetic_models)), icon=":material/compare_arrows:")
    if out_of_scope:
        with st.expander(tx("Not applicable to this patient ({n})", "Non applicables à ce patient ({n})",
                            n=len(out_of_scope))):
            for name, _r, _i, reason, _w in out_of_scope:
                st.markdown(f"- **{_label(name)}** — {message_text(reason, lang())}")


def card_markdown(label: str, value: str) -> str:
    """A risk card's label and number as plain markdown. Not st.metric, nor HTML: both load JavaScript on first
    use, which put the first risk on screen about 0.5 s later (benchmarks/app.py)."""
    return f"{label}\n\n### {value}"


def _card_row(title: str, cards: list, *, notes: dict | None = None) -> None:
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
                    st.caption(tx("Not computed because: {r}", "Non calculé car : {r}", r=message_text(reason, lang())))
                    continue
                if interval:
                    st.caption(tx("90 % interval {lo} – {hi}", "intervalle à 90 % {lo} – {hi}",
                                  lo=pct(interval[0]), hi=pct(interval[1])))
                for w in warnings:
                    st.caption(":material/warning: " + message_text(w, lang()))
                if notes and name in notes:
                    st.caption(":material/balance: " + message_text(notes[name], lang()))


def explanation(a: Assessment) -> None:
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
    row = a.snapshot.features
    st.markdown("**" + summary(expl, row, lang(), a.units) + "**")
    st.plotly_chart(charts.waterfall(expl, row, lang(), a.units), key="waterfall", width="stretch")
    st.caption(tx("Contributions in percentage points of risk, from the average patient of the development data "
                  "({base}) to this patient ({risk}); they add up exactly (grouped SHAP values). They show what "
                  "drives the number, not what treatment would do: see 'What if'.",
                  "Contributions en points de pourcentage de risque, du patient moyen des données d'apprentissage "
                  "({base}) à ce patient ({risk}) ; leur somme est exacte (valeurs SHAP groupées). Elles montrent ce "
                  "qui fait le chiffre, pas l'effet d'un traitement : voir « Et si ».",
                  base=pct(expl.base_risk), risk=pct(expl.risk)))
    rows = []
    for f in expl.factors:
        if abs(f.points) < DRIVER_MIN_POINTS:
            continue
        rows.append({tx("Factor", "Facteur"): f.label_fr if lang() == "fr" else f.label_en,
                     tx("Points", "Points"): round(f.points, 1),
                     tx("Modifiable", "Modifiable"): tx("yes", "oui") if f.modifiable else tx("no", "non"),
                     tx("Patient's values", "Valeurs du patient"): "; ".join(
                         factor_evidence(f, row, lang(), a.units))})
    st.dataframe(rows, hide_index=True, width="stretch")


def peer_comparison(a: Assessment) -> None:
    h = a.headline
    if h is None:
        return
    st.markdown("##### " + tx("Out of 100 people like this patient", "Sur 100 personnes comme ce patient"))
    peer = a.peers.get(h.name)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(charts.icon_array(h.risk, h.peer_risk, lang()), key="icon_array")
    with right:
        outcome = pick(HEADLINE_OUTCOME[h.name], lang())
        st.markdown(tx("About **{n} in 100** people like this patient will have {o} in the next {y} years.",
                       "Environ **{n} sur 100** personnes comme ce patient auront {o} dans les {y} prochaines années.",
                       n=n_in_100(h.risk), o=outcome, y=num(h.horizon_years)))
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


@st.fragment
def what_if(a: Assessment, loaded: dict) -> None:
    row = a.snapshot.features
    pid = a.snapshot.record.patient_id
    controls = whatif_controls(row, a.units)
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
    changes = changes_from_controls(row, values, a.units, controls)
    after = rescore(a.snapshot.frame, loaded, changes, model_names=[n for n, r in a.scores.models.items()
                                                                    if r.risk is not None],
                    equation_names=[n for n, r in a.shown_equations.items() if r.risk is not None],
                    region=a.region) if changes else None
    if changes:
        log_once("what_if", pid)
    h = a.headline
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
    for name, e in a.shown_equations.items():
        if e.risk is None:
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
        n for n, e in a.shown_equations.items() if e.risk is not None]
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
                          e=message_text(t.effect, lang()), r=pct(t.risk_after), rr=num(t.relative_risk, 2),
                          src=f"{t.source} ({message_text(t.finding, lang())})"))


def plan(a: Assessment) -> None:
    fr = lang() == "fr"
    c = a.category  # shown even when not determined: its reason says which input is missing
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
                    trigger_text(t.name, t.value, t.unit, t.date, lang(), a.units) for t in s.triggered_by))
    if done:
        with st.expander(tx("Already in place ({n})", "Déjà en place ({n})", n=len(done))):
            for s in done:
                st.markdown(f"- {s.text_fr if fr else s.text_en} _({s.guideline})_")
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


def inputs(a: Assessment) -> None:
    st.markdown("##### " + tx("Inputs used (latest value at the assessment date)",
                              "Données utilisées (dernière valeur à la date d'évaluation)"))
    frame = inputs_frame(a.snapshot.inputs, lang(), a.units)
    st.dataframe(frame, hide_index=True, width="stretch", key="inputs_table", height=36 * (len(frame) + 1) + 3)
    st.caption(tx("Stale: older than the follow-up interval for that test. Derived: computed here (non-HDL, BMI, "
                  "eGFR). Converted: the lab reported another unit.",
                  "Ancien : plus vieux que l'intervalle de suivi de cet examen. Calculé : dérivé ici (non-HDL, IMC, "
                  "DFGe). Converti : le labo a transmis une autre unité."))
    issues = a.snapshot.record.issues
    st.markdown("##### " + tx("Data-quality issues ({n})", "Problèmes de qualité des données ({n})", n=len(issues)))
    if issues:
        st.dataframe(issues_frame(a.issue_groups, lang()), hide_index=True, width="stretch", key="issues_table")
    else:
        st.write(tx("None: every value read was usable.", "Aucun : toutes les valeurs lues étaient utilisables."))


def trends(a: Assessment, loaded: dict) -> None:
    pid = a.snapshot.record.patient_id
    data = input_trends(a.snapshot.tables, pid, a.snapshot.as_of)
    targets = treatment_targets(a.features)
    st.markdown("##### " + tx("Key inputs over time", "Évolution des principales données"))
    st.plotly_chart(charts.input_trends(data, lang(), a.units, targets=targets), key="input_trends")
    st.markdown("##### " + tx("Risk recomputed at past visits", "Risque recalculé aux consultations précédentes"))
    cache = session_cache("history")
    key = (pid, a.snapshot.as_of, tuple(sorted(loaded)))
    if key not in cache:
        cache.clear()
        cache[key] = risk_history(a.snapshot.tables, pid, a.snapshot.as_of, loaded, region=a.region)
    hist = cache[key]
    if hist.risks.empty:
        st.info(message_text(hist.reason, lang()))
        return
    labels = {c: _label(c) for c in hist.risks.columns}
    st.plotly_chart(charts.risk_history(hist.risks, labels, lang()), key="risk_history")
    st.caption(tx("Each point uses only the data known on that day.",
                  "Chaque point n'utilise que les données connues ce jour-là."))


def downloads(a: Assessment, loaded: dict) -> None:
    pid = a.snapshot.record.patient_id
    options = {"fr": "Français", "en": "English"}
    report_lang = st.radio(tx("Report language", "Langue du compte rendu"), list(options), index=list(options).index(
        lang()), format_func=options.__getitem__, horizontal=True, key="report_lang")

    def pdf_bytes() -> bytes:
        log("download_report_pdf", pid)
        return report_pdf(a, lang=report_lang)

    def fhir_bytes() -> bytes:
        log("download_fhir_risk_assessment", pid)
        return dumps(risk_assessment(a, lang=report_lang)).encode()

    c1, c2 = st.columns(2)
    c1.download_button(tx("Printable report (PDF)", "Compte rendu imprimable (PDF)"), data=pdf_bytes,
                       file_name=f"risk-report-{a.snapshot.as_of.isoformat()}.pdf", mime="application/pdf",
                       on_click="ignore", key="download_pdf", icon=":material/picture_as_pdf:")
    c2.download_button(tx("FHIR RiskAssessment (JSON)", "RiskAssessment FHIR (JSON)"), data=fhir_bytes,
                       file_name=f"risk-assessment-{a.snapshot.as_of.isoformat()}.json", mime="application/fhir+json",
                       on_click="ignore", key="download_fhir", icon=":material/data_object:")
    st.caption(tx("Downloads are recorded in the audit log (time, user, pseudonymised patient, action).",
                  "Les téléchargements sont tracés dans le journal d'audit (heure, utilisateur, patient pseudonymisé, "
                  "action)."))
    write_back_section(a, report_lang)
