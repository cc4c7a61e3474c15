#!/usr/bin/env bash
# The README's run command, after set-up: the reference county (Open311) on 127.0.0.1:8311 in demo mode
# (the only mode in which it accepts the kiosk's shipped key, demo-kiosk-key), with a clerk "demo" whose
# password is made anew each run and printed; the sync worker; and the kiosk. Ctrl-C stops all three.
# Point KIOSK_COUNTY_URL elsewhere for a real county (then this script still starts the reference county,
# which nothing talks to; use deploy/ units instead).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-0.0.0.0}
PORT=${PORT:-8080}
COUNTY_PORT=${COUNTY_PORT:-8311}
export KIOSK_COUNTY_URL=${KIOSK_COUNTY_URL:-http://127.0.0.1:$COUNTY_PORT}
# The demo looks at the county often, so a status changed by the clerk shows within half a minute.
export KIOSK_SYNC_PROBE_SECONDS=${KIOSK_SYNC_PROBE_SECONDS:-10}
export KIOSK_SYNC_STATUS_SECONDS=${KIOSK_SYNC_STATUS_SECONDS:-20}

$BIN/flask --app kiosk init-db
$BIN/flask --app kiosk catalogue load
$BIN/flask --app kiosk addresses load   # the demo address book goes with the demo catalogue
# The demo clerk: added the first time, given a new password every time ("clerk 'demo' …; password: …").
CLERK_PASSWORD=$($BIN/flask --app county clerk add demo --generate --reset)
CLERK_PASSWORD=${CLERK_PASSWORD##*password: }

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$BIN/python -m county.serve --demo --host 127.0.0.1 --port "$COUNTY_PORT" &
pids+=($!)
$BIN/flask --app kiosk sync run &
pids+=($!)
# Every page prompt, spoken at normal speed, rendered beside the running kiosk (about two minutes the
# first time, nothing afterwards); until a prompt is there, it is rendered when first asked for.
$BIN/flask --app kiosk voice build --speed normal &
pids+=($!)
echo "Sync worker started: it sends saved requests to $KIOSK_COUNTY_URL and brings status back."
echo "County clerk page (change a request's status there): http://127.0.0.1:$COUNTY_PORT/clerk"
echo "  log in as: demo    password: $CLERK_PASSWORD    (a new one each run)"
$BIN/python -m kiosk.serve --host "$HOST" --port "$PORT"
