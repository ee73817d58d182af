"""Features at an index date, one vectorised function for one patient, a panel and training.

CONTRACT (other modules rely on these column names; one row per patient, index `patient_id`):
- demographics: `age` (years, float), `sex_male` (0/1), `as_of` (Timestamp)
- for each numeric measurement concept C in risk.concepts.MEASUREMENT_CONCEPTS (sbp, dbp, total_chol, hdl,
  ldl, non_hdl, triglycerides, glucose, hba1c, creatinine, egfr, uacr, bmi, weight, height, heart_rate,
  albumin, calcium, phosphate, bicarbonate):
  `C` latest value at or before as_of (canonical unit, NaN when none), `C_date` (Timestamp),
  `C_days` (days between C_date and as_of), `C_derived` (0/1: computed here, e.g. eGFR from creatinine)
- `smoking_current`, `smoking_former` (0/1; NaN when no smoking status recorded), `smoking_date`
- trends: `sbp_mean3` (mean of the last three SBP), `sbp_sd` (SD of SBP over the last 3 years),
  `hba1c_slope` and `egfr_slope` (per year, least squares over the last 3 years, NaN with < 2 points),
  `bmi_slope`, `weight_change_1y` (kg, latest minus value ~1 year before)
- diagnoses (0/1 at as_of): `dx_<concept>` for each of risk.concepts.DIAGNOSIS_CONCEPTS, plus summaries:
  `diabetes_t2`, `diabetes_t1`, `diabetes_any`, `diabetes_years` (duration at as_of), `age_at_diabetes`,
  `prior_mi`, `prior_stroke` (incl. TIA? no: `prior_tia` separate), `prior_pad`, `prior_hf`, `prior_chd`,
  `established_cvd` (MI, CHD, revascularisation, stroke, TIA, PAD), `ckd_stage` (0, 1..5 from diagnoses or
  eGFR), `hypertension`, `af`
- medications active at as_of (0/1): `rx_<class>` for each class in risk.concepts.MEDICATION_CONCEPTS, plus
  `on_statin`, `on_antihypertensive`, `on_lipid_lowering`, `on_glucose_lowering`, `n_antihypertensive_classes`
- utilisation: `visits_1y`, `visits_5y`
- care-gap evidence: `last_<concept>_days` (days since the latest evidence, NaN when never) for each of
  risk.concepts.CARE_EVIDENCE_CONCEPTS

Nothing dated after `as_of` reaches any column.
"""
