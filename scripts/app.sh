#!/usr/bin/env bash
# Set up and start the dashboard on the bundled sample patients and models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/streamlit run app.py --server.headless true "$@"
