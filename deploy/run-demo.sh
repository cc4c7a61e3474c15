#!/usr/bin/env bash
# The README's run command, after set-up: the reference county (Open311) on 127.0.0.1:8311 in demo mode
# (the only mode in which it accepts the kiosk's shipped key, demo-kiosk-key), with a clerk "demo" whose
# password is made anew each run and printed; the sync service; and the kiosk, with two demo workers
# (demo-worker, and demo-admin), their passwords also made anew and printed. Ctrl-C stops all three.
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
# The demo's community workers, a worker and an administrator (who also reads the audit log): added the
# first time, given new passwords every time ("worker 'demo-worker' reset; password: …").
WORKER_PASSWORD=$($BIN/flask --app kiosk workers add demo-worker --display-name "示范社工" --reset)
WORKER_PASSWORD=${WORKER_PASSWORD##*password: }
ADMIN_PASSWORD=$($BIN/flask --app kiosk workers add demo-admin --role admin --display-name "示范管理员" --reset)
ADMIN_PASSWORD=${ADMIN_PASSWORD##*password: }

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$BIN/python -m county.serve --demo --host 127.0.0.1 --port "$COUNTY_PORT" &
pids+=($!)
$BIN/python -m sync.process &
pids+=($!)
# Every page prompt, spoken at normal speed, rendered beside the running kiosk (about two minutes the
# first time, nothing afterwards); until a prompt is there, it is rendered when first asked for.
$BIN/flask --app kiosk voice build --speed normal &
pids+=($!)
echo "Sync service started: it sends saved requests to $KIOSK_COUNTY_URL and brings status back."
echo "County clerk page (change a request's status there): http://127.0.0.1:$COUNTY_PORT/clerk"
echo "  log in as: demo    password: $CLERK_PASSWORD    (a new one each run)"
echo "Worker pages (on the kiosk, or a phone on the same network): http://127.0.0.1:$PORT/worker/login"
echo "  log in as: demo-worker    password: $WORKER_PASSWORD"
echo "         or: demo-admin     password: $ADMIN_PASSWORD    (also reads the audit log; new passwords each run)"
$BIN/python -m kiosk.serve --host "$HOST" --port "$PORT"
