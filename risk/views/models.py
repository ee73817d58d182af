"""Models page: each model's card, held-out metrics, calibration plot, and calibration on the loaded panel."""

from __future__ import annotations

from datetime import date

import streamlit as st

from risk.i18n.labels import MODEL_POPULATION_FR, MODEL_SHORT, pick
from risk.models.local_calibration import local_calibration
from risk.models.spec import MODEL_SPECS
from risk.views import charts
from risk.views.session import (
    current_source,
    day,
    lang,
    log_once,
    model_banner,
    models,
    num,
    session_cache,
    stored_panel,
    tx,
    user_errors,
)


def _ci(block: dict, key: str) -> str:
    v = block.get(key)
    ci = block.get(f"{key}_ci")
    if v is None or v != v:
        return "—"
    text = num(v, 3)
    if ci:
        text += f" ({num(ci[0], 3)}–{num(ci[1], 3)})"
    return text


def _created(value: object) -> str:
    try:
        return day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return "?"


def metrics_table(metrics: dict) -> list[dict]:
    o = metrics.get("overall", {})
    rows = [(tx("Patients (held out)", "Patients (jeu de test)"), num(o.get("n"))),
            (tx("Events", "Événements"), num(o.get("events"))),
            (tx("C-index (95 % CI)", "Indice C (IC 95 %)"), _ci(o, "c_index")),
            (tx("AUROC (95 % CI)", "AUROC (IC 95 %)"), _ci(o, "auroc")),
            (tx("Calibration slope (ideal 1)", "Pente de calibration (idéal 1)"), num(o.get("calibration_slope"), 2)),
            (tx("Calibration intercept (ideal 0)", "Ordonnée de calibration (idéal 0)"),
             num(o.get("calibration_intercept"), 2)),
            (tx("Brier score", "Score de Brier"), num(o.get("brier"), 4)),
            (tx("Mean predicted / observed", "Prédit moyen / observé"),
             f"{num((o.get('mean_predicted') or 0) * 100, 1)} % / {num((o.get('observed') or 0) * 100, 1)} %")]
    return [{tx("Measure", "Mesure"): k, tx("Value", "Valeur"): v} for k, v in rows]


def model_section(name: str, loaded: dict) -> None:
    spec = MODEL_SPECS[name]
    st.subheader(pick((spec.title_en, spec.title_fr), lang()))
    population = MODEL_POPULATION_FR.get(name, spec.population) if lang() == "fr" else spec.population
    st.caption(tx("Population: {p} · horizon {h} years", "Population : {p} · horizon {h} ans", p=population,
                  h=num(spec.horizon_years)))
    model = loaded.get(name)
    if model is None:
        st.warning(tx("Model not installed (run `risk train`).", "Modèle non installé (lancer `risk train`)."))
        return
    m = model.manifest
    st.markdown(tx("Version **{v}**, created {c}, XGBoost {x}, calibration {cal}",
                   "Version **{v}**, créé le {c}, XGBoost {x}, calibration {cal}", v=str(m.get("version", "?")),
                   c=_created(m.get("created")), x=str(m.get("xgboost", "?")),
                   cal=str(m.get("calibration", {}).get("method", "?"))))
    if m.get("synthetic"):
        st.warning(tx("Trained on synthetic data: demonstration only, not for clinical use.",
                    "Entraîné sur des données synthétiques : démonstration seulement, pas d'usage clinique."))
    left, right = st.columns(2)
    with left:
        st.markdown("**" + tx("Held-out performance", "Performance sur le jeu de test") + "**")
        st.dataframe(metrics_table(model.metrics), hide_index=True, width="stretch", key=f"metrics_{name}")
    with right:
        table = model.metrics.get("calibration_table")
        if table and table.get("predicted"):
            import pandas as pd

            st.plotly_chart(charts.calibration(pd.DataFrame(table), lang(),
                                               title=tx("Calibration (held out)", "Calibration (jeu de test)")),
                            key=f"calibration_{name}")
        else:
            st.info(tx("No calibration table in metrics.json.", "Pas de table de calibration dans metrics.json."))
    gate_section(name, model)
    local(name, model)
    with st.expander(tx("Model card", "Fiche du modèle")):
        st.markdown(model.card or tx("No card.md beside this model.", "Pas de card.md pour ce modèle."))


