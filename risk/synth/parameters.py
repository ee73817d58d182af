"""Every number the synthetic cohort uses, in one place, with its source.

Source keys `R<n>` refer to the reference list of ../shared/reference/epidemiology.md (copied into SOURCES
below so that the package does not need the shared folder at run time); `CR§n` is clinical_reference.md
section n.
Marks follow those files: [V2+] two sources agree, [V1] one source, [M] from memory / secondary summary,
[derived] computed from cited inputs, [assumption] a documented modelling choice where no source was found,
[calibrated] tuned by running the generator until the cohort matches the French targets listed in
`CALIBRATION_TARGETS` (the tuning runs are reproducible with benchmarks/synth.py --calibration).

Units inside the simulation are the library's canonical units (mmol/L, mmol/mol only at output, % for HbA1c
internally because the effect sizes are published in %-points, umol/L, mL/min/1.73 m2, mg/mmol, mmHg, kg/m2).
Time is in years; hazards are per year.
"""

from __future__ import annotations

from risk.terminology.qrisk3 import QRISK3_DIAGNOSES

PARAMETERS_VERSION = "2026.1"

SOURCES: dict[str, str] = {
    "R7": "NCD-RisC. Worldwide trends in blood pressure 1975-2015. Lancet 2017;389:37-55 (France 2015 "
          "rows)",
    "R8": "Lecoffre C et al. Cholesterol LDL chez les adultes en France, Esteban 2015. BEH 2018;(37)",
    "R12": "Lailler G et al. Prediabetes and undiagnosed T2D in France, Esteban 2014-16. Diabetes Metab "
           "2020",
    "R14": "Ricci P et al. Diabete traite en France 2000-2009. BEH 2010;42-43",
    "R17": "Fosse-Edorh S et al. Entred 3 (2019) first results. BEH 2022;(22)",
    "R19": "Verdot C et al. Corpulence des adultes en France 2015 (Esteban). BEH 2017;(13)",
    "R21": "Olie V et al. Prevalence de la maladie renale chronique en France, Esteban. Nephrol Ther 2021",
    "R22": "Barometre de Sante publique France, tabac 2014-2023 (BEH 2020;14, 2023;9-10)",
    "R23": "INSEE tables T68/T69, quotients de mortalite 2022-2024",
    "R24": "Fouillet A et al. Grandes causes de mortalite en France en 2021. BEH 2023;(26)",
    "R25": "Epidemiologie des cardiopathies ischemiques en France. BEH 2025 HS",
    "R26": "Gabet A et al. Epidemiology of stroke in France. Arch Cardiovasc Dis 2024;117:682-92",
    "R27": "Gabet A et al. Epidemiology of heart failure in France. Arch Cardiovasc Dis 2024;117:705-14",
    "R33": "Fosse-Edorh S et al. Le poids des complications liees au diabete en France en 2013. BEH "
           "2015;34-35",
    "R36": "Fosse-Edorh S, Mandereau-Bruno L. Suivi des examens recommandes dans le diabete 2013. BEH "
           "2015;34-35",
    "R38": "Martin-Merino E et al. Incidence of retinal complications in newly diagnosed diabetes. PLoS "
           "One 2014",
    "R39": "Hicks CW, Selvin E. Epidemiology of peripheral neuropathy and lower extremity disease in "
           "diabetes. Curr Diab Rep 2019",
    "R42": "Law MR, Wald NJ, Rudnicka AR. Statins, LDL cholesterol, IHD and stroke. BMJ 2003;326:1423",
    "R43": "Law MR et al. Value of low dose combination treatment with BP lowering drugs. BMJ "
           "2003;326:1427",
    "R48": "Nuffield Dept Population Health Renal Studies Group & SMART-C. SGLT2 inhibitors and kidney "
           "outcomes. Lancet 2022;400:1788",
    "R49": "EMPA-KIDNEY Collaborative Group. Empagliflozin eGFR slope analysis",
    "R50": "Sattar N et al. GLP-1 receptor agonists CV, mortality and kidney outcomes. Lancet Diabetes "
           "Endocrinol 2021;9:653",
    "R51": "Metformin monotherapy meta-analysis (16 RCTs), EBM Guidelines summary",
    "R52": "Mearns ES et al. Antidiabetic drugs added to metformin, network meta-analysis. PLoS One 2015",
    "R54": "Duncan MS et al. Smoking cessation and subsequent CVD risk. JAMA 2019;322:642-50",
    "R55": "Mons U et al. Smoking and smoking cessation in older adults (CHANCES). BMJ 2015;350:h1551",
    "R56": "Stratton IM et al. UKPDS 35: glycaemia and complications of T2D. BMJ 2000;321:405",
    "R58": "Eriksen BO et al. GFR in healthy aging. JASN 2020",
    "R59": "Cohen E et al. Longitudinal decline in renal function with age. J Nephrol 2014;27:635-41",
    "R60": "Zoppini G et al. Predictors of eGFR decline in T2D with preserved kidney function. CJASN 2012",
    "R61": "eGFR decline in newly diagnosed T2D, 12.4-year follow-up. PMID 33766697",
    "R63": "Neter JE et al. Weight reduction and blood pressure. Hypertension 2003;42:878-84",
    "R64": "Linderman GC et al. BMI and blood pressure in 1.7 million Chinese adults. JAMA Netw Open 2018",
    "R65": "Wills AK et al. Life course trajectories of SBP in eight UK cohorts. PLoS Med 2011",
    "R66": "Howard & Rothwell (probable). Reproducibility of visit-to-visit BP variability after TIA. [M]",
    "R68": "HAS. Parcours de soins du patient adulte vivant avec un diabete de type 2 (2014, 2025)",
    "R69": "HAS/SFHTA. Prise en charge de l'HTA de l'adulte, fiche memo 2016",
    "R70": "HAS. Guide du parcours de soins - Maladie renale chronique de l'adulte (2021/2023)",
    "R77": "WHO MONICA Project, survey data book, Catalonia (BP SD)",
    "R83": "Prise en charge de l'HTA en France: ou en est-on? Rev Prat 2019;69:1072-5",
    "R87": "SGLT2 inhibitors on the French market since April 2020. Le Quotidien du Medecin (SNDS "
           "2019-2021)",
    "R92": "NCD-RisC 2020, age-specific cholesterol for the United Kingdom (age-shape proxy)",
    "R93": "Hypertens Res 2012 Japanese cohort Table 1 (TC SD 0.91-1.05; BMI SD 2.8-3.6)",
    "R94": "BJGP Open primary-care T2D cohort baseline table (HDL SD 0.3, BMI SD 4.6)",
    "R102": "Tuppin P et al. First hospitalization for heart failure in France in 2009. Arch Cardiovasc "
            "Dis 2014",
    "CR1": "clinical_reference.md section 1: SCORE2, SCORE2-OP, SCORE2-Diabetes coefficients and low-risk"
           " region scales (Eur Heart J 2021;42:2439 and 2455; 2023;44:2544), from the SCORE2 analysts' "
           "Stata code skkceu/stata, cross-checked with RiskScorescvd",
    "CR2": "clinical_reference.md section 2: AHA PREVENT base 10-year HF equations (Khan SS et al. "
           "Circulation 2024;149:430), from preventr sysdata identical to prevent10i.ado",
    "CR5": "clinical_reference.md section 5: KFRE 4-variable, non-North-American recalibration (Tangri N "
           "et al. JAMA 2016;315:164) and CKD-EPI 2021 (Inker LA et al. NEJM 2021;385:1737)",
    "STEVENS2016": "Stevens SL et al. Blood pressure variability and cardiovascular disease: systematic "
                   "review and meta-analysis. BMJ 2016;354:i4098 (long-term SBP variability, HR per 1 SD:"
                   " CVD events 1.18, CHD 1.10, stroke 1.15, CVD mortality 1.18, all-cause mortality "
                   "1.15)",
    "BANGALORE2015": "Bangalore S et al. Visit-to-visit LDL-C variability and cardiovascular outcomes: "
                     "TNT. J Am Coll Cardiol 2015;65:1539-48 (per 1 SD of LDL variability: coronary event"
                     " 1.16, any CV event 1.11, death 1.23, MI 1.10, stroke 1.17)",
    "CHOWDHURY2013": "Chowdhury R et al. Adherence to cardiovascular therapy: a meta-analysis. Eur Heart "
                     "J 2013;34:2940-8 (good vs poor adherence, CVD RR 0.85 statins / 0.81 "
                     "antihypertensives; all-cause mortality RR 0.55 / 0.71; 60% good adherers)",
    "TSAI2017": "Tsai CW et al. Longitudinal change in eGFR among CKD patients. PLoS One 2017;12:e0173843"
                " (ESRD risk +17% per 1 mL/min/1.73 m2 per year faster decline)",
    "CORESH2014": "Coresh J et al. Decline in eGFR and subsequent risk of ESRD and mortality. JAMA "
                  "2014;311:2518-31 (30% decline over 2 y: ESRD HR 5.4)",
    "ERFC2011": "Emerging Risk Factors Collaboration. Diabetes mellitus, fasting glucose, and risk of "
                "cause-specific death. NEJM 2011;364:829 [M]",
    "HART2007": "Hart RG et al. Antithrombotic therapy to prevent stroke in atrial fibrillation. Ann "
                "Intern Med 2007;146:857 (warfarin -64% stroke) [M]",
    "WOLF1991": "Wolf PA et al. Atrial fibrillation as an independent risk factor for stroke: Framingham."
                " Stroke 1991;22:983 [M]",
    "REACH2007": "Steg PG et al. One-year cardiovascular event rates in outpatients with atherothrombosis"
                 " (REACH). JAMA 2007;297:1197 [M]",
    "ANDERSEN2018": "Andersen ST et al. Risk factors for incident diabetic polyneuropathy in a cohort with "
                    "screen-detected type 2 diabetes followed for 13 years: ADDITION-Denmark. Diabetes Care "
                    "2018;41:1068-75 (per year of age HR 1.03 [1.00-1.07]; BMI HR 1.14 [1.06-1.23] per 2 "
                    "kg/m2; weight HR 1.09 per 5 kg)",
    "TESFAYE2005": "Tesfaye S et al. (EURODIAB) Vascular risk factors and diabetic neuropathy. NEJM "
                   "2005;352:341-50 (type 1 diabetes; duration, HbA1c, BMI and smoking independent; "
                   "cardiovascular disease at baseline doubles the risk of neuropathy)",
    "EDC_T1D": "Pittsburgh Epidemiology of Diabetes Complications study, Cox model of confluent distal "
               "symmetric polyneuropathy (Diabetes Care, table 3): HbA1c RR 1.6 per SD 1.8 %, duration "
               "RR 1.3 per SD 7.5 years, smoking RR 1.5 (0.98-2.2)",
    "BOYKO1999": "Boyko EJ et al. A prospective study of risk factors for diabetic foot ulcer: the Seattle "
                 "Diabetic Foot Study. Diabetes Care 1999;22:1036-42 (insulin use RR 1.6 [1.1-2.2]; 20 kg "
                 "higher weight 1.2 [1.1-1.4]; smoking unrelated in multivariate models)",
    "BOYKO2006": "Boyko EJ et al. Prediction of diabetic foot ulcer occurrence using commonly available "
                 "clinical information. Diabetes Care 2006;29:1202-7 (A1C HR 1.10 [1.06-1.15] per 1 %)",
    "LOOKER2012": "Looker HC et al. Diabetic retinopathy at diagnosis of type 2 diabetes in Scotland. "
                  "Diabetologia 2012;55:2335-42 (any retinopathy: male sex OR 1.19 [1.14-1.25])",
}

