"""Plotly figures: factor waterfall, icon array, input trends, risk history, calibration.

Pure functions of library results (no Streamlit), labelled in the language asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from risk.explain.factors import DRIVER_MIN_POINTS, Explanation
from risk.explain.peers import icon_counts
from risk.explain.wording import factor_evidence
from risk.i18n import fmt_number
from risk.i18n.lab_units import LabUnit, to_lab, unit_text
from risk.terminology.concepts import MEASUREMENT_CONCEPTS

RED, BLUE, GREY, ORANGE, DARK = "#c0392b", "#2e86c1", "#d7dbdf", "#e6a03c", "#34495e"
MAX_FACTORS = 7
DATE_TICKS = {"fr": "%m/%Y", "en": "%b %Y"}  # plotly ships English month names only


def _l(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def _pts(x: float, lang: str) -> str:
    return ("+" if x >= 0 else "−") + fmt_number(abs(x), lang, 1) + " pts"


def waterfall(expl: Explanation, row: pd.Series, lang: str, units: Mapping[str, LabUnit] | None = None
              ) -> go.Figure:
    """Average patient -> factors -> this patient, in percentage points of risk.

    The factors add up exactly to the displayed risk (risk.explain.factors); beyond MAX_FACTORS the smallest are merged
    into one bar (product.md section 5: 5-7 grouped, named factors).
    """
    factors = [f for f in expl.factors if abs(f.points) >= DRIVER_MIN_POINTS]  # sorted by |points|, largest first
    shown = factors[:MAX_FACTORS]
    rest = (expl.risk - expl.base_risk) * 100 - sum(f.points for f in shown)  # merged small factors
    # Factors that raise the risk first, then those that lower it: the running total never dips below the final
    # risk, so no bar reads as a negative risk. Non-modifiable factors say so under their name.
    shown = [f for f in shown if f.points > 0] + ([None] if rest >= DRIVER_MIN_POINTS else []) + [
        f for f in shown if f.points <= 0] + ([None] if rest <= -DRIVER_MIN_POINTS else [])
    labels = [f"<b>{_l(lang, 'Average patient', 'Patient moyen')}</b>"]
    values = [expl.base_risk * 100]
    measures = ["absolute"]
    texts = [fmt_number(expl.base_risk * 100, lang, 1) + " %"]
    hover = [_l(lang, "Average patient of the development data", "Patient moyen des données d'apprentissage")]
    for f in shown:
        if f is None:
            labels.append(_l(lang, "Other factors", "Autres facteurs"))
            values.append(rest)
            measures.append("relative")
            texts.append(_pts(rest, lang))
            hover.append("")
            continue
        ev = factor_evidence(f, row, lang, units, limit=1)
        name = f.label_fr if lang == "fr" else f.label_en
        note = ([] if f.modifiable else [_l(lang, "not modifiable", "non modifiable")]) + ev[:1]
        small = " · ".join(note)
        labels.append(f"<b>{name}</b><br><span style='font-size:11px;color:#7f8c8d'>{small}</span>" if small
                      else f"<b>{name}</b>")
        values.append(f.points)
        measures.append("relative")
        texts.append(_pts(f.points, lang))
        hover.append("; ".join(factor_evidence(f, row, lang, units, limit=3)) or name)
    labels.append(f"<b>{_l(lang, 'This patient', 'Ce patient')}</b>")
    values.append(0)
    measures.append("total")
    texts.append(fmt_number(expl.risk * 100, lang, 1) + " %")
    hover.append("")
    fig = go.Figure(go.Waterfall(
        orientation="h", measure=measures, y=labels, x=values, text=texts, textposition="outside",
        hovertext=hover, hoverinfo="text", connector={"line": {"color": "#95a5a6", "dash": "dot"}},
        increasing={"marker": {"color": RED}}, decreasing={"marker": {"color": BLUE}},
        totals={"marker": {"color": DARK}}))
    running, top = 0.0, 0.0
    for v, m in zip(values, measures, strict=True):
        running = v if m == "absolute" else running + v if m == "relative" else running
        top = max(top, running)
    fig.update_layout(yaxis={"autorange": "reversed"}, showlegend=False, height=90 + 48 * len(labels),
                      margin={"l": 10, "r": 40, "t": 30, "b": 40},
                      xaxis={"title": _l(lang, "risk (%)", "risque (%)"), "range": [0, top * 1.2 + 1]},
                      separators=",\u202f" if lang == "fr" else ".,")
    return fig


def icon_array(risk: float, peer_risk: float | None, lang: str) -> go.Figure:
    """10 x 10 people: events due to this patient's risk factors, events a healthy peer would have too, none."""
    counts = icon_counts(risk, peer_risk)
    kinds = ["extra"] * counts["extra"] + ["peer"] * counts["peer"] + ["none"] * counts["none"]
    names = {"extra": _l(lang, "due to risk factors", "liés aux facteurs de risque"),
             "peer": _l(lang, "would happen even with healthy factors", "surviendraient même sans facteur de risque"),
             "none": _l(lang, "no event", "aucun événement")}
    colours = {"extra": RED, "peer": ORANGE, "none": GREY}
    fig = go.Figure()
    for kind in ("extra", "peer", "none"):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        if not idx:
            continue
        fig.add_trace(go.Scatter(
            x=[i % 10 for i in idx], y=[i // 10 for i in idx], mode="markers", name=f"{len(idx)} {names[kind]}",
            marker={"symbol": "circle", "size": 20, "color": colours[kind], "line": {"width": 0}},
            hoverinfo="name"))
    fig.update_layout(height=330, width=420, margin={"l": 0, "r": 0, "t": 0, "b": 0}, plot_bgcolor="white",
                      xaxis={"visible": False, "range": [-0.7, 9.7]},
                      yaxis={"visible": False, "autorange": "reversed", "scaleanchor": "x"},
                      legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0})
    return fig


