#!/usr/bin/env bash
# Retrain the shipped models, the one documented command: 100,000 synthetic patients (`risk synth --seed 2026`),
# then `risk train` of all five models (equation-anchored, 3 landmarks, 6 bootstrap members) into models/ with
# their cards, metrics and validation-gate verdicts. About 2 + 25 minutes and up to 12 GB on 2 cores; runs under
# `nice`. Prints the wall time. Environment: PYTHON (default .venv/bin/python), OUT (default models),
# COHORT (default a temporary folder, removed at the end), PATIENTS (default 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
OUT=${OUT:-models}
PATIENTS=${PATIENTS:-100000}
TMP=$(mktemp -d)
COHORT=${COHORT:-$TMP/cohort}
trap 'rm -rf "$TMP"' EXIT
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
start=$(date +%s)
nice -n 10 "$PYTHON" -c 'import sys; from risk.cli import main; sys.exit(main(sys.argv[1:]))' \
    synth --patients "$PATIENTS" --seed 2026 --out "$COHORT"
nice -n 10 "$PYTHON" -c 'import sys; from risk.cli import main; sys.exit(main(sys.argv[1:]))' \
    train --source "$COHORT" --out "$OUT" --synthetic --landmarks 3 --bootstrap 6 \
    --description "synthetic cohort from risk synth ($PATIENTS patients, seed 2026)"
# cvd10's external check on the NAFLD cohort, written into its card (needs ../shared/datasets; skipped without it).
if [ -f ../shared/datasets/nafld_cohort.csv ]; then
    nice -n 10 "$PYTHON" validation/nafld.py --update-card --models-dir "$OUT"
fi
echo "retrain wall time: $(( $(date +%s) - start )) s"