# ---------------------------------------------------------------------------------------------------------
# 1. Cohort frame (design choices)
# ---------------------------------------------------------------------------------------------------------
ENTRY_AGE_RANGE = (30.0, 80.0)  # age at the first record in the practice [assumption: brief]
HISTORY_YEARS_RANGE = (10.0, 20.0)  # length of the recorded window before the extraction date [assumption]
ACTIVATION_AGE = 30.0  # the unrecorded "burn-in" history is simulated from this age [assumption]
# Relative size of the French population by 5-year age band 30-34 ... 75-79 (INSEE pyramid ~2010,
# millions) [M]; used to draw the age at entry.
ENTRY_AGE_BAND_WEIGHTS = (3.9, 4.2, 4.5, 4.4, 4.2, 4.0, 3.8, 2.7, 2.4, 2.2)
MALE_SHARE = 0.48  # adults 30-80 in France [M, INSEE]
FRENCH_STYLE_SHARE = 0.30  # share of patients written French-style (g/L, CIM-10, ATC) [assumption: brief]
LOSS_TO_FOLLOW_UP_PER_YEAR = 0.015  # patients leaving the practice: their records just stop [assumption]
CHUNK_SIZE = 5_000  # patients simulated together (memory bound); fixed so output depends on seed only

# ---------------------------------------------------------------------------------------------------------
# 2. Risk-factor distributions by age and sex
# ---------------------------------------------------------------------------------------------------------
# Age knots used by the tables below (5-year band midpoints).
AGE_KNOTS = (32.0, 37.0, 42.0, 47.0, 52.0, 57.0, 62.0, 67.0, 72.0, 77.0, 82.0, 87.0)
# Mean SBP (mmHg), NCD-RisC France 2015 [R7, V1]. These are population means (treated included); used as
# the mean of the *untreated* latent SBP, which makes the measured mean slightly lower in treated age bands.
SBP_MEAN_MEN = (121.4, 123.0, 125.2, 128.1, 131.7, 135.4, 138.7, 141.3, 143.2, 144.5, 145.1, 145.0)
SBP_MEAN_WOMEN = (108.9, 111.2, 114.2, 117.9, 122.0, 126.2, 130.2, 133.9, 137.3, 140.5, 143.3, 146.7)
# Between-person SD (mmHg) [R7 third-party fit, M]; women below 45 raised to 11-12 as epidemiology.md §1.1
# recommends against MONICA Catalonia [R77].
SBP_SD_MEN = (13.0, 14.0, 14.1, 15.9, 18.0, 20.3, 15.6, 17.2, 18.4, 19.2, 16.5, 16.4)
SBP_SD_WOMEN = (11.0, 11.5, 12.0, 12.5, 13.4, 15.9, 12.3, 14.6, 16.6, 18.5, 20.3, 22.3)
# The NCD-RisC means include treated people: the untreated latent mean is raised by the average effect of
# treatment at that age so that measured means match the table [calibrated].
SBP_TREATMENT_CORRECTION = ((30.0, 0.0), (45.0, 1.0), (55.0, 2.5), (65.0, 4.5), (75.0, 7.0), (85.0, 9.0))
SBP_PERSISTENT_SHARE = 0.75  # share of between-person SBP variance that is a lifelong trait [assumption, R65]
SBP_AR1 = 0.80  # year-to-year autocorrelation of the non-persistent part [assumption]
# Individual SBP trajectories differ in slope around the population curve (Wills 2011, R65); person slope
# SD 0.3 mmHg/yr around age 55 [assumption on the SD]: a rising SBP history predicts a higher future SBP.
SBP_PERSON_SLOPE_SD = 0.3
SBP_PERSON_SLOPE_CENTRE_AGE = 55.0
# Mean DBP (mmHg) by age: ENNS 18-74 mean 77.8, men +3.1 [R4/R5, V1]; rise to ~55 then fall [M].
DBP_MEAN_MEN = (76.0, 78.0, 80.0, 82.0, 83.0, 83.5, 83.0, 81.5, 80.0, 78.0, 76.0, 74.0)
DBP_MEAN_WOMEN = (72.0, 73.5, 75.0, 77.0, 78.0, 78.5, 78.5, 77.5, 76.5, 75.0, 73.5, 72.0)
DBP_SD = 9.5  # MONICA Catalonia 9.3-11.4 [R77, V1]
DBP_SBP_LOADING = 0.60  # correlation of latent DBP with latent SBP [assumption]

# Lipids. LDL-C mean 3.36 mmol/L at 18-74, no sex difference [R8, V2+]; age shape taken from the UK TC
# proxy [R92] (LDL = 3.36 + 0.8 x (TC_UK(age, sex) - 5.05)) [derived].
LDL_MEAN_MEN = (3.10, 3.26, 3.37, 3.40, 3.41, 3.36, 3.27, 3.15, 3.03, 2.88, 2.74, 2.62)
LDL_MEAN_WOMEN = (2.96, 3.10, 3.24, 3.42, 3.59, 3.72, 3.76, 3.69, 3.61, 3.49, 3.39, 3.30)
LDL_SD = 0.85  # TC SD 0.9-1.05 [R93, R94] minus HDL/TG share [derived]
# HDL-C mean (mmol/L): UK proxy [R92, V1 proxy]; log-normal with log-SD 0.22 (SD ~0.3-0.4 [R94]).
HDL_MEAN_MEN = (1.38, 1.38, 1.38, 1.38, 1.39, 1.40, 1.41, 1.41, 1.41, 1.41, 1.41, 1.41)
HDL_MEAN_WOMEN = (1.65, 1.66, 1.68, 1.70, 1.73, 1.74, 1.75, 1.74, 1.73, 1.73, 1.73, 1.73)
HDL_LOG_SD = 0.22
# Triglycerides: median 1.25 (men) / 1.00 (women) mmol/L, log-SD 0.48 [M, typical European population].
TG_MEDIAN_MEN = 1.25
TG_MEDIAN_WOMEN = 1.00
TG_LOG_SD = 0.48
LIPID_PERSISTENT_SHARE = 0.80  # [assumption]
LIPID_AR1 = 0.70

# BMI (kg/m2): means by age chosen so that obesity ~17% at 18-74 and overweight-or-obese ~54% men / 44%
# women [R19, R20]; log-normal with log-SD 0.16 (SD 3.2-4.6 [R93, R94]) [calibrated].
BMI_MEAN_MEN = (25.0, 25.6, 26.1, 26.5, 26.8, 27.1, 27.3, 27.4, 27.3, 26.9, 26.4, 25.8)
BMI_MEAN_WOMEN = (23.6, 24.1, 24.6, 25.1, 25.6, 26.0, 26.3, 26.5, 26.6, 26.3, 25.8, 25.2)
BMI_LOG_SD = 0.155
BMI_PERSISTENT_SHARE = 0.90
BMI_AR1 = 0.85
# Adult height (cm): France, men 175 / women 162.5, SD 7 / 6.5; earlier birth cohorts shorter by
# ~0.1 cm per year of birth before 1975 [M, INSEE/ObEpi].
HEIGHT_MEAN = {"male": 175.0, "female": 162.5}
HEIGHT_SD = {"male": 7.0, "female": 6.5}
HEIGHT_COHORT_CM_PER_YEAR = 0.10

# HbA1c (%) without diabetes: mean 5.35 at 30 rising 0.008 %/yr, SD 0.33 [M; consistent with 9.9% prediabetes
# by FPG in Esteban R12].
A1C_ND_MEAN_AT_30 = 5.35
A1C_ND_SLOPE_PER_YEAR = 0.008
A1C_ND_SD = 0.33

# Urine albumin/creatinine (mg/mmol): log-normal, median 0.6 mg/mmol (~5 mg/g), log-SD 0.75 [M, general
# population]; drift upwards with hyperglycaemia and BP (below, section 4).
UACR_MEDIAN = 0.6
UACR_LOG_SD = 0.75
UACR_VISIT_LOG_SD = 0.40  # within-person day-to-day variability of ACR (CV ~40%) [M]