def comparison_rows(metrics: dict) -> list[dict]:
    """Model and each published equation on the same held-out patients: C-index, calibration, net benefit."""
    rows = []
    for comp, c in metrics.get("comparators", {}).items():
        same = c["on_same_patients"]
        d = c.get("c_index_difference") or {}
        for who, block in (("model", same["model"]), (comp, same[comp])):
            rows.append({tx("Patients where", "Patients où s'applique"): comp, tx("Score", "Score"): who,
                         "n": num(block.get("n")), tx("C-index (95 % CI)", "Indice C (IC 95 %)"): _ci(block, "c_index"),
                         tx("Calibration slope", "Pente de calibration"): num(block.get("calibration_slope"), 2),
                         tx("Calibration in the large", "Calibration globale"):
                             num(block.get("calibration_intercept"), 2),
                         "ΔC (95 % CI)": (f"{num(d['estimate'], 3)} ({num(d['ci'][0], 3)}–{num(d['ci'][1], 3)})"
                                          if who == "model" and d else "")})
    return rows


def gate_section(name: str, model) -> None:  # noqa: ANN001 (LoadedModel)
    """The validation gate's verdict, model against equation on the same rows, and SHAP plots of the trees."""
    m = model.manifest
    if m.get("verdict"):
        reason = (m.get("gate") or {}).get("reason", "")
        text = tx("**Verdict: {v}** ({r})", "**Verdict : {v}** ({r})", v=m["verdict"], r=reason)
        (st.success if m["verdict"] == "primary" else st.info)(text)
    rows = comparison_rows(model.metrics)
    if rows:
        st.markdown("**" + tx("Model and published equation on the same held-out patients",
                              "Modèle et équation publiée sur les mêmes patients du jeu de test") + "**")
        st.dataframe(rows, hide_index=True, width="stretch", key=f"compare_{name}")
    sample = model.metrics.get("shap_sample")
    if sample is None:  # metrics written before the SHAP sample was kept
        return
    if not sample.get("features"):
        st.caption(tx("No trees: the model is its recalibrated equation (nothing to plot).",
                      "Pas d'arbres : le modèle est son équation recalibrée (rien à tracer)."))
        return
    st.markdown("**" + tx("What the trees add (SHAP, held-out patients)",
                          "Ce qu'ajoutent les arbres (SHAP, patients du jeu de test)") + "**")
    st.plotly_chart(charts.shap_beeswarm(sample, lang()), key=f"beeswarm_{name}")
    feature = st.selectbox(tx("Dependence plot", "Graphique de dépendance"), sample["features"],
                           key=f"dependence_feature_{name}")
    st.plotly_chart(charts.shap_dependence(sample, feature, lang()), key=f"dependence_{name}")


def local(name: str, model) -> None:  # noqa: ANN001 (LoadedModel)
    st.markdown("**" + tx("Calibration on your panel", "Calibration sur votre patientèle") + "**")
    panel = stored_panel()
    if panel is None:
        st.info(tx("Score a panel on the Panel page first: outcomes after a past index date are then compared with "
                   "the predicted risk.", "Calculez d'abord un panel (page Patientèle) : les événements survenus après "
                   "une date passée sont alors comparés au risque prédit."))
        return
    cache = session_cache("local_calibration")
    key = (current_source().key, name)
    if key not in cache:
        if not st.button(tx("Check calibration on the loaded panel", "Vérifier la calibration sur le panel chargé"),
                         key=f"local_{name}"):
            return
        with st.spinner(tx("Labelling outcomes...", "Recherche des événements...")):
            cache[key] = local_calibration(panel.records, name, model)
    result = cache[key]
    if result.table is None:
        st.info(tx("Not shown: {r}", "Non affichée : {r}", r=result.reason_fr if lang() == "fr" else result.reason))
        return
    st.caption(tx("{n} patients eligible on {d}, {e} events; mean predicted {p:.1%}, observed {o:.1%}.",
                  "{n} patients éligibles au {d}, {e} événements ; prédit moyen {p:.1%}, observé {o:.1%}.", n=result.n,
                  d=result.index_date, e=result.events, p=result.mean_predicted, o=result.observed))
    st.plotly_chart(charts.calibration(result.table, lang()), key=f"local_plot_{name}")


def page() -> None:
    loaded = models()
    model_banner(loaded)
    st.title(tx("Models", "Modèles"))
    log_once("view_models", None)
    with user_errors():
        names = list(MODEL_SPECS)
        tabs = st.tabs([pick(MODEL_SHORT[n], lang()) for n in names])
        for tab, name in zip(tabs, names, strict=True):
            with tab:
                model_section(name, loaded)


if __name__ == "__main__":
    page()
