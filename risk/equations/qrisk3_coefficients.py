"""QRISK3-2017 10-year cardiovascular risk: the coefficient tables of the project's implementation.

Reference: Hippisley-Cox J, Coupland C, Brindle P. Development and validation of QRISK3 risk prediction
algorithms to estimate future risk of cardiovascular disease: prospective cohort study. BMJ 2017;357:j2099.
doi:10.1136/bmj.j2099. The paper's supplementary tables give the hazard ratios; the full-precision
coefficients, centring constants and 10-year baseline survival are those published by ClinRisk Ltd as the
open QRISK3-2017 algorithm (qrisk.org/src.php), as tabulated in the CRAN package QRISK3 0.6.0 (Yan Li; GitHub
mirror cran/QRISK3, R/QRISK3-2017ver9.R). Only the numbers are taken (facts of the published model); the
computation in qrisk3.py is the project's own, written from the model's form:

    risk = 1 - S0(10) ** exp(sum of coefficient x centred term)

QRISK is a registered trademark of ClinRisk Ltd / the University of Nottingham; this is the project's
implementation of the QRISK3-2017 algorithm, not ClinRisk's software. Checked against 15 reference results
(../shared/reference/qrisk3_examples.json; tests/unit/test_qrisk3.py).

Term definitions (age and BMI divided by 10, "dage" and "dbmi"; fractional polynomials):
  women: age_1 = dage^-2, age_2 = dage;     men: age_1 = dage^-1, age_2 = dage^3
  both:  bmi_1 = dbmi^-2, bmi_2 = dbmi^-2 x ln(dbmi)
Each continuous term is centred on the constant of CENTRING before entering the sum; the interactions multiply
the centred age terms by the condition (0/1), by the smoking category indicator, or by the centred term.
"""

from __future__ import annotations

from typing import Final

CoefficientTable = dict[str, float]

# 10-year baseline survival S0(10) (open QRISK3-2017 algorithm, survivor[10]).
BASELINE_SURVIVAL_10Y: Final[dict[str, float]] = {"female": 0.988876402378082, "male": 0.977268040180206}

# The age fractional-polynomial powers (dage = age / 10); power 0 would mean ln, not used here.
AGE_POWERS: Final[dict[str, tuple[float, float]]] = {"female": (-2.0, 1.0), "male": (-1.0, 3.0)}

# Centring constants of the continuous terms (open QRISK3-2017 algorithm, "Centring the continuous variables").
CENTRING: Final[dict[str, CoefficientTable]] = {
    "female": {
        "age_1": 0.053274843841791,
        "age_2": 4.332503318786621,
        "bmi_1": 0.154946178197861,
        "bmi_2": 0.144462317228317,
        "chol_hdl_ratio": 3.476326465606690,
        "sbp": 123.130012512207030,
        "sbp_sd": 9.002537727355957,
        "townsend": 0.392308831214905,
    },
    "male": {
        "age_1": 0.234766781330109,
        "age_2": 77.284080505371094,
        "bmi_1": 0.149176135659218,
        "bmi_2": 0.141913309693336,
        "chol_hdl_ratio": 4.300998687744141,
        "sbp": 128.571578979492190,
        "sbp_sd": 8.756621360778809,
        "townsend": 0.526304900646210,
    },
}

# Ethnicity (reference: white or not recorded = 0). BMJ 2017;357:j2099 supplementary table of hazard ratios.
ETHNICITY: Final[dict[str, CoefficientTable]] = {
    "female": {
        "white": 0.0,
        "indian": 0.28040314332995425,
        "pakistani": 0.56298994142075398,
        "bangladeshi": 0.29590000851116516,
        "other_asian": 0.072785379877982545,
        "black_caribbean": -0.17072135508857317,
        "black_african": -0.39371043314874971,
        "chinese": -0.32632495283530272,
        "other": -0.17127056883241784,
    },
    "male": {
        "white": 0.0,
        "indian": 0.27719248760308279,
        "pakistani": 0.47446360714931268,
        "bangladeshi": 0.52961729919689371,
        "other_asian": 0.035100159186299017,
        "black_caribbean": -0.35807899669327919,
        "black_african": -0.4005648523216514,
        "chinese": -0.41522792889830173,
        "other": -0.26321348134749967,
    },
}

# Smoking category (reference: non-smoker = 0); light < 10, moderate 10-19, heavy >= 20 cigarettes a day.
SMOKING: Final[dict[str, CoefficientTable]] = {
    "female": {
        "non": 0.0,
        "ex": 0.13386833786546262,
        "light": 0.56200858012438537,
        "moderate": 0.66749593377502547,
        "heavy": 0.84948177644830847,
    },
    "male": {
        "non": 0.0,
        "ex": 0.19128222863388983,
        "light": 0.55241588192645552,
        "moderate": 0.63835053027506072,
        "heavy": 0.78983819881858019,
    },
}