# Correlation of the persistent person-level components (order below). No French correlation matrix was
# found [X in epidemiology.md §2]; magnitudes are [assumption] within the range of population studies;
# SBP-BMI from +2.4 mmHg per SD of BMI (NHANES, R100) and +0.8-1.7 mmHg per kg/m2 (R64).
TRAITS = ("sbp", "dbp", "ldl", "hdl", "tg", "bmi", "a1c", "uacr")
TRAIT_CORRELATIONS = {
    ("sbp", "bmi"): 0.25,
    ("sbp", "tg"): 0.15,
    ("sbp", "a1c"): 0.10,
    ("sbp", "uacr"): 0.20,
    ("dbp", "bmi"): 0.15,
    ("ldl", "bmi"): 0.10,
    ("ldl", "tg"): 0.25,
    ("hdl", "bmi"): -0.35,
    ("hdl", "tg"): -0.40,
    ("tg", "bmi"): 0.35,
    ("a1c", "bmi"): 0.30,
    ("a1c", "tg"): 0.20,
    ("uacr", "bmi"): 0.10,
    ("uacr", "a1c"): 0.10,
}

# Smoking (Barometre SPF [R22]): daily smoking ~24% at 18-75, ex-smokers ~32%. At age 30 [calibrated]:
SMOKING_CURRENT_AT_30 = {"male": 0.42, "female": 0.34}
SMOKING_FORMER_AT_30 = {"male": 0.12, "female": 0.12}
SMOKING_WOMEN_BORN_BEFORE_1950_FACTOR = 0.55  # older female cohorts smoked less [R22 qualitative; M]
SMOKING_QUIT_PER_YEAR = ((30.0, 0.025), (50.0, 0.035), (65.0, 0.050), (80.0, 0.060))  # [calibrated]
SMOKING_RELAPSE_PER_YEAR = 0.010  # [assumption]
SMOKING_START_PER_YEAR_UNDER_45 = 0.002  # [assumption]
SMOKING_QUIT_AFTER_CV_EVENT = 0.40  # quit at an MI/stroke [M: cardiac-rehab cohorts]

# ---------------------------------------------------------------------------------------------------------
# 3. Diabetes, kidney and other chronic processes
# ---------------------------------------------------------------------------------------------------------
# Incidence of type 2 diabetes per year by age (knots = AGE_KNOTS) for a person of average BMI and HbA1c
# trait [calibrated to treated-diabetes prevalence 0.4% <45, 6.3% 45-64, 14.2% 65-74, 14.8% >=75 (R14) and
# ~20% of men at 75-84 (R96), with 23% undiagnosed (R12)].
DM_INCIDENCE = (
    0.0009,
    0.0016,
    0.0026,
    0.0040,
    0.0055,
    0.0070,
    0.0083,
    0.0092,
    0.0094,
    0.0090,
    0.0082,
    0.0074,
)
DM_INCIDENCE_MALE_HR = 1.35  # sex ratio of prevalence 1.45 (R13, R15) [calibrated]
DM_INCIDENCE_BMI_LOG_HR_PER_UNIT = 0.085  # ~x2.3 per 10 kg/m2 [M]
DM_INCIDENCE_A1C_TRAIT_LOG_HR = 0.85  # per SD of the HbA1c trait [assumption]
# Untreated HbA1c path after onset (%): onset level 6.5 + lognormal excess (median 0.45), then drift
# ~N(0.08, 0.08) %/yr, below the UKPDS conventional arm (+0.1-0.2 %/yr, [M] epidemiology.md §2) because
# that arm was partly treated; [calibrated] to a mean HbA1c of ~7.1-7.6% in treated T2D (Entred 2007, R18).
DM_ONSET_EXCESS_MEDIAN = 0.45
DM_ONSET_EXCESS_LOG_SD = 0.6
DM_DRIFT_MEAN = 0.08
DM_DRIFT_SD = 0.08
DM_A1C_AR_SD = 0.25
A1C_MAX = 14.0
# Detection of diabetes: probability per year that an undiagnosed diabetic is tested positive [calibrated so
# that ~23% of diabetes is undiagnosed, R12].
DM_DETECT_BASE = 0.15
DM_DETECT_EXTRA_HTN = 0.08
DM_DETECT_EXTRA_OBESE = 0.05

# eGFR (CKD-EPI 2021, mL/min/1.73 m2). Start at age 30 ~N(112, 11) [M]; healthy decline -0.82 below 50 and
# -1.15 at >=50 per year (longitudinal, R59), lower in the cross-section of healthy people (-0.72, R58):
# base slopes below are [calibrated] so that eGFR<60 is ~6.5% at 65-74 (R21) with the disease terms added.
EGFR_AT_30_MEAN = 112.0
EGFR_AT_30_SD = 11.0
EGFR_BASE_SLOPE = ((30.0, -0.45), (50.0, -0.60), (65.0, -0.75), (80.0, -0.85))
EGFR_PERSON_SLOPE_SD = 0.25
EGFR_YEAR_NOISE_SD = 0.7
# Extra decline per year (Zoppini 2012, T2D with eGFR>=60, R60): hypertension -1.0, HbA1c>=7 -1.0,
# microalbuminuria -1.3, macroalbuminuria -2.7 (relative to -0.2 in the normotensive normoalbuminuric).
EGFR_SLOPE_HYPERTENSION = -0.2  # applied when treated SBP >= 140 [R60, scaled]
EGFR_SLOPE_DIABETES = -0.3
EGFR_SLOPE_DIABETES_A1C_GE7 = -0.7
EGFR_SLOPE_A2 = -0.8
EGFR_SLOPE_A3 = -2.7
# A minority declines fast once disease is present: 15.6% of T2D >4%/yr averaging -5.8/yr (R60), 11.4% <=-3/yr
# in new T2D (R61) [calibrated].
EGFR_RAPID_SHARE_DIABETES = 0.10
EGFR_RAPID_SHARE_OTHER = 0.02
EGFR_RAPID_EXTRA_SLOPE = -2.0
EGFR_FLOOR = 4.0
EGFR_CEILING = 130.0
# Albuminuria drift (log mg/mmol per year) [assumption, calibrated so that ~30% of T2D have ACR>=3 mg/mmol
# and ~1-2% of all adults ACR>30]:
UACR_DRIFT_PER_A1C_POINT_ABOVE_6_5 = 0.035
UACR_DRIFT_PER_10MMHG_ABOVE_130 = 0.03
UACR_DRIFT_AGE_OVER_50 = 0.006
UACR_ONSET_DIABETES_SHIFT = 0.20

# Atrial fibrillation incidence per year by age (men), women x0.7; prevalence ~10% at >=80 and doubling each
# decade after 50 [R98 M] [calibrated]; hazard ratios [M, Framingham/CHARGE-AF risk factors].
AF_INCIDENCE_MEN = (
    (40.0, 0.00013),
    (50.0, 0.0004),
    (60.0, 0.0009),
    (70.0, 0.0023),
    (80.0, 0.0050),
    (90.0, 0.0085),
)
AF_WOMEN_HR = 0.70
AF_HR_HYPERTENSION = 1.5
AF_HR_PER_5_BMI_ABOVE_25 = 1.20
AF_HR_DIABETES = 1.25
AF_HR_HEART_FAILURE = 2.5
AF_HR_PRIOR_MI = 1.4

# ---------------------------------------------------------------------------------------------------------
# 4. Treatments: availability, prescribing (guideline logic with clinical inertia), effects, adherence
# ---------------------------------------------------------------------------------------------------------
# First year each class is prescribed in France [M except SGLT2i: April 2020, R87].
AVAILABLE_FROM = {
    "statin": 1990,
    "ezetimibe": 2005,
    "ace_inhibitor": 1985,
    "arb": 1996,
    "calcium_channel_blocker": 1980,
    "thiazide_diuretic": 1960,
    "beta_blocker": 1970,
    "loop_diuretic": 1965,
    "mineralocorticoid_antagonist": 1960,
    "metformin": 1960,
    "sulfonylurea": 1960,
    "dpp4_inhibitor": 2008,
    "glp1_receptor_agonist": 2010,
    "sglt2_inhibitor": 2020,
    "insulin": 1950,
    "antiplatelet": 1980,
    "anticoagulant_vka": 1960,
    "anticoagulant_doac": 2012,
}
SEMAGLUTIDE_FROM = 2019  # [M]
# Adherence: person trait, Beta(a, b) with mean PDC 64% (R83 [V1]) and <1 in 3 above 80% among statin users
# (R9 [V1]); Chowdhury 2013 reports 60% good adherers across studies (CHOWDHURY2013).
ADHERENCE_BETA = (2.6, 1.45)
GOOD_ADHERENCE = 0.80  # threshold used by CHOWDHURY2013
# A poor adherer skips yearly renewals (visible as gaps in MedicationRequest): P(skip) = factor x (1 - a).
RENEWAL_SKIP_FACTOR = 0.5
# Stopping a drug class per year: base x (1 - a) / (1 - mean adherence) [assumption].
STOP_STATIN_BASE = 0.05
STOP_ANTIHYPERTENSIVE_BASE = 0.02
STOP_GLUCOSE_BASE = 0.02