def input_trends(trends: pd.DataFrame, lang: str, units: Mapping[str, LabUnit] | None = None,
                 concepts: Sequence[str] = ("sbp", "ldl", "hba1c", "egfr"),
                 targets: Mapping[str, float] | None = None) -> go.Figure:
    """Small multiples of the key inputs over time, in the lab's units; `targets` (canonical) as dashed lines."""
    targets = targets or {}
    titles = []
    for c in concepts:
        spec = MEASUREMENT_CONCEPTS[c]
        _, u = to_lab(c, 1.0, (units or {}).get(c))
        titles.append(f"{spec.label_fr if lang == 'fr' else spec.label_en} ({unit_text(u, lang)})")
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.08)
    for i, c in enumerate(concepts):
        sub = trends[trends["concept"] == c]
        r, col = i // 2 + 1, i % 2 + 1
        unit = (units or {}).get(c)
        if sub.empty:
            fig.add_annotation(text=_l(lang, "no value", "aucune valeur"), showarrow=False, xref="x domain",
                               yref="y domain", x=0.5, y=0.5, row=r, col=col)
            continue
        ys = [to_lab(c, v, unit)[0] for v in sub["value"]]
        fig.add_trace(go.Scatter(x=sub["time"], y=ys, mode="lines+markers", name=titles[i], showlegend=False,
                                 marker={"color": ["#8e44ad" if d else DARK for d in sub["derived"]]},
                                 line={"color": DARK}), row=r, col=col)
        if c in targets:
            t = to_lab(c, targets[c], unit)[0]
            fig.add_hline(y=t, line={"dash": "dash", "color": "#27ae60", "width": 1}, row=r, col=col)
    fig.update_layout(height=480, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      separators=",\u202f" if lang == "fr" else ".,")
    fig.update_xaxes(tickformat=DATE_TICKS[lang])
    return fig


def risk_history(risks: pd.DataFrame, labels: Mapping[str, str], lang: str) -> go.Figure:
    fig = go.Figure()
    for col in risks.columns:
        s = risks[col].dropna()
        fig.add_trace(go.Scatter(x=list(s.index), y=s * 100, mode="lines+markers", name=labels.get(col, col)))
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      yaxis={"title": _l(lang, "risk (%)", "risque (%)"), "rangemode": "tozero"},
                      legend={"orientation": "h", "y": -0.15}, separators=",\u202f" if lang == "fr" else ".,",
                      xaxis={"tickformat": DATE_TICKS[lang]})
    return fig


def calibration(table: pd.DataFrame, lang: str, *, title: str = "") -> go.Figure:
    """Observed against predicted risk by bin, with the line of perfect calibration."""
    top = max(float(table["predicted"].max()), float(table["observed"].max()), 0.01) * 110
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", line={"dash": "dash", "color": "#95a5a6"},
                             name=_l(lang, "perfect calibration", "calibration parfaite")))
    fig.add_trace(go.Scatter(x=table["predicted"] * 100, y=table["observed"] * 100, mode="markers+lines",
                             name=_l(lang, "groups of patients", "groupes de patients"),
                             text=[f"n = {int(n)}" for n in table["n"]], marker={"size": 9, "color": RED}))
    fig.update_layout(title=title, height=380, margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
                      xaxis={"title": _l(lang, "predicted risk (%)", "risque prédit (%)"), "range": [0, top]},
                      yaxis={"title": _l(lang, "observed risk (%)", "risque observé (%)"), "range": [0, top]},
                      legend={"orientation": "h", "y": -0.2}, separators=",\u202f" if lang == "fr" else ".,")
    return fig


def shap_beeswarm(sample: Mapping[str, list], lang: str) -> go.Figure:
    """SHAP summary of the trees on held-out patients: one dot per patient and feature, coloured by the feature's
    value (rank within the sample: blue low, red high), features by mean |SHAP| (the sample's order)."""
    names, shap, values = sample["features"], sample["shap"], sample["values"]
    fig = go.Figure()
    for j, name in enumerate(reversed(names)):
        k = len(names) - 1 - j
        col = [row[k] for row in shap]
        raw = pd.Series([row[k] for row in values], dtype=float)
        colour = raw.rank(pct=True).fillna(0.5)
        jitter = [(i % 11 - 5) * 0.03 for i in range(len(col))]
        fig.add_trace(go.Scatter(x=col, y=[j + d for d in jitter], mode="markers", name=name, showlegend=False,
                                 marker={"size": 4, "color": colour, "colorscale": [[0, BLUE], [1, RED]],
                                         "cmin": 0, "cmax": 1}))
    fig.update_layout(yaxis={"tickvals": list(range(len(names))), "ticktext": list(reversed(names))},
                      xaxis_title=_l(lang, "SHAP value of the trees (log-odds)", "Valeur SHAP des arbres (log-odds)"),
                      height=40 + 28 * len(names), margin={"l": 10, "r": 10, "t": 10, "b": 40})
    return fig


def shap_dependence(sample: Mapping[str, list], feature: str, lang: str) -> go.Figure:
    """SHAP dependence of the trees on one feature (held-out patients): value against its SHAP value."""
    k = sample["features"].index(feature)
    fig = go.Figure(go.Scatter(x=[row[k] for row in sample["values"]], y=[row[k] for row in sample["shap"]],
                               mode="markers", marker={"size": 5, "color": DARK}))
    fig.update_layout(xaxis_title=feature, yaxis_title=_l(lang, "SHAP (log-odds)", "SHAP (log-odds)"), height=320,
                      margin={"l": 10, "r": 10, "t": 10, "b": 40})
    return fig
