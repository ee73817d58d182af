"""Unit conversions from the library's canonical units to the units an equation was published in.

The library works in canonical units (DESIGN.md: mmol/L, mmol/mol, µmol/L, mg/mmol, g/L); an equation that was
published in other units converts inside, with exactly these factors. Source for every factor:
clinical_reference.md section 7, "Implementation notes (use these exact values)". One consistent pair of
formulas per analyte, so that a value converted one way and back is unchanged: rounded factors (e.g. 4.0 for
calcium, 3.1 for phosphate) change KFRE results beyond the published precision.
"""

from __future__ import annotations

# The analyte factors have one home, risk.terminology.units (the record converts with the same numbers):
# cholesterol mg/dL = mmol/L x 38.67; creatinine mg/dL = µmol/L / 88.4 (CKD-EPI tools, incl. preventr);
# UACR mg/g = mg/mmol x 8.84; HbA1c % (NGSP/DCCT) = 0.09148 x mmol/mol (IFCC) + 2.152 and its exact inverse;
# KFRE 8-variable labs (Tangri 2011 units): calcium mg/dL = mmol/L x 4.008, phosphate mg/dL = mmol/L x 3.097.
from risk.terminology.units import (
    CALCIUM_MG_DL_PER_MMOL_L,
    CHOL_MG_DL_PER_MMOL_L,
    CREATININE_UMOL_L_PER_MG_DL,
    PHOSPHATE_MG_DL_PER_MMOL_L,
    UACR_MG_G_PER_MG_MMOL,
)
from risk.terminology.units import HBA1C_INTERCEPT as HBA1C_PCT_INTERCEPT
from risk.terminology.units import HBA1C_SLOPE as HBA1C_PCT_SLOPE

# PREVENT's own code multiplies mg/dL by 0.02586 (= 1/38.67 to 5 significant digits) to build its mmol/L terms;
# the equation keeps that step.
PREVENT_CHOL_MMOL_L_PER_MG_DL = 0.02586  # preventr R/helpers.R convert_chol_to_mmol(); Linden prevent10i.ado
ALBUMIN_G_L_PER_G_DL = 10.0  # dimensional (g/dL -> g/L), not an analyte factor


def chol_mmol_l_to_mg_dl(mmol_l: float) -> float:
    """Cholesterol mmol/L -> mg/dL.

    >>> round(chol_mmol_l_to_mg_dl(5.0), 2)
    193.35
    """
    return mmol_l * CHOL_MG_DL_PER_MMOL_L


def chol_mg_dl_to_mmol_l(mg_dl: float) -> float:
    """Cholesterol mg/dL -> mmol/L (exact inverse of :func:`chol_mmol_l_to_mg_dl`)."""
    return mg_dl / CHOL_MG_DL_PER_MMOL_L


def hba1c_mmol_mol_to_pct(mmol_mol: float) -> float:
    """HbA1c IFCC mmol/mol -> NGSP %.

    >>> round(hba1c_mmol_mol_to_pct(48), 2)
    6.54
    """
    return HBA1C_PCT_SLOPE * mmol_mol + HBA1C_PCT_INTERCEPT


def hba1c_pct_to_mmol_mol(pct: float) -> float:
    """HbA1c NGSP % -> IFCC mmol/mol (exact inverse of :func:`hba1c_mmol_mol_to_pct`)."""
    return (pct - HBA1C_PCT_INTERCEPT) / HBA1C_PCT_SLOPE


def creatinine_umol_l_to_mg_dl(umol_l: float) -> float:
    """Creatinine µmol/L -> mg/dL.

    >>> round(creatinine_umol_l_to_mg_dl(88.4), 3)
    1.0
    """
    return umol_l / CREATININE_UMOL_L_PER_MG_DL


def uacr_mg_mmol_to_mg_g(mg_mmol: float) -> float:
    """Urine albumin/creatinine ratio mg/mmol -> mg/g.

    >>> round(uacr_mg_mmol_to_mg_g(3.0), 2)
    26.52
    """
    return mg_mmol * UACR_MG_G_PER_MG_MMOL


def uacr_mg_g_to_mg_mmol(mg_g: float) -> float:
    """Urine albumin/creatinine ratio mg/g -> mg/mmol (exact inverse of :func:`uacr_mg_mmol_to_mg_g`)."""
    return mg_g / UACR_MG_G_PER_MG_MMOL


def calcium_mmol_l_to_mg_dl(mmol_l: float) -> float:
    return mmol_l * CALCIUM_MG_DL_PER_MMOL_L


def phosphate_mmol_l_to_mg_dl(mmol_l: float) -> float:
    return mmol_l * PHOSPHATE_MG_DL_PER_MMOL_L


def albumin_g_l_to_g_dl(g_l: float) -> float:
    return g_l / ALBUMIN_G_L_PER_G_DL