# Hypertension: diagnosis when treated SBP >= 140 or DBP >= 90 is noticed; awareness ~55% (R2), treated
# 72.6% of aware (R2), controlled 55% of treated (R3) [calibrated probabilities]; thresholds HAS/SFHTA 2016
# and ESC 2018/2024 (R69).
HTN_THRESHOLD_SBP = 140.0
HTN_THRESHOLD_DBP = 90.0
HTN_TREAT_THRESHOLD_HIGH_RISK = 130.0  # diabetes, CKD or established CVD [ESC 2024 M]
HTN_DETECT_PER_YEAR = 0.10
HTN_START_AT_DIAGNOSIS = 0.35
HTN_START_PER_YEAR = 0.08
HTN_TITRATE_PER_YEAR = 0.08  # add a class when above target: clinical inertia [calibrated to R3]
HTN_MAX_CLASSES = 4
# Relative preference for the next antihypertensive class (exponential race, ACEi and ARB never together).
# French class shares are [X] (epidemiology.md §1.2); weights are [assumption] giving RAS first in ~50%.
# With diabetes a RAS blocker always comes first (ESC 2024 / KDIGO).
HTN_CLASS_WEIGHTS = {
    "ras": 3.0,
    "calcium_channel_blocker": 1.5,
    "thiazide_diuretic": 1.0,
    "beta_blocker": 0.4,
}
ARB_SHARE_OF_RAS = 0.45  # [assumption]
# SBP fall per standard-dose class, placebo-adjusted: 9.1 mmHg, +1.0 per 10 mmHg higher pre-treatment SBP
# (reference ~154 mmHg), effects additive across classes (R43 [V1]); DBP falls 5.5/9.1 of that.
SBP_DROP_PER_CLASS = 9.1
SBP_DROP_BASELINE_REF = 154.0
SBP_DROP_PER_10_ABOVE_REF = 1.0
DBP_TO_SBP_DROP = 5.5 / 9.1
SBP_DROP_LOOP = 4.0  # [M]
SBP_DROP_MRA = 6.0  # [M]
SBP_DROP_SGLT2 = 4.0  # -1.9 to -5.4 (R52)
SBP_DROP_GLP1 = 3.0  # (R52)

# Statins: LDL -35-40% moderate intensity, -55-60% high intensity (R42 [V2+]); ezetimibe -20% more [M].
LDL_REDUCTION_STATIN = 0.38
LDL_REDUCTION_STATIN_HIGH = 0.52
LDL_REDUCTION_EZETIMIBE = 0.20
TG_REDUCTION_STATIN = 0.12  # [M]
# Statin start probabilities per year [calibrated: 28% of 65-74 on lipid-lowering drugs in 2015 (R8),
# 8.8% at 18-74; 63.8% of T2D on a lipid-lowering drug (R17)].
STATIN_AFTER_EVENT = 0.85
STATIN_HIGH_AFTER_EVENT = 0.75
STATIN_LDL_GE_4_9 = 0.25
STATIN_DIABETES = 0.12
# SCORE2 >= 7.5% (<70 y) or >= 15% (>=70 y) and LDL >= 2.6 (ESC 2021 thresholds, CR6.1):
STATIN_HIGH_RISK = 0.06
STATIN_CKD = 0.08
STATIN_BEFORE_2000_FACTOR = 0.5
STATIN_AGE_OVER_80_FACTOR = 0.4
EZETIMIBE_SECONDARY_LDL_ABOVE = 1.8  # mmol/L, ESC/EAS 2019 high-risk goal (CR6.2)
EZETIMIBE_PER_YEAR = 0.10
DYSLIPIDAEMIA_CODED_AT_STATIN = 0.7  # [assumption]

# Diabetes drugs. HbA1c %-point falls: metformin ~1.0-1.3 (R51), SU 1.0-1.5, DPP-4i 0.5-0.8, SGLT2i 0.5-0.8,
# GLP-1 RA 1.0-1.5, basal insulin 1.0-2.0 [M]; applied with diminishing returns above a 5.5% floor.
A1C_DROP = {
    "metformin": 1.0,
    "sulfonylurea": 1.0,
    "dpp4_inhibitor": 0.6,
    "sglt2_inhibitor": 0.6,
    "glp1_receptor_agonist": 1.1,
    "insulin": 1.5,
}
A1C_TREATED_FLOOR = 5.5
# 79% of diagnosed diabetes pharmacologically treated (R12); HbA1c target <7% (ESC 2023, CR6.4) [calibrated].
METFORMIN_AT_DIAGNOSIS = 0.60
METFORMIN_PER_YEAR_A1C_GE7 = 0.40
METFORMIN_PER_YEAR_A1C_6_5_TO_7 = 0.12
SECOND_LINE_PER_YEAR = 0.45  # HbA1c >= 7% on one agent
THIRD_LINE_PER_YEAR = 0.25  # HbA1c >= 7.5% on two agents
# Insulin: Entred 3 (2019, R17) finds 22.5 % of pharmacologically treated type 2 diabetes on insulin (oral
# agents + insulin 18 %, insulin alone 4.5 %). With 0.30/yr above 8.5 % the cohort had 16.5 % of treated
# diabetes on insulin in 2019; threshold 8.0 % (HAS 2013: insulin when HbA1c stays above 8 % on oral agents [M])
# and 0.40/yr [calibrated] give 24.9 % of treated (21.5 % of diagnosed) diabetes on insulin on 2019-07-01
# (20 000 patients, seed 7).
INSULIN_PER_YEAR = 0.40  # HbA1c >= 8.0% on two or more agents
INSULIN_A1C_THRESHOLD = 8.0
CARDIORENAL_SGLT2_PER_YEAR = 0.25  # T2D with ASCVD, HF or CKD from 2020 (ESC 2023 I A, CR6.4)
CARDIORENAL_GLP1_PER_YEAR = 0.08  # T2D with ASCVD and BMI >= 30 from 2016 [assumption]
CKD_SGLT2_NON_DIABETIC_FROM = 2022  # dapagliflozin CKD indication [M]
CKD_SGLT2_NON_DIABETIC_PER_YEAR = 0.12  # eGFR 20-60 with ACR >= 20 mg/mmol (HAS via R70)
METFORMIN_STOP_EGFR = 30.0
SGLT2_MIN_EGFR = 20.0
# Weight effects (kg, at measurement): GLP-1 RA -2.5, SGLT2i -1.5 (R52 -1.2 to -2.3), insulin +2, SU +1.5 [M].
WEIGHT_EFFECT_KG = {
    "glp1_receptor_agonist": -2.5,
    "sglt2_inhibitor": -1.5,
    "insulin": 2.0,
    "sulfonylurea": 1.5,
}
# Albuminuria falls (log-ratio): RAS blockade ~-30% [M], SGLT2i -30% [R48/R49], GLP-1 RA -20% (R50).
UACR_LOG_DROP = {"ras": 0.35, "sglt2_inhibitor": 0.30, "glp1_receptor_agonist": 0.20}
RAS_FOR_ALBUMINURIA_PER_YEAR = 0.30  # ACR >= 3 mg/mmol with diabetes or hypertension (KDIGO, CR6.5)
# eGFR slope: SGLT2i halves the chronic slope (-2.75 -> -1.37/yr, R49) and dips eGFR by 2.1 at start;
# RAS blockade slows the disease part by 20% in albuminuric patients [M].
SGLT2_SLOPE_FACTOR = 0.5
SGLT2_ACUTE_EGFR_DIP = 2.1
RAS_SLOPE_FACTOR_ALBUMINURIA = 0.8

# After events (guideline secondary prevention, ESC) [assumption probabilities]:
AFTER_MI = {"antiplatelet": 0.90, "beta_blocker": 0.70, "ras": 0.60}
AFTER_STROKE = {"antiplatelet": 0.80, "antihypertensive": 0.60}
AFTER_HF = {
    "loop_diuretic": 0.80,
    "beta_blocker": 0.70,
    "ras": 0.75,
    "mineralocorticoid_antagonist": 0.35,
    "sglt2_inhibitor": 0.50,
}
HF_SGLT2_FROM = 2021
AFTER_AF = {"anticoagulant": 0.70, "beta_blocker": 0.50}
PCI_AFTER_MI = 0.56  # 55.9% of hospitalised IHD stented (R25)

