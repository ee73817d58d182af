#!/usr/bin/env bash
# Set up and run the whole test suite (lint, unit, integration with a real FHIR server, browser end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check risk tests benchmarks validation scripts app.py asgi.py
exec .venv/bin/python -m pytest -q -ra "$@"