# Main effects of the centred continuous terms and the 0/1 conditions. Women have no erectile-dysfunction term.
MAIN: Final[dict[str, CoefficientTable]] = {
    "female": {
        "age_1": -8.1388109247726188,
        "age_2": 0.79733376689699098,
        "bmi_1": 0.29236092275460052,
        "bmi_2": -4.1513300213837665,
        "chol_hdl_ratio": 0.15338035820802554,
        "sbp": 0.013131488407103424,
        "sbp_sd": 0.0078894541014586095,
        "townsend": 0.077223790588590108,
        "atrial_fibrillation": 1.5923354969269663,
        "atypical_antipsychotic": 0.25237642070115557,
        "corticosteroids": 0.59520725304601851,
        "migraine": 0.301267260870345,
        "rheumatoid_arthritis": 0.21364803435181942,
        "ckd_3_5": 0.65194569493845833,
        "severe_mental_illness": 0.12555308058820178,
        "sle": 0.75880938654267693,
        "bp_treatment": 0.50931593683423004,
        "type1": 1.7267977510537347,
        "type2": 1.0688773244615468,
        "family_history_chd": 0.45445319020896213,
    },
    "male": {
        "age_1": -17.839781666005575,
        "age_2": 0.0022964880605765492,
        "bmi_1": 2.4562776660536358,
        "bmi_2": -8.3011122314711354,
        "chol_hdl_ratio": 0.17340196856327111,
        "sbp": 0.012910126542553305,
        "sbp_sd": 0.010251914291290456,
        "townsend": 0.033268201277287295,
        "atrial_fibrillation": 0.88209236928054657,
        "atypical_antipsychotic": 0.13046879855173513,
        "corticosteroids": 0.45485399750445543,
        "erectile_dysfunction": 0.22251859086705383,
        "migraine": 0.25584178074159913,
        "rheumatoid_arthritis": 0.20970658013956567,
        "ckd_3_5": 0.71853261288274384,
        "severe_mental_illness": 0.12133039882047164,
        "sle": 0.4401572174457522,
        "bp_treatment": 0.51659871082695474,
        "type1": 1.2343425521675175,
        "type2": 0.85942071430932221,
        "family_history_chd": 0.54055469009390156,
    },
}

# Interactions with the centred age_1 term: factor -> coefficient. Smoking factors are category indicators.
AGE_1_INTERACTIONS: Final[dict[str, CoefficientTable]] = {
    "female": {
        "smoking_ex": -4.7057161785851891,
        "smoking_light": -2.7430383403573337,
        "smoking_moderate": -0.86608088829392182,
        "smoking_heavy": 0.90241562369710648,
        "atrial_fibrillation": 19.938034889546561,
        "corticosteroids": -0.98408045235936281,
        "migraine": 1.7634979587872999,
        "ckd_3_5": -3.5874047731694114,
        "sle": 19.690303738638292,
        "bp_treatment": 11.872809733921812,
        "type1": -1.2444332714320747,
        "type2": 6.8652342000009599,
        "bmi_1": 23.802623412141742,
        "bmi_2": -71.184947692087007,
        "family_history_chd": 0.99467807940435127,
        "sbp": 0.034131842338615485,
        "townsend": -1.0301180802035639,
    },
    "male": {
        "smoking_ex": -0.21011133933516346,
        "smoking_light": 0.75268676447503191,
        "smoking_moderate": 0.99315887556405791,
        "smoking_heavy": 2.1331163414389076,
        "atrial_fibrillation": 3.4896675530623207,
        "corticosteroids": 1.1708133653489108,
        "erectile_dysfunction": -1.506400985745431,
        "migraine": 2.3491159871402441,
        "ckd_3_5": -0.50656716327223694,
        "bp_treatment": 6.5114581098532671,
        "type1": 5.3379864878006531,
        "type2": 3.6461817406221311,
        "bmi_1": 31.004952956033886,
        "bmi_2": -111.29157184391643,
        "family_history_chd": 2.7808628508531887,
        "sbp": 0.018858524469865853,
        "townsend": -0.1007554870063731,
    },
}

# Interactions with the centred age_2 term.
AGE_2_INTERACTIONS: Final[dict[str, CoefficientTable]] = {
    "female": {
        "smoking_ex": -0.075589244643193026,
        "smoking_light": -0.11951192874867074,
        "smoking_moderate": -0.10366306397571923,
        "smoking_heavy": -0.13991853591718389,
        "atrial_fibrillation": -0.076182651011162505,
        "corticosteroids": -0.12005364946742472,
        "migraine": -0.065586917898699859,
        "ckd_3_5": -0.22688873086442507,
        "sle": 0.077347949679016273,
        "bp_treatment": 0.00096857823588174436,
        "type1": -0.28724064624488949,
        "type2": -0.097112252590695489,
        "bmi_1": 0.52369958933664429,
        "bmi_2": 0.045744190122323759,
        "family_history_chd": -0.076885051698423038,
        "sbp": -0.0015082501423272358,
        "townsend": -0.031593414674962329,
    },
    "male": {
        "smoking_ex": -0.00049854870275326121,
        "smoking_light": -0.00079875633317385414,
        "smoking_moderate": -0.00083706184266251296,
        "smoking_heavy": -0.00078400319155637289,
        "atrial_fibrillation": -0.00034995608340636049,
        "corticosteroids": -0.0002496045095297166,
        "erectile_dysfunction": -0.0011058218441227373,
        "migraine": 0.00019896446041478631,
        "ckd_3_5": -0.0018325930166498813,
        "bp_treatment": 0.00063838053104165013,
        "type1": 0.0006409780808752897,
        "type2": -0.00024695695588868315,
        "bmi_1": 0.0050380102356322029,
        "bmi_2": -0.013074483002524319,
        "family_history_chd": -0.00024791809907396037,
        "sbp": -0.000012718741915884570,
        "townsend": -0.000093299642323272888,
    },
}