# ---------------------------------------------------------------------------------------------------------
# 5. Event hazards: published equations (coefficients from clinical_reference.md, CR1, CR2, CR5)
# ---------------------------------------------------------------------------------------------------------
SCORE2 = {  # SCORE2 40-69 y, 10-year CVD; [V2+] CR1 §1.1
    "male": {
        "cage": 0.3742,
        "smoking": 0.6012,
        "csbp": 0.2777,
        "diabetes": 0.6457,
        "ctc": 0.1458,
        "chdl": -0.2698,
        "smoking_cage": -0.0755,
        "csbp_cage": -0.0255,
        "diabetes_cage": -0.0983,
        "ctc_cage": -0.0281,
        "chdl_cage": 0.0426,
        "s0": 0.9605,
        "scale1": -0.569857,
        "scale2": 0.747593,
    },
    "female": {
        "cage": 0.4648,
        "smoking": 0.7744,
        "csbp": 0.3131,
        "diabetes": 0.8096,
        "ctc": 0.1002,
        "chdl": -0.2606,
        "smoking_cage": -0.1088,
        "csbp_cage": -0.0277,
        "diabetes_cage": -0.1272,
        "ctc_cage": -0.0226,
        "chdl_cage": 0.0613,
        "s0": 0.9776,
        "scale1": -0.737966,
        "scale2": 0.701868,
    },
}
SCORE2_OP = {  # SCORE2-OP >= 70 y, published rounded set and low-region scales; CR1 §1.2
    "male": {
        "cage": 0.0634,
        "diabetes": 0.4245,
        "diabetes_cage": -0.0174,
        "smoking": 0.3524,
        "smoking_cage": -0.0247,
        "csbp": 0.0094,
        "csbp_cage": -0.0005,
        "ctc": 0.0850,
        "ctc_cage": 0.0073,
        "chdl": -0.3564,
        "chdl_cage": 0.0091,
        "mean_lp": 0.0929,
        "s0": 0.7576,
        "scale1": -0.34,
        "scale2": 1.19,
    },
    "female": {
        "cage": 0.0789,
        "diabetes": 0.6010,
        "diabetes_cage": -0.0107,
        "smoking": 0.4921,
        "smoking_cage": -0.0255,
        "csbp": 0.0102,
        "csbp_cage": -0.0004,
        "ctc": 0.0605,
        "ctc_cage": -0.0009,
        "chdl": -0.3040,
        "chdl_cage": 0.0154,
        "mean_lp": 0.2288,
        "s0": 0.8082,
        "scale1": -0.52,
        "scale2": 1.01,
    },
}
SCORE2_DIABETES = {  # SCORE2-Diabetes 40-69 y; same S0 and region scales as SCORE2; CR1 §1.4 [V2+]
    "male": {
        "cage": 0.5368,
        "smoking": 0.4774,
        "csbp": 0.1322,
        "diabetes": 0.6457,
        "ctc": 0.1102,
        "chdl": -0.1087,
        "smoking_cage": -0.0672,
        "csbp_cage": -0.0268,
        "diabetes_cage": -0.0983,
        "ctc_cage": -0.0181,
        "chdl_cage": 0.0095,
        "diabetes_cagediab": -0.0998,
        "ca1c": 0.0955,
        "cegfr": -0.0591,
        "cegfr2": 0.0058,
        "ca1c_cage": -0.0134,
        "cegfr_cage": 0.0115,
    },
    "female": {
        "cage": 0.6624,
        "smoking": 0.6139,
        "csbp": 0.1421,
        "diabetes": 0.8096,
        "ctc": 0.1127,
        "chdl": -0.1568,
        "smoking_cage": -0.1122,
        "csbp_cage": -0.0167,
        "diabetes_cage": -0.1272,
        "ctc_cage": -0.0200,
        "chdl_cage": 0.0186,
        "diabetes_cagediab": -0.1180,
        "ca1c": 0.1173,
        "cegfr": -0.0640,
        "cegfr2": 0.0062,
        "ca1c_cage": -0.0196,
        "cegfr_cage": 0.0169,
    },
}
PREVENT_HF = {  # PREVENT base 10-year heart failure, log-odds; CR2 [V2+]
    "male": {
        "age": 0.8972642,
        "sbp_lo": -0.6811466,
        "sbp_hi": 0.3634461,
        "diabetes": 0.923776,
        "smoking": 0.5023736,
        "bmi_lo": -0.0485841,
        "bmi_hi": 0.3726929,
        "egfr_lo": 0.6926917,
        "egfr_hi": 0.0251827,
        "bptreat": 0.2980922,
        "bptreat_sbp_hi": -0.0497731,
        "age_sbp_hi": -0.1289201,
        "age_diabetes": -0.3040924,
        "age_smoking": -0.1401688,
        "age_bmi_hi": 0.0068126,
        "age_egfr_lo": -0.1797778,
        "constant": -3.946391,
    },
    "female": {
        "age": 0.8998235,
        "sbp_lo": -0.4559771,
        "sbp_hi": 0.3576505,
        "diabetes": 1.038346,
        "smoking": 0.583916,
        "bmi_lo": -0.0072294,
        "bmi_hi": 0.2997706,
        "egfr_lo": 0.7451638,
        "egfr_hi": 0.0557087,
        "bptreat": 0.3534442,
        "bptreat_sbp_hi": -0.0981511,
        "age_sbp_hi": -0.0946663,
        "age_diabetes": -0.3581041,
        "age_smoking": -0.1159453,
        "age_bmi_hi": -0.003878,
        "age_egfr_lo": -0.1884289,
        "constant": -4.310409,
    },
}
KFRE_4VAR = {  # Tangri 4-variable, non-North-American 2-year baseline; CR5 [V1 + M]
    "age": -0.2201,
    "male": 0.2467,
    "egfr": -0.5567,
    "lnacr": 0.4510,
    "age_c": 7.036,
    "male_c": 0.5642,
    "egfr_c": 7.222,
    "lnacr_c": 5.137,
    "s0_2y": 0.9832,
}
KFRE_MAX_EGFR = 60.0  # KFRE is for CKD G3-G5
CKD_EPI_2021 = {
    "kappa": {"male": 0.9, "female": 0.7},
    "alpha": {"male": -0.302, "female": -0.241},
    "beta": -1.200,
    "a": 142.0,
    "age_base": 0.9938,
    "female": 1.012,
}
UMOL_PER_MG_CREATININE = 88.4  # CR §7

# A 10-year risk averages the hazard over the coming decade; the annual hazard at age a is taken as the
# 10-year risk of the same person 5 years younger (mid-point rule), otherwise re-evaluating the equation every
# year would count ageing twice [derived]. KFRE (2-year risk) uses 1 year.
TEN_YEAR_RISK_AGE_SHIFT = 5.0
TWO_YEAR_RISK_AGE_SHIFT = 1.0
# SCORE2 has no kidney terms although CKD raises cardiovascular risk (hence the SCORE2-CKD add-on); the
# kidney terms of the PREVENT total-CVD model with UACR (CR2, preventr `uacr_10yr`, [V1]) are applied as
# log-hazard ratios, centred at eGFR 90 and UACR 10 mg/g: eGFR spline below 60 (with its age interaction)
# and above 60, ln(UACR mg/g).
KIDNEY_CVD_TERMS = {
    "male": {"egfr_lo": 0.3841364, "egfr_hi": 0.009384, "age_egfr_lo": -0.1321848, "ln_uacr": 0.1887974},
    "female": {"egfr_lo": 0.4803511, "egfr_hi": 0.0434472, "age_egfr_lo": -0.1389249, "ln_uacr": 0.1793037},
}
KIDNEY_CVD_UACR_REFERENCE_MG_G = 10.0
# Time course of treatment and exposure effects: CVD hazard follows a running (exponentially weighted) mean of
# SBP and total cholesterol rather than today's value. LDL lowering cuts IHD events by 11% in year 1, 24% in
# year 2, 33% in years 3-5 and 36% after (Law 2003, R42): time constant ~2 years [derived]; the BP effect is
# maximal at 12 months (BPLTTC, R47): ~1 year [derived]. Usual (long-term) levels predict better than one
# reading (regression dilution, MacMahon S et al. Lancet 1990;335:765 [M]).
CHOLESTEROL_EXPOSURE_TIME_CONSTANT_YEARS = 2.0
SBP_EXPOSURE_TIME_CONSTANT_YEARS = 1.0
# Cumulative cholesterol exposure ("legacy"): cumulative LDL-C raises CVD risk independently of traditional
# risk factors (HR 1.053 per 100 mg/dL x years, CARDIA, Domanski MJ et al. JACC 2020;76:1507) and of midlife
# LDL-C (Zhang Y et al. JAMA Cardiol 2021;6:1406); residual risk on statins (Lieb W et al. Open Heart
# 2018;5:e000722). The TC fed to SCORE2 is a mix of the recent running mean and a 10-year running mean
# [assumption: the weight and time constant].
EXPOSURE_LONG_MEMORY_YEARS = 10.0
EXPOSURE_LONG_MEMORY_WEIGHT = 0.5
# Treated hypertension keeps a higher risk at the same blood pressure: PREVENT total-CVD antihypertensive-use
# term and its interaction with (max(SBP, 110) - 130) / 20 (CR2, [V2+]), applied as log-hazard ratios.
BP_TREATED_TERMS = {"male": (0.288879, -0.0475924), "female": (0.3151672, -0.0663612)}
# HbA1c without diabetes (SCORE2 ignores it): CHD hazard ratios 0.96 (<5.0%), 1 (5.0-5.5), 1.23 (5.5-6.0),
# 1.78 (6.0-6.5) adjusted for lipids, BMI and other factors; stroke similar (Selvin E et al. NEJM
# 2010;362:800, ARIC) [V1]. Lower bounds of the bands (%) and their HR:
NONDIABETIC_HBA1C_HR = ((0.0, 0.96), (5.0, 1.0), (5.5, 1.23), (6.0, 1.78))
# Calibration of the equations to this cohort [calibrated]: SCORE2 is calibrated to the low-risk region
# (France), but the multipliers above and in section 6 are not all centred on 1 (treated hypertension, kidney
# disease, HbA1c): the SCORE2 hazard is scaled so that the observed 10-year CVD incidence at 40-69 stays
# ~1.2 x the mean SCORE2-family prediction (the excess is undiagnosed diabetes, CKD, AF, former smokers;
# benchmarks/synth.py --calibration prints both). PREVENT-HF is US-derived: scaled towards first HF
# hospitalisation ~0.5%/yr at >=55 (R102).
CVD_HAZARD_SCALE = 0.75
HF_HAZARD_SCALE = 0.45
# Secondary prevention: recurrent CV events after MI/stroke ~4-5%/yr in established atherothrombosis
# (REACH2007) -> multiplier on the SCORE2 hazard [M, calibrated].
PRIOR_CVD_HR = 2.5
HF_HR_PRIOR_MI = 2.5  # [M]
HF_HR_AF = 2.0  # [M]
STROKE_HR_AF_UNTREATED = 2.5  # adjusted RR 2-3 (crude ~4.8, WOLF1991) [M]
STROKE_ANTICOAGULATION_RRR = 0.64  # HART2007 [M]
SGLT2_HR_HF = 0.77  # CV death or HF hospitalisation (R48)
SGLT2_HR_CV_DEATH = 0.85  # [M, R48 composite]
GLP1_HR_MACE = 0.86  # (R50)
GLP1_HR_HF = 0.90  # (R50)
# Trial effects of treatment beyond the equations' observational gradients: SCORE2 gives ~14% per mmol/L of
# TC and ~13% per 10 mmHg SBP, trials give 22% per mmol/L of LDL lowered (CTT 2010, R40 [V2+]) and 20%
# MACE per 10 mmHg SBP lowered (Ettehad 2016, R45 [V1]); the difference is applied to the treatment-induced
# fall only. Antiplatelet therapy in secondary prevention: serious vascular events RR 0.81 (ATT
# Collaboration, Lancet 2009;373:1849) [M].
CTT_RR_PER_MMOL_LDL = 0.78
BP_TRIAL_RR_PER_10_MMHG = 0.80
ANTIPLATELET_SECONDARY_RR = 0.81

