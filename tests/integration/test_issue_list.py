"""A readable issue list (project issue 12): values rejected for one reason read as one line with their count,
a childhood of heights and weights outside adult ranges reads as one line, and a test whose every value was
rejected is "no usable HbA1c (18 rejected)", not "no record of HbA1c".

The patient is like the review's lifetime records: a man with type 2 diabetes whose 18 HbA1c were sent in % with
values near 3 (read as mmol/mol, implausible), and whose file starts with his growth charts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from risk.assess.assessment import Assessment, assess
from risk.assess.snapshot import snapshot
from risk.models.registry import load_all
from risk.report.text import assessment_text
from risk.views.tables import issues_frame
from tests.fhir_spec import BP, ICD10, Code, Lab, PatientSpec
from tests.integration.test_advice_safety import AS_OF, on, read


def lifetime() -> PatientSpec:
    hba1c = [Lab("hba1c", round(2.5 + i * 0.03, 2), "%", on(3000 - i * 150)) for i in range(18)]
    growth = [Lab("weight", 3.4 + i * 2, "kg", f"{1972 + i}-06-01") for i in range(7)]
    growth += [Lab("height", 52 + i * 8, "cm", f"{1972 + i}-06-01") for i in range(6)]
    recent = (
        ("total_chol", 2.1, "g/L"),
        ("hdl", 0.5, "g/L"),
        ("ldl", 1.3, "g/L"),
        ("weight", 82, "kg"),
        ("height", 176, "cm"),
    )
    adult = [Lab(concept, value, unit, on(40)) for concept, value, unit in recent] + [Lab("weight", 820, "kg", on(30))]
    return PatientSpec(
        id="lifetime",
        sex="male",
        birth="1972-01-15",
        labs=hba1c + growth + adult,
        bp=[BP(134, 82, on(40))],
        conditions=[Code(ICD10, "E11.9", "2015-03-01", "Diabète de type 2")],
        smoking=("never", on(40)),
    )


@pytest.fixture(scope="module")
def a(tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    return assess(snapshot(read(tmp_path_factory.mktemp("lifetime"), lifetime()), AS_OF), load_all())


def section(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    return lines[start : next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))]


def test_eighteen_rejected_hba1c_read_as_one_line_with_their_count_and_span(a):
    assert len(a.issues) == 32  # every rejected value is still there (JSON, Assessment.issues)
    assert section(assessment_text(a, lang="en"), "Data-quality issues") == [
        "Data-quality issues (32):",
        "  - HbA1c 9.38 mmol/mol is outside the plausible range 15–200 mmol/mol; check the unit (reported 3.01 %) — "
        "18 values with this problem, 20 Sep 2018 to 13 Sep 2025",
        "  - Weight 820 kg is outside the plausible range 20–400 kg; check the unit (reported 820 kg)",
        "  - 13 childhood measurements of height and weight (before age 18, 1 Jun 1972 to 1 Jun 1978) are outside "
        "adult ranges; not used",
    ]
    assert section(assessment_text(a, lang="fr"), "Problèmes de qualité") == [
        "Problèmes de qualité des données (32)\u00a0:",
        "  - HbA1c 9,38 mmol/mol hors de la plage plausible 15–200 mmol/mol\u202f; vérifier l'unité (valeur "
        "transmise\u00a0: 3,01\u202f%) — 18 valeurs avec ce problème, du 20/09/2018 au 13/09/2025",
        "  - Poids 820 kg hors de la plage plausible 20–400 kg\u202f; vérifier l'unité (valeur transmise\u00a0: "
        "820 kg)",
        "  - 13 mesures de l'enfance (taille et poids, avant 18 ans, du 01/06/1972 au 01/06/1978) hors des plages "
        "adultes\u202f; non prises en compte",
    ]


def test_the_page_table_has_one_row_per_reason_with_its_count(a):
    table = issues_frame(a.issue_groups, "fr")
    assert list(table["Valeurs"]) == [18, 1, 13]
    assert list(table["Date"]) == ["20/09/2018 – 13/09/2025", "07/11/2026", "01/06/1972 – 01/06/1978"]


def test_a_test_whose_every_value_was_rejected_is_not_called_unrecorded(a):
    (gap,) = [g for g in a.care_gaps if g.id == "hba1c"]
    assert gap.no_record
    assert gap.text_en == (
        "No usable HbA1c in the file: 18 values rejected, see the data-quality issues (every 6 months: diabetes)."
    )
    assert gap.text_fr == (
        "HbA1c\u00a0: aucune valeur utilisable dans le dossier, 18 valeurs rejetées (voir les "
        "problèmes de qualité des données) (tous les 6 mois\u00a0: diabète)."
    )
    (kidney,) = [g for g in a.care_gaps if g.id == "egfr"]
    assert kidney.text_en.startswith("No record of creatinine and eGFR in the file")  # nothing was sent: no record


def test_an_adult_with_the_same_values_keeps_them_as_individual_issues(tmp_path: Path):
    spec = lifetime()
    spec.birth = "1940-01-15"  # the "growth" values now fall in adulthood: implausible adult values, listed
    a = assess(snapshot(read(tmp_path, spec), AS_OF), load_all())
    assert section(assessment_text(a, lang="en"), "Data-quality issues") == [
        "Data-quality issues (32):",
        "  - Height 92 cm is outside the plausible range 100–250 cm; check the unit (reported 92 cm) — 6 values with "
        "this problem, 1 Jun 1972 to 1 Jun 1977",
        "  - Weight 820 kg is outside the plausible range 20–400 kg; check the unit (reported 820 kg) — 8 values with "
        "this problem, 1 Jun 1972 to 7 Nov 2026",
        "  - HbA1c 9.38 mmol/mol is outside the plausible range 15–200 mmol/mol; check the unit (reported 3.01 %) — "
        "18 values with this problem, 20 Sep 2018 to 13 Sep 2025",
    ]
