#!/usr/bin/env bash
# Rotate the data key of an installed box (docs/operations.md): the services are stopped, a backup is
# made, every sealed value is re-sealed with a new key (flask data rotate-key, crash-safe), the new key
# replaces the credential in /etc/kiosk/credentials, and the services start again. Run as root.
set -euo pipefail
PREFIX=${KIOSK_PREFIX:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${KIOSK_DATA:-/var/lib/kiosk} ETC=${KIOSK_ETC:-/etc/kiosk} USER_NAME=${KIOSK_USER:-kiosk}
[ "$(id -u)" -eq 0 ] || { echo "Run this as root: sudo $0" >&2; exit 1; }
units=(kiosk-screen kiosk-sync kiosk-web)
running=$([ -d /run/systemd/system ] && echo 1 || echo 0)
[ "$running" = 1 ] && systemctl stop "${units[@]}" 2>/dev/null || true
"$PREFIX/deploy/kiosk-flask" data backup
old=$ETC/credentials/kiosk-data-key.old-$(date +%Y%m%d-%H%M%S)
cp -p "$ETC/credentials/kiosk-data-key" "$old"
# rotate-key works on the instance folder's key file: put the key there for the command, take it back after
install -m 0600 -o "$USER_NAME" "$ETC/credentials/kiosk-data-key" "$DATA/data.key"
(set -a; . "$ETC/kiosk.env"; set +a; cd "$PREFIX" && runuser -u "$USER_NAME" -- env KIOSK_INSTANCE_PATH="$DATA" \
   KIOSK_SECRET_KEY="$(cat "$ETC/credentials/kiosk-secret-key")" "$PREFIX/.venv/bin/flask" --app kiosk data rotate-key)
install -m 0600 -o root "$DATA/data.key" "$ETC/credentials/kiosk-data-key"
rm -f "$DATA/data.key" "$DATA/data.key.old" "$DATA/data.key.new"
"$PREFIX/deploy/kiosk-flask" data check
[ "$running" = 1 ] && systemctl start kiosk-web kiosk-sync kiosk-screen 2>/dev/null || true
echo "The data key is new. The old one is kept as $old until you have seen the kiosk work; then delete it,"
echo "and keep a copy of the new key ($ETC/credentials/kiosk-data-key) apart from the backups."