# Split of a SCORE2 event (CV death + non-fatal MI + non-fatal stroke). ESC: total CVD ~3x fatal CVD in men,
# ~4x in women, lower ratio in the elderly [M, ESC 2016 §2.3]; stroke share rises with age (mean age 73 for
# stroke vs 69 for IHD, R25/R26) [assumption].
FATAL_SHARE = ((40.0, 0.12), (50.0, 0.16), (65.0, 0.22), (80.0, 0.30), (90.0, 0.36))
FATAL_SHARE_WOMEN_FACTOR = 0.85
STROKE_SHARE_NONFATAL = ((40.0, 0.30), (60.0, 0.38), (80.0, 0.52), (90.0, 0.58))
STROKE_SHARE_WOMEN_EXTRA = 0.08
ISCHAEMIC_STROKE_SHARE = 0.78  # (R26)
# Cause-of-death mix of fatal SCORE2 events [assumption; IHD 22.7% and cerebrovascular 22.6% of circulatory
# deaths (R24) plus sudden and other cardiac deaths]:
FATAL_CAUSE_SHARES = {"mi": 0.35, "stroke": 0.30, "sudden": 0.25, "other_cv": 0.10}
FATAL_IN_HOSPITAL_SHARE = 0.5  # fatal MI/stroke admitted before death (Condition recorded) [assumption]

# Heart failure, kidney failure and dialysis mortality:
HF_DEATH_PER_YEAR = 0.07  # chronic HF; 1-year death after hospitalisation 24% (R103) [M]
KF_FAST_DECLINE_YEARS = (0.5, 2.0)  # a KFRE event sets off decline to dialysis within this time [assumption]
KF_DIALYSIS_EGFR = 9.0  # dialysis starts around eGFR 8-10 [M]
KF_SLOW_PATH_PER_YEAR = 0.25
# KFRE (non-North-American) over-predicts in this general-practice cohort once ageing and the slow path are
# added: scaled towards REIN incidence of treated ESKD ~150 per million per year, median age >= 70 (R35)
# [calibrated].
KF_HAZARD_SCALE = 0.35  # eGFR < 9 reached slowly: dialysis started (others conservative care) [assumption]
DIALYSIS_DEATH_PER_YEAR = 0.15  # [M, REIN registry order of magnitude]

# Non-CV death: INSEE probability of dying within one year per 1000 (2022-2024 mean, table 68) [R23, V1].
INSEE_QX_AGES = (30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90)
INSEE_QX_MEN = (0.78, 1.03, 1.53, 2.23, 3.47, 5.50, 8.39, 13.03, 18.76, 26.97, 43.35, 78.20, 145.33)
INSEE_QX_WOMEN = (0.28, 0.42, 0.71, 1.13, 1.82, 2.85, 4.25, 6.35, 9.52, 14.28, 25.78, 51.60, 104.77)
QX_MAX = 500.0  # cap of the log-linear extrapolation beyond 90 [assumption]
# Circulatory share of deaths by age: 12% <65, 26.4% >=85 (R24, 2021) [V1]; interpolated between.
CV_DEATH_SHARE = ((30.0, 0.12), (65.0, 0.12), (85.0, 0.264), (100.0, 0.264))
# Relative non-CV mortality [M]: current smoking ~1.9, former 1.3 (R55 and large cohorts); diabetes 1.4
# (ERFC2011: cancer 1.25, other non-vascular 1.73); eGFR <45 1.5, <30 2.0 (CKD Prognosis Consortium);
# BMI >= 35 1.3, < 20 1.3. Normalised each year so the cohort average matches INSEE.
NONCV_HR = {
    "current_smoker": 1.9,
    "former_smoker": 1.3,
    "diabetes": 1.4,
    "egfr_lt45": 1.5,
    "egfr_lt30": 2.0,
    "bmi_ge35": 1.3,
    "bmi_lt20": 1.3,
}
NONCV_CAUSES = (  # (ICD-10, display, weight under 75, weight at 75+) [assumption, causes of death R24]
    ("C34.9", "Malignant neoplasm of bronchus or lung, unspecified", 0.14, 0.06),
    ("C18.9", "Malignant neoplasm of colon, unspecified", 0.06, 0.05),
    ("C50.9", "Malignant neoplasm of breast, unspecified", 0.04, 0.02),
    ("C80.9", "Malignant neoplasm, primary site unspecified", 0.22, 0.14),
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified", 0.05, 0.07),
    ("J18.9", "Pneumonia, unspecified organism", 0.04, 0.09),
    ("F03", "Unspecified dementia", 0.01, 0.14),
    ("G30.9", "Alzheimer disease, unspecified", 0.01, 0.08),
    ("K74.6", "Other and unspecified cirrhosis of liver", 0.06, 0.02),
    ("X59", "Exposure to unspecified factor", 0.10, 0.06),
    ("X84", "Intentional self-harm by unspecified means", 0.07, 0.01),
    ("R99", "Other ill-defined and unspecified causes of mortality", 0.20, 0.26),
)

# ---------------------------------------------------------------------------------------------------------
# 6. Longitudinal signals the equations cannot see (the reason history carries information)
# ---------------------------------------------------------------------------------------------------------
# Visit-to-visit SBP variability: each person has a within-person SD sigma_i (mmHg) of clinic SBP around the
# latent level; log-normal, median 9 at age 55 rising 0.08/yr, CV 0.35 [assumption anchored on epidemiology
# .md §2: MAD 14.7-16.0 mmHg, SD ~13-14 in post-TIA cohorts (R66, R67), lower in general practice].
BPV_MEDIAN_AT_55 = 9.0
BPV_MEDIAN_PER_YEAR = 0.08
BPV_LOG_SD = 0.35
# Hazard ratio per 1 between-person SD of sigma_i (STEVENS2016): CHD 1.10 (used for MI), stroke 1.15,
# CVD mortality 1.18 (used for fatal events), CVD events 1.18 (heart failure not pooled: 1.0).
BPV_HR_PER_SD = {"mi": 1.10, "stroke": 1.15, "fatal": 1.18, "hf": 1.0, "noncv_death": 1.0}
# Visit-to-visit LDL variability: person SD of LDL around its level (mmol/L), log-normal median 0.20,
# log-SD 0.45 [assumption]; HR per 1 SD (BANGALORE2015): MI 1.10, stroke 1.17, any CV event 1.11.
LDLV_MEDIAN = 0.20
LDLV_LOG_SD = 0.45
LDLV_HR_PER_SD = {"mi": 1.10, "stroke": 1.17, "fatal": 1.11}
# Glycaemic history: UKPDS 35 (R56) per 1%-point higher *updated mean* HbA1c: MI +14% (HR 1/0.86),
# microvascular +37% -> HR 1/0.63 = 1.59, heart failure +16% (HR 1/0.84). The updated mean since diagnosis
# (not the current value) feeds the SCORE2-Diabetes HbA1c term and these multipliers.
UKPDS_HR_PER_A1C_POINT = {"mi": 1.0 / 0.86, "stroke": 1.12, "hf": 1.0 / 0.84, "microvascular": 1.0 / 0.63}
UKPDS_REFERENCE_A1C = 7.0
# eGFR slope: kidney failure risk +17% per 1 mL/min/1.73 m2/yr faster decline (TSAI2017, consistent with
# CORESH2014); CV events and death +3% per unit of decline beyond 1/yr [assumption, half of the unadjusted
# gradient of a 40% decline in 2 years: CV HR 1.67, death 1.98 (AJMC 2021)].
EGFR_SLOPE_HR_KF = 1.17
EGFR_SLOPE_HR_CV = 1.03
EGFR_SLOPE_HR_DEATH = 1.03
EGFR_SLOPE_MAX_EFFECT = 12.0  # cap on the decline entering the multiplier
# Adherence (CHOWDHURY2013): good (>=80%) vs poor adherence among treated people: CVD RR 0.83 (mean of
# 0.85 statin, 0.81 antihypertensive); all-cause death RR 0.71-0.55 -> 0.75 used for non-CV death (the
# "healthy adherer" effect); normalised so the treated-population average multiplier is 1.
ADHERENCE_HR_CVD = 0.83
ADHERENCE_HR_NONCV_DEATH = 0.75
# Former smokers keep a share of the current-smoker log-hazard that fades with time since quitting:
# share = 0.25 + 0.50 exp(-years/10) [derived: former vs current CV death HR 1.37 vs 2.07 (R55) gives an
# average share ~0.4; CVD HR 0.61 vs continuing smokers within 5 years (R54)].
FORMER_SMOKER_SHARE_FLOOR = 0.25
FORMER_SMOKER_SHARE_INITIAL = 0.50
FORMER_SMOKER_DECAY_YEARS = 10.0

