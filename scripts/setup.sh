#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install the project; `setup.sh test` adds test tools and system packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = "test" ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
  # Debian chromium for the end-to-end browser tests (Playwright cannot download its own browser here).
  if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
      || echo "setup: chromium could not be installed; browser tests will be skipped with a reason" >&2
  fi
  # wrk for benchmarks/cds_load.py (load on `risk serve`).
  if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get install -y -qq wrk >/dev/null 2>&1 || ($SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk \
      >/dev/null) || echo "setup: wrk could not be installed; benchmarks/cds_load.py says so" >&2
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
