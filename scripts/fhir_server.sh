#!/usr/bin/env bash
# A local SEKMET FHIR R4 server for tests and demos, on loopback only
# (recipe: shared/reference/fhir_ecosystem.md section 1.5).
#
#   scripts/fhir_server.sh start                  start it (returns once /metadata answers); prints the base URL
#   scripts/fhir_server.sh stop                   stop it (by its pid) and delete its data
#   scripts/fhir_server.sh status                 say whether it runs
#   scripts/fhir_server.sh load DIR_OR_FILES...   POST transaction bundles (*.json, *.json.gz; a folder: all of them)
#
# Environment:
#   RISK_TEST_FHIR_PORT   port (default 8090)
#   RISK_TEST_FHIR_WORK   scratch folder for settings, data, log and pid (default ${TMPDIR:-/tmp}/risk-fhir-$PORT)
#   RISK_TEST_FHIR_TOKEN  if set, the server only accepts this bearer token, and `load` sends it
#   SEKMET                the server executable (default: `sekmet` beside this venv's python, else on PATH)
# A POSTed transaction gets new server ids; the response bundle says which.
set -euo pipefail

PORT="${RISK_TEST_FHIR_PORT:-8090}"
WORK="${RISK_TEST_FHIR_WORK:-${TMPDIR:-/tmp}/risk-fhir-$PORT}"
BASE="http://127.0.0.1:$PORT/fhir"
PIDFILE="$WORK/server.pid"
HERE="$(cd "$(dirname "$0")/.." && pwd)"

find_sekmet() {
  if [[ -n "${SEKMET:-}" ]]; then echo "$SEKMET"; return; fi
  for candidate in "$HERE/.venv/bin/sekmet" "$(dirname "$(command -v python3 || echo /nonexistent)")/sekmet"; do
    if [[ -x "$candidate" ]]; then echo "$candidate"; return; fi
  done
  command -v sekmet || { echo "sekmet not found: pip install sekmet-fhir==0.1.1 (or set SEKMET)" >&2; exit 3; }
}

auth_args=()
if [[ -n "${RISK_TEST_FHIR_TOKEN:-}" ]]; then auth_args=(-H "Authorization: Bearer $RISK_TEST_FHIR_TOKEN"); fi

running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  if running; then echo "$BASE"; return; fi
  local sekmet; sekmet="$(find_sekmet)"
  mkdir -p "$WORK/data"
  umask 077
  {
    echo "base_url: $BASE"
    echo "host: 127.0.0.1"
    echo "port: $PORT"
    echo "data_dir: $WORK/data"
    echo 'validation: {inbound: "off"}'
    echo "simulator: {enabled: false}"
    echo "log_inbound: false"
    if [[ -n "${RISK_TEST_FHIR_TOKEN:-}" ]]; then
      echo "server_auth: {types: [bearer], tokens: ['$RISK_TEST_FHIR_TOKEN']}"
    fi
  } > "$WORK/settings.yaml"
  # </dev/null and its own log: a background server must not hold the caller's pipes open
  (cd "$WORK" && exec nohup "$sekmet" serve --config "$WORK/settings.yaml" > "$WORK/server.log" 2>&1 < /dev/null) &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 150); do
    if curl -sf -o /dev/null "${auth_args[@]}" "$BASE/metadata"; then echo "$BASE"; return; fi
    if ! running; then break; fi
    sleep 0.2
  done
  echo "SEKMET did not start on port $PORT; last lines of $WORK/server.log:" >&2
  tail -n 20 "$WORK/server.log" >&2 || true
  stop >/dev/null 2>&1 || true
  exit 1
}

stop() {
  if [[ ! -f "$PIDFILE" ]]; then echo "not running (no $PIDFILE)"; return; fi
  if running; then
    local pid; pid="$(cat "$PIDFILE")"
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
  fi
  rm -f "$PIDFILE"
  rm -rf "$WORK/data"  # only ours: the pid file says this folder was started by this script
  echo "stopped"
}

post() {  # post FILE: one transaction bundle, gzipped or not
  local file="$1" code
  if [[ "$file" == *.gz ]]; then
    code="$(gzip -dc "$file" | curl -s -o /dev/null -w '%{http_code}' -X POST "${auth_args[@]}" \
      -H 'Content-Type: application/fhir+json' --data-binary @- "$BASE")"
  else
    code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "${auth_args[@]}" \
      -H 'Content-Type: application/fhir+json' --data-binary @"$file" "$BASE")"
  fi
  echo "$code $(basename "$file")"
  [[ "$code" == 2* ]]
}

load() {
  [[ $# -gt 0 ]] || { echo "usage: $0 load DIR_OR_FILES..." >&2; exit 2; }
  local failed=0 arg file
  for arg in "$@"; do
    if [[ -d "$arg" ]]; then
      shopt -s nullglob
      for file in "$arg"/*.json "$arg"/*.json.gz; do post "$file" || failed=1; done
      shopt -u nullglob
    else
      post "$arg" || failed=1
    fi
  done
  return "$failed"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running at $BASE (pid $(cat "$PIDFILE"))"; else echo "not running"; exit 1; fi ;;
  load) shift; load "$@" ;;
  *) echo "usage: $0 start|stop|status|load DIR_OR_FILES..." >&2; exit 2 ;;
esac