# ---------------------------------------------------------------------------------------------------------
# 7. Microvascular complications of diabetes (diagnosed type 2 diabetes)
# ---------------------------------------------------------------------------------------------------------
# Retinopathy: 28% at 9 years after a new diagnosis (R38) -> ~3.6%/yr at an updated mean HbA1c ~7%;
# x1.59 per %-point (R56); -13% per 10 mmHg lower SBP for microvascular end points (UKPDS 38/36) [M].
# Men x1.19 (LOOKER2012: any retinopathy at first screening after diagnosis, OR used as a hazard ratio
# [assumption on the transfer]; UKPDS 50 also finds male sex a risk factor for progression).
# Calibration target: recorded retinopathy in about 30 % of people with diabetes in France ("environ 30 % des
# diabetiques", French ophthalmology teaching, campus UNF3S 2014 [M]; Entred 2007: laser treatment reported by
# 16.6 % of type 2 diabetes (R105-era BEH) [V1], a lower bound). The former base 0.042 reproduced the UK
# incidence of R38 (28 % at 9 years) but recorded retinopathy in 36.6 % of diagnosed diabetes aged 40-89 on
# 2019-07-01; 0.032 [calibrated] gives 31.7 % (2019) and 34.0 % (2025) (20 000 patients, seed 7), so the
# 9-year incidence now falls below R38's UK figure.
RETINOPATHY_BASE = 0.032
RETINOPATHY_HR_MALE = 1.19
# Duration of diagnosed diabetes is the strongest predictor of retinopathy and neuropathy after glycaemia
# (WESDR: prevalence ~20 % before 5 y to ~60 % after 15 y of type 2 diabetes; EURODIAB: neuropathy rises with
# duration). Hazard ratios per year, centred on a typical 8-year duration so the base rates above keep their
# meaning [assumption, shape from WESDR/EURODIAB, not a fitted estimate; neuropathy 1.05 vs EDC_T1D 1.3 per
# 7.5 years = 1.036].
MICRO_REFERENCE_DURATION_YEARS = 8.0
RETINOPATHY_HR_PER_YEAR_DIAGNOSED = 1.08
NEUROPATHY_HR_PER_YEAR_DIAGNOSED = 1.05
MICRO_HR_PER_10_SBP_ABOVE_140 = 1.13
# Neuropathy: ~50% lifetime (R39), i.e. ~2-2.5%/yr in diagnosed diabetes (mean yearly hazard ~2 500 per
# 100 000 before the change below; base [calibrated] to keep it). Effects (all multiplicative):
# - HbA1c HR 1.30 per %-point of the updated mean (EDC_T1D: 1.6 per SD 1.8 % = 1.30 per %);
# - age HR 1.03 per year at every age, centred on 60 (ANDERSEN2018, type 2; was: only over 60);
# - BMI HR 1.14 per 2 kg/m2, centred on 29 kg/m2 (ANDERSEN2018; TESFAYE2005 finds BMI independent too);
# - prior myocardial infarction or stroke HR 2.0 (TESFAYE2005: "double the risk", type 1 diabetes [assumption
#   that it transfers to type 2]);
# - current smoking 1.3 (TESFAYE2005 independent; EDC_T1D RR 1.5, 0.98-2.2; note Adler 1997 found an inverse
#   association in US veterans, so the lower end is used).
# Height (Adler 1997: taller people develop neuropathy more often) is left out: no effect size was verified.
NEUROPATHY_BASE = 0.018
NEUROPATHY_HR_PER_A1C_POINT = 1.30
NEUROPATHY_HR_AGE_PER_YEAR = 1.03
NEUROPATHY_AGE_CENTRE = 60.0
NEUROPATHY_HR_PER_2_BMI = 1.14
NEUROPATHY_BMI_CENTRE = 29.0
NEUROPATHY_HR_PRIOR_CVD = 2.0
NEUROPATHY_HR_SMOKING = 1.3
# Foot ulcer: lifetime ~25% once neuropathy is present (R39) -> 2%/yr; without neuropathy 0.2%/yr;
# 680 hospitalised foot wounds per 100 000 diabetics per year (R33) [calibrated]. Effects from the Seattle
# Diabetic Foot Study: insulin use RR 1.6 (BOYKO1999, a marker of advanced diabetes, not a cause), HbA1c
# HR 1.10 per %-point (BOYKO2006, centred on 7 %), 20 kg more body weight RR 1.2 (BOYKO1999, centred on 80 kg);
# smoking was unrelated to ulcer risk in both studies (HR 1.0; was 1.3 from R39 qualitative).
FOOT_ULCER_WITH_NEUROPATHY = 0.027
FOOT_ULCER_WITHOUT = 0.0027
FOOT_ULCER_HR_SMOKING = 1.0
FOOT_ULCER_HR_INSULIN = 1.6
FOOT_ULCER_HR_PER_A1C_POINT = 1.10
FOOT_ULCER_HR_PER_20_KG = 1.2
FOOT_ULCER_WEIGHT_CENTRE_KG = 80.0
FOOT_ULCER_HEAL_YEARS = (0.15, 0.6)  # ulcers heal (Condition resolved) [assumption]
# Amputation: 260 per 100 000 diabetics per year (R33) -> concentrated after ulcers [calibrated].
AMPUTATION_AFTER_ULCER = 0.06
AMPUTATION_OTHER = 0.0006

# ---------------------------------------------------------------------------------------------------------
# 8. Primary-care visits and tests (what ends up in the record)
# ---------------------------------------------------------------------------------------------------------
# GP visits per year by age (interpolated) [assumption: GP visit frequency is [X]], plus
# extra visits for chronic conditions (HAS follow-up intervals R68-R70).
VISITS_BY_AGE = ((30.0, 1.2), (45.0, 1.3), (65.0, 1.7), (80.0, 2.4), (90.0, 3.0))  # (age, visits/yr)
VISITS_EXTRA = {"hypertension": 0.8, "diabetes": 1.5, "cvd": 1.0, "heart_failure": 2.0, "ckd3b": 1.0}
P_BP_AT_VISIT = 0.85
P_BP_AT_VISIT_HYPERTENSION = 0.95
P_WEIGHT_AT_VISIT = 0.35
P_HEIGHT_AT_VISIT = 0.03
P_SMOKING_AT_VISIT = 0.10
P_SMOKING_AT_VISIT_SMOKER = 0.20
# Tests per year (R36: T2D 2013 -> >=3 HbA1c 51%, lipids 74%, creatinine 84%, UACR 30%; HAS intervals):
TEST_RATE = {
    "lipids": {"base": 0.22, "treated_or_diabetes": 0.80, "hypertension": 0.40},
    "hba1c": {"base": 0.08, "obese": 0.20, "diabetes": 2.8},
    "creatinine": {"base": 0.25, "age65": 0.50, "hypertension": 0.75, "diabetes": 0.90, "ckd": 2.0},
    "uacr": {"base": 0.01, "hypertension": 0.10, "diabetes": 0.33, "ckd": 0.50},
}
P_GLUCOSE_WITH_PANEL = 0.80
EYE_EXAM_PER_YEAR_DIABETES = 0.40  # ophthalmology visit within 2 years: 62% (R36)
FOOT_EXAM_PER_YEAR_DIABETES = 0.25  # [assumption]
HTN_CODED_PROBLEM_LIST = 0.90  # a diagnosed hypertension gets a Condition [assumption]
CKD_CODED_PER_YEAR = 0.50  # eGFR < 60 twice a year apart -> CKD stage coded [assumption]

# Measurement noise (within-person, analytic + biological) [M]:
NOISE = {
    "dbp_from_sbp": 0.60,
    "hba1c": 0.15,
    "glucose": 0.6,
    "hdl_cv": 0.07,
    "tg_cv": 0.20,
    "ldl_cv": 0.06,
    "creatinine_cv": 0.05,
    "bmi": 0.35,
}
TG_FRIEDEWALD_MAX = 4.5  # mmol/L: LDL not calculated above (French labs print "non calculable") [M]

# Data-quality defects written on purpose into 0.5% of lab results (the app must catch them):
# - "missing_unit": valueQuantity without unit/system/code;
# - "mislabelled_unit": a lipid or glucose value in mmol/L labelled mg/dL (US style) or a g/L value labelled
#   mmol/L (French style: the g/L-vs-mmol/L trap of clinical_reference.md §7);
# - "creatinine_unit_swap": a creatinine in mg/dL labelled umol/L, or in umol/L labelled mg/dL.
DEFECT_SHARE = 0.005
DEFECT_KINDS = ("missing_unit", "mislabelled_unit", "creatinine_unit_swap")

# ---------------------------------------------------------------------------------------------------------
# 9. Guideline thresholds and smaller modelling choices
# ---------------------------------------------------------------------------------------------------------
LDL_VERY_HIGH = 4.9  # mmol/L (1.9 g/L): treat regardless of risk (ESC/EAS 2019; R8 threshold)
LDL_PRIMARY_TARGET = 2.6  # mmol/L (CR6.2)
SCORE2_HIGH_RISK_UNDER_70 = 0.075  # ESC 2021 (CR6.1), simplified to one cut-point below 70
SCORE2_HIGH_RISK_70_PLUS = 0.15
A1C_TARGET = 7.0  # % (ESC 2023, CR6.4)
A1C_DIAGNOSTIC = 6.5  # %
EGFR_CKD = 60.0  # KDIGO G3a
EGFR_CKD_3B = 45.0
ACR_A2 = 3.0  # mg/mmol (KDIGO A2)
ACR_A3 = 30.0  # mg/mmol (KDIGO A3)
ACR_SGLT2_CKD = 20.0  # mg/mmol (HAS via R70)
OBESITY_BMI = 30.0
A1C_AR1, UACR_AR1, DM_A1C_AR1 = 0.80, 0.70, 0.70  # year-to-year autocorrelations [assumption]
A1C_PERSISTENT_SHARE, UACR_PERSISTENT_SHARE = 0.80, 0.70  # [assumption]
SMOKING_FORMER_YEARS_AT_30 = 8.0  # former smokers at 30 quit up to this many years before [assumption]
KIDNEY_CONSERVATIVE_DEATH_PER_YEAR = 0.25  # eGFR < 9 without dialysis [assumption]
DIALYSIS_EGFR = (6.5, 1.5)  # latent eGFR on dialysis (mean, SD) [assumption]
STROKE_CODED_UNSPECIFIED_SHARE = 0.5  # ischaemic strokes coded I64 / 230690007 [assumption]
SUDDEN_SHARE_OF_CORONARY_DEATHS = 0.6  # I46.1 rather than I25.9 [assumption]
P_REVIEW_WITHOUT_CHRONIC_CARE = 0.85  # a yearly GP visit for people without chronic care [assumption]
REVIEW_DAYS_AFTER_EVENT = 7.0  # treatment changes at discharge [assumption]
DYSLIPIDAEMIA_CODED_HIGH_LDL = 0.3  # LDL >= 4.9 seen, dyslipidaemia coded that year [assumption]
STATIN_INTENSIFY_AFTER_EVENT = 0.6  # moderate -> high intensity after MI/stroke (ESC) [assumption]
STATIN_SECONDARY_PER_YEAR = 0.12  # prior MI/stroke not on a statin [assumption]
AF_ANTICOAGULATION_CATCH_UP = 0.10  # untreated AF started on an anticoagulant per year [assumption]
DOAC_SHARE = 0.85  # of new anticoagulation once DOACs are available [M]
# Second-line glucose-lowering choice weights (French class shares are [X]; [assumption] reflecting the
# post-2020 rise of SGLT2i, R87).
SECOND_LINE_WEIGHTS_FROM_2020 = {
    "sglt2_inhibitor": 0.45,
    "dpp4_inhibitor": 0.25,
    "glp1_receptor_agonist": 0.15,
    "sulfonylurea": 0.15,
}
SECOND_LINE_WEIGHTS_BEFORE_2020 = {"sulfonylurea": 0.5, "dpp4_inhibitor": 0.5, "glp1_receptor_agonist": 0.075}
GLP1_WEIGHT_OBESE_FACTOR = 3.0
# Fasting-state glucose from HbA1c (mmol/L) ~ 5.2 + 1.6 x (HbA1c% - 5.4): slope of the ADAG relation
# (eAG mg/dL = 28.7 HbA1c - 46.7, Nathan DM et al. Diabetes Care 2008) scaled to fasting values [M].
GLUCOSE_AT_A1C_5_4 = 5.2
GLUCOSE_PER_A1C_POINT = 1.6
FOLLOW_UP_VISIT_DAYS = (10.0, 30.0)  # GP visit after discharge [assumption]
REGISTRATION_VISIT_DAYS = 14.0  # first visit within this many days of entry [assumption]
# The reading that made a diagnosis is diagnostic: at that review HbA1c >= 6.5% (+|N| x 0.5), SBP >= 140
# (+|N| x 6 mmHg), eGFR below the stage's upper limit (- U(0.5, 3)) [assumption: values are interpolated
# between two 1 January levels and could otherwise fall just short].
DIAGNOSTIC_MARGIN = {"hba1c": 0.5, "sbp": 6.0, "egfr": 3.0}
ADMISSION_DAYS = {"MI": 5, "STROKE": 9, "HF": 8, "DIALYSIS": 3, "AMPUTATION": 12}  # length of stay [M]

# ---------------------------------------------------------------------------------------------------------
# 10. QRISK3's record-rich predictors: conditions and treatments SCORE2 does not read
# ---------------------------------------------------------------------------------------------------------
# Each person may carry each condition from an onset age (uniform in its window) on, for life (a recorded
# diagnosis stays on the problem list; the two treatments are continued once started). "Ever" probabilities are
# [calibrated] so that the prevalence among patients aged 30-84 in the practice on 2019-07-01 matches the
# cited French prevalence (QRISK3_PREVALENCE_TARGETS; checked by checks.qrisk3_prevalence, printed by
# benchmarks/synth.py --calibration). The conditions are drawn independently of the other risk factors
# [assumption: no joint French data], except that atypical antipsychotics follow severe mental illness and
# some long-term corticosteroid courses follow rheumatoid arthritis.
QRISK3_CONDITIONS = (*QRISK3_DIAGNOSES, "corticosteroids", "atypical_antipsychotic")  # the record's own list
QRISK3_SOURCES = {
    "rheumatoid_arthritis": "0.2-0.5 % of French adults, 3-4 women for 1 man (Saraux A et al., Epidemiologie de "
    "la polyarthrite rhumatoide en France et dans le monde, La Lettre du Rhumatologue; Societe Francaise de "
    "Rhumatologie: 0.3-0.5 %); onset mostly 40-60 [V1]",
    "sle": "47.0 per 100 000, 88 % women (Arnaud L et al. Prevalence and incidence of SLE in France: a 2010 "
    "nation-wide population-based study. Autoimmun Rev 2014;13:1082-9) [V1]",
    "migraine": "7.9 % standardised, women 11.2 %, men 4.0 % (Henry P et al. Prevalence and clinical "
    "characteristics of migraine in France. Neurology 2002;59:232) [V1]; FRAMIG 3 finds 11.2 % strict migraine "
    "(Lanteri-Minet M et al. Pain 2005) [V1]. The record holds every diagnosis [assumption: FRAMIG 2000 finds "
    "82 % of migraine sufferers without medical follow-up, so a real record holds fewer]",
    "severe_mental_illness": "QRISK3's definition (schizophrenia, bipolar disorder, other psychoses, severe "
    "depression): about 2 % [assumption: psychotic disorders ~0.7-1 % and bipolar disorder ~1 % of French "
    "adults, Assurance Maladie cartographie des pathologies and Inserm summaries, not verified]",
    "erectile_dysfunction": "a recorded diagnosis or treatment, men only, rising with age [assumption: about 30 % "
    "of French men report erectile dysfunction (Giuliano F et al. Eur Urol 2002) [M], far fewer have it "
    "recorded; the share recorded here is chosen, not measured]",
    "family_history_chd": "a first-degree relative with CHD before 60, known at registration [assumption: no "
    "French population figure found; 10 % chosen]",
    "corticosteroids": "long-term oral glucocorticoids (>= 90 days) 0.97 % of people aged 15+, 44 % men, "
    "rising with age (Couvaras L et al. Ann Rheum Dis 2017;76(Suppl 2):1454; Trijau S et al. RMD Open "
    "2016;2:e000249, French health-insurance data) [V1]; about 3 % at 70-80 (Fardet L et al. Rev Med Interne "
    "2011) [M]",
    "atypical_antipsychotic": "antipsychotic users about 1-2 % of French adults [M: ANSM]; here 60 % of severe "
    "mental illness [assumption] plus a few other users (dementia, agitation) [assumption]",
}
# Cited prevalence among patients aged 30-84 in the practice (female, male) and the generator's tolerance: the
# simulated prevalence must lie within QRISK3_PREVALENCE_TOLERANCE (relative) of the target.
QRISK3_PREVALENCE_TARGETS = {
    "rheumatoid_arthritis": (0.0050, 0.0016),
    "sle": (0.00083, 0.00012),
    "migraine": (0.112, 0.040),
    "severe_mental_illness": (0.022, 0.018),
    "erectile_dysfunction": (0.0, 0.07),
    "family_history_chd": (0.10, 0.10),
    "corticosteroids": (0.011, 0.009),
    "atypical_antipsychotic": (0.016, 0.014),
}
QRISK3_PREVALENCE_TOLERANCE = 0.25
# Onset age window (years) and lifetime probability (female, male) [calibrated]. Family history is known from
# the first record on (onset = entry to the practice).
QRISK3_ONSET_AGES = {
    "rheumatoid_arthritis": (30.0, 75.0),
    "sle": (20.0, 55.0),
    "migraine": (15.0, 45.0),
    "severe_mental_illness": (18.0, 45.0),
    "erectile_dysfunction": (40.0, 85.0),
    "corticosteroids": (30.0, 95.0),
    "atypical_antipsychotic": (30.0, 95.0),
}
QRISK3_EVER = {
    "rheumatoid_arthritis": (0.0070, 0.0030),
    "sle": (0.0010, 0.00015),
    "migraine": (0.118, 0.038),
    "severe_mental_illness": (0.024, 0.020),
    "erectile_dysfunction": (0.0, 0.165),
    "family_history_chd": (0.10, 0.10),
    "corticosteroids": (0.024, 0.020),
    "atypical_antipsychotic": (0.0050, 0.0045),
}
ANTIPSYCHOTIC_SHARE_OF_SMI = 0.60  # started at the diagnosis of severe mental illness [assumption]
CORTICOSTEROID_SHARE_OF_RA = 0.30  # long-term oral glucocorticoids started with RA (61 % of long-term users
# have a recognised indication, Benard-Laribiere A et al. BMJ Open 2017;7:e015905) [assumption on the share]
# Effect on the cardiovascular hazard (MI, stroke, fatal CVD): QRISK3-2017 main-effect coefficients, i.e. the
# log hazard ratio at QRISK3's centring age (about 43), applied at every age [simplification: QRISK3's age
# interactions are not reproduced, so a Cox fit on the generated data can recover one hazard ratio per
# condition] (Hippisley-Cox J et al. BMJ 2017;357:j2099; the values of risk/equations/qrisk3_coefficients.py
# MAIN, copied so the simulator stays independent of the product's equations). Women have no erectile
# dysfunction term. The product of the multipliers is divided each year by its mean over the patients being
# recorded, so the SCORE2-based calibration (CVD_HAZARD_SCALE) keeps its meaning: SCORE2's populations
# included people with these conditions.
QRISK3_LOG_HR = {
    "female": {
        "rheumatoid_arthritis": 0.21364803435181942,
        "sle": 0.75880938654267693,
        "migraine": 0.301267260870345,
        "severe_mental_illness": 0.12555308058820178,
        "erectile_dysfunction": 0.0,
        "family_history_chd": 0.45445319020896213,
        "corticosteroids": 0.59520725304601851,
        "atypical_antipsychotic": 0.25237642070115557,
    },
    "male": {
        "rheumatoid_arthritis": 0.20970658013956567,
        "sle": 0.4401572174457522,
        "migraine": 0.25584178074159913,
        "severe_mental_illness": 0.12133039882047164,
        "erectile_dysfunction": 0.22251859086705383,
        "family_history_chd": 0.54055469009390156,
        "corticosteroids": 0.45485399750445543,
        "atypical_antipsychotic": 0.13046879855173513,
    },
}

# Targets checked by tests/test_synth.py and printed by benchmarks/synth.py (not used by the simulation).
CALIBRATION_TARGETS = {
    "mean_sbp_by_age_sex": "NCD-RisC France 2015 (R7) within about 6 mmHg, measured values",
    "diabetes_prevalence": "diagnosed T2D 45-64 ~6%, 65-74 ~14% (R14), ~20% of men 75-84 (R96)",
    "smoking_current_30_75": "~20-27% (R22)",
    "cvd_10y_40_69": "SCORE2 low-risk region: a few % over 10 years (CR1, epidemiology.md §4.4)",
    "egfr_lt60_65_74": "~6.5% (R21)",
    "obesity": "~17% (R19)",
}
