#!/usr/bin/env bash
# Install the kiosk on a Debian 12 box so that it runs by itself: one command, as root, from a clone.
#
#   sudo deploy/install.sh [options]
#
#   --centre-name NAME       the centre's name (shown on the health page and the outcomes wall)
#   --centre-phone NUMBER    the centre's phone, offered when nobody answers a help call and printed on receipts
#   --printer WHERE          the receipt printer: none (default), network:HOST[:PORT], usb:VID:PID, serial:/dev/ttyUSB0[:BAUD]
#                            or file:/dev/usb/lp0 (KIOSK_PRINTER; docs/operations.md, "The receipt printer")
#   --printer-paper 58|80    its paper's width in mm (default 80) (KIOSK_PRINTER_PAPER_MM)
#   --location TEXT          the centre's address, the public location of every request (KIOSK_LOCATION)
#   --centre-lat DEGREES     the centre's latitude, decimal (e.g. 31.2304), sent with every request (KIOSK_CENTRE_LAT)
#   --centre-long DEGREES    the centre's longitude, decimal (e.g. 121.4737) (KIOSK_CENTRE_LONG); with --demo-county
#                            and neither given: the demo county's place. A county that needs them refuses requests
#                            without them: run `deploy/kiosk-flask sync check-county` before going live
#   --voice male|female      the natural Mandarin voice (default male: understood best; docs/voice.md) (KIOSK_VOICE)
#   --county-location WHAT   what location the county's own documentation says it needs: either (an address or
#                            coordinates, the default), coordinates, or home (a home visit located by the resident's
#                            address, where she agrees) (KIOSK_COUNTY_LOCATION)
#   --county-url URL         the county's Open311 endpoint (default: the reference county on this box)
#   --county-key KEY         this kiosk's api_key at the county
#   --chinese-speech VARIETY mandarin (default) or cantonese: the speech of Chinese pages
#   --public-url URL         the address phones use to reach the box (default: found now, http://<LAN address>:PORT)
#   --port PORT              the kiosk's port (default 8080)
#   --kiosk-id ID            this kiosk's short name (default the host name)
#   --ez-keys 'help=F1; worker=F12'  speech mode's keypad keys, action=Key Key; … (KIOSK_EZ_KEYS; docs/operations.md)
#   --ez-volume PERCENT      speech mode's volume at the start of each visit, 10-100 (KIOSK_EZ_VOLUME, default 80)
#   --catalogue FILE         the centre's catalogue (default: the demo catalogue, on the first install)
#   --address-book FILE      the centre's address book as CSV (default: the demo address book, on the first install)
#   --reach off|seated|MM    the box's screen within a seated resident's reach (KIOSK_REACH, default off): seated
#                            puts Home, language, text size, Read aloud and help in one bar 380-1220 mm above the
#                            floor; MM, the highest reach (1120 over a deep ledge). docs/accessibility.md
#   --screen-bottom-mm MM    the lit picture's bottom edge above the floor (KIOSK_SCREEN_BOTTOM_MM, default 900)
#   --screen-height-mm MM    the lit picture's height (KIOSK_SCREEN_HEIGHT_MM, default 598: a 27-inch portrait panel)
#   --demo-county            also run the reference county on 127.0.0.1:8311 (a box shown without a real county)
#   --no-screen              no Chromium on the box's own screen (a headless box, phones only)
#   --prefix DIR             where the app goes (default /opt/kiosk)
#   --data DIR               where its data goes (default /var/lib/kiosk)
#
# Run again to update (a new clone, the same command): settings given again replace the old ones, the
# data, the key and the secret stay. What it does, and what to do after, is in docs/operations.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=/opt/kiosk DATA=/var/lib/kiosk ETC=/etc/kiosk USER_NAME=kiosk SCREEN_USER=kiosk-screen PORT=8080
SCREEN=1 DEMO_COUNTY=0 CATALOGUE="" ADDRESS_BOOK=""
DEMO_LAT=31.2304 DEMO_LONG=121.4737  # the demo county's place: --demo-county's centre when none is given
declare -A SET=()
while [ $# -gt 0 ]; do
  case "$1" in
    --centre-name) SET[KIOSK_CENTRE_NAME]=$2; shift 2 ;;
    --location) SET[KIOSK_LOCATION]=$2; shift 2 ;;
    --centre-phone) SET[KIOSK_CENTRE_PHONE]=$2; shift 2 ;;
    --printer)
      if ! [[ "$2" =~ ^(none|network:[A-Za-z0-9.-]+(:[0-9]{1,5})?|usb:[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}|serial:/dev/[A-Za-z0-9_./-]+(:[0-9]{3,7})?|file:/[A-Za-z0-9_./-]+)$ ]]; then
        echo "--printer is none, network:HOST[:PORT], usb:VID:PID, serial:/dev/ttyUSB0[:BAUD] or file:/dev/usb/lp0" >&2; exit 2
      fi
      SET[KIOSK_PRINTER]=$2; shift 2 ;;
    --printer-paper) case "$2" in 58|80) SET[KIOSK_PRINTER_PAPER_MM]=$2 ;; *) echo "--printer-paper is 58 or 80" >&2; exit 2 ;; esac; shift 2 ;;
    --centre-lat|--centre-long)
      bound=90; name=KIOSK_CENTRE_LAT; [ "$1" = --centre-long ] && bound=180 name=KIOSK_CENTRE_LONG
      if ! [[ "$2" =~ ^-?[0-9]{1,3}(\.[0-9]{1,10})?$ ]] || ! awk -v v="$2" -v b="$bound" 'BEGIN { exit !(v >= -b && v <= b) }'; then
        echo "$1 is a decimal number of degrees from -$bound to $bound, e.g. $( [ "$bound" = 90 ] && echo 31.2304 || echo 121.4737)" >&2; exit 2
      fi
      SET[$name]=$2; shift 2 ;;
    --voice) case "$2" in male|female) SET[KIOSK_VOICE]=$2 ;; *) echo "--voice is male or female" >&2; exit 2 ;; esac; shift 2 ;;
    --county-location) case "$2" in either|coordinates|home) SET[KIOSK_COUNTY_LOCATION]=$2 ;; *) echo "--county-location is either, coordinates or home" >&2; exit 2 ;; esac; shift 2 ;;
    --county-url) SET[KIOSK_COUNTY_URL]=$2; shift 2 ;;
    --county-key) SET[KIOSK_COUNTY_API_KEY]=$2; shift 2 ;;
    --chinese-speech) case "$2" in mandarin|cantonese) SET[KIOSK_CHINESE_SPEECH]=$2 ;; *) echo "--chinese-speech is mandarin or cantonese" >&2; exit 2 ;; esac; shift 2 ;;
    --public-url) SET[KIOSK_PUBLIC_URL]=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --kiosk-id) SET[KIOSK_KIOSK_ID]=$2; shift 2 ;;
    --reach) case "$2" in off|seated|[0-9][0-9][0-9]|[0-9][0-9][0-9][0-9]) SET[KIOSK_REACH]=$2 ;; *) echo "--reach is off, seated or a height in mm" >&2; exit 2 ;; esac; shift 2 ;;
    --screen-bottom-mm|--screen-height-mm)
      [[ "$2" =~ ^[0-9]{2,4}$ ]] || { echo "$1 is a whole number of millimetres" >&2; exit 2; }
      if [ "$1" = --screen-bottom-mm ]; then SET[KIOSK_SCREEN_BOTTOM_MM]=$2; else SET[KIOSK_SCREEN_HEIGHT_MM]=$2; fi; shift 2 ;;
    # speech mode (docs/accessibility.md): the keypad's keys, and the volume each visit starts at
    --ez-keys) SET[KIOSK_EZ_KEYS]=$2; shift 2 ;;
    --ez-volume) case "$2" in [1-9][0-9]|100) SET[KIOSK_EZ_VOLUME]=$2 ;; *) echo "--ez-volume is 10 to 100" >&2; exit 2 ;; esac; shift 2 ;;
    --catalogue) CATALOGUE=$(realpath "$2"); shift 2 ;;
    --address-book) ADDRESS_BOOK=$(realpath "$2"); shift 2 ;;
    --demo-county) DEMO_COUNTY=1; shift ;;
    --no-screen) SCREEN=0; shift ;;
    --prefix) PREFIX=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "${SET[KIOSK_CENTRE_LAT]:-}" ] || [ -z "${SET[KIOSK_CENTRE_LONG]:-}" ] || { echo "--centre-long goes with --centre-lat: give both" >&2; exit 2; }
[ -z "${SET[KIOSK_CENTRE_LAT]:-}" ] || [ -n "${SET[KIOSK_CENTRE_LONG]:-}" ] || { echo "--centre-lat goes with --centre-long: give both" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "Run this as root: sudo $0 $*" >&2; exit 1; }
step() { echo "==> $*"; }

step "Debian packages"
"$here/deploy/install-system-packages.sh"
extra=(rsync sqlite3)
[ "$SCREEN" = 1 ] && extra+=(chromium cage seatd xwayland)  # seatd: cage's seat; Xwayland: Debian's cage will not start without it (kiosk-screen.service.in)
missing=()
for pkg in "${extra[@]}"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg"); done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The screen's login session reads the system locale (pam_env); a minimal Debian has none and logs a
# warning at every start. C.UTF-8 is always there; the pages' language comes from the kiosk, not it.
[ -e /etc/default/locale ] || echo "LANG=C.UTF-8" > /etc/default/locale

step "Users: $USER_NAME runs the services$( [ "$SCREEN" = 1 ] && echo ", $SCREEN_USER the screen")"
id "$USER_NAME" >/dev/null 2>&1 || useradd --system --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
case "${SET[KIOSK_PRINTER]:-}" in  # a printer on a device file or a serial port: the service may open it
  file:*) getent group lp >/dev/null && usermod -a -G lp "$USER_NAME" ;;
  serial:*) getent group dialout >/dev/null && usermod -a -G dialout "$USER_NAME" ;;
esac
if [ "$SCREEN" = 1 ] && ! id "$SCREEN_USER" >/dev/null 2>&1; then
  groups=""
  for group in video input audio render; do  # those the box has (a minimal system may lack input and render)
    getent group "$group" >/dev/null && groups=${groups:+$groups,}$group
  done
  useradd --create-home --shell /usr/sbin/nologin ${groups:+--groups "$groups"} "$SCREEN_USER"
fi

step "The app in $PREFIX"
mkdir -p "$PREFIX"
if [ "$(realpath "$here")" != "$(realpath "$PREFIX")" ]; then
  rsync -a --delete --exclude .git --exclude .venv --exclude .venv-voice --exclude node_modules --exclude instance --exclude static/audio \
    --exclude '*.mo' --exclude __pycache__ "$here/" "$PREFIX/"
fi
make -C "$PREFIX" --no-print-directory setup
install -d -m 0755 -o "$USER_NAME" -g "$USER_NAME" "$PREFIX/static/audio"

step "Data in $DATA, settings and keys in $ETC (root only)"
install -d -m 0700 -o "$USER_NAME" -g "$USER_NAME" "$DATA"
install -d -m 0755 "$ETC"
install -d -m 0700 "$ETC/credentials"
if [ ! -s "$ETC/credentials/kiosk-data-key" ]; then
  if [ -s "$DATA/data.key" ]; then  # a box that ran without the installer: keep its key, or its data cannot be read
    install -m 0600 "$DATA/data.key" "$ETC/credentials/kiosk-data-key" && rm -f "$DATA/data.key"
  else
    "$PREFIX/.venv/bin/python" -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())' \
      > "$ETC/credentials/kiosk-data-key"
  fi
fi
if [ ! -s "$ETC/credentials/kiosk-secret-key" ]; then
  if [ -s "$DATA/secret_key" ]; then cp "$DATA/secret_key" "$ETC/credentials/kiosk-secret-key"
  else "$PREFIX/.venv/bin/python" -c 'import secrets; print(secrets.token_hex(32))' > "$ETC/credentials/kiosk-secret-key"; fi
fi
chmod 0600 "$ETC/credentials/"*

env_file=$ETC/kiosk.env
touch "$env_file"
setting() {  # setting NAME VALUE: replace or add one line of the settings file (read by systemd and by sh)
  local bad='["\\$`]'
  if [[ "$2" =~ $bad || "$2" == *$'\n'* ]]; then
    echo "a setting may not hold quotes, backslashes, dollar signs, backticks or new lines: $1" >&2; exit 2
  fi
  local tmp; tmp=$(mktemp)
  grep -v "^$1=" "$env_file" > "$tmp" || true
  printf '%s="%s"\n' "$1" "$2" >> "$tmp"
  install -m 0640 -o root -g "$USER_NAME" "$tmp" "$env_file"; rm -f "$tmp"
}
has() { grep -q "^$1=" "$env_file"; }
setting KIOSK_PORT "$PORT"
if [ -z "${SET[KIOSK_PUBLIC_URL]:-}" ] && ! has KIOSK_PUBLIC_URL; then
  lan=$("$PREFIX/.venv/bin/python" -c 'from kiosk.security import lan_address; print(lan_address() or "")' 2>/dev/null || true)
  if [ -n "$lan" ]; then SET[KIOSK_PUBLIC_URL]="http://$lan:$PORT"
  else echo "   (no network address found: set --public-url later, or receipts' QR codes point at this box's own screen)"; fi
fi
has KIOSK_KIOSK_ID || [ -n "${SET[KIOSK_KIOSK_ID]:-}" ] || SET[KIOSK_KIOSK_ID]=$(hostname -s)
# speech mode's keypad and volume: written out, so a centre sees what its keys are and changes them here
has KIOSK_EZ_KEYS || [ -n "${SET[KIOSK_EZ_KEYS]:-}" ] || SET[KIOSK_EZ_KEYS]="up=ArrowUp; down=ArrowDown; enter=Enter NumpadEnter; help=F1 Help; back=Escape BrowserBack PageUp Backspace; next=PageDown BrowserForward; louder=AudioVolumeUp NumpadAdd +; softer=AudioVolumeDown NumpadSubtract -; worker=F2"
has KIOSK_EZ_VOLUME || [ -n "${SET[KIOSK_EZ_VOLUME]:-}" ] || SET[KIOSK_EZ_VOLUME]=80
[ "$DEMO_COUNTY" = 1 ] && ! has KIOSK_COUNTY_URL && [ -z "${SET[KIOSK_COUNTY_URL]:-}" ] && SET[KIOSK_COUNTY_URL]=http://127.0.0.1:8311
if [ -z "${SET[KIOSK_CENTRE_LAT]:-}" ] && ! has KIOSK_CENTRE_LAT; then
  if [ "$DEMO_COUNTY" = 1 ]; then  # the demo county's place (the demo's centre is in Shanghai, its time zone)
    SET[KIOSK_CENTRE_LAT]=$DEMO_LAT SET[KIOSK_CENTRE_LONG]=$DEMO_LONG
  else
    echo "   (no --centre-lat/--centre-long: requests carry the centre's address only; a county that needs coordinates"
    echo "    refuses them. Check with: sudo $PREFIX/deploy/kiosk-flask sync check-county)"
  fi
fi
for name in "${!SET[@]}"; do setting "$name" "${SET[$name]}"; done
chown root:"$USER_NAME" "$env_file"; chmod 0640 "$env_file"

as_kiosk() { KIOSK_PREFIX=$PREFIX KIOSK_DATA=$DATA KIOSK_ETC=$ETC KIOSK_USER=$USER_NAME "$PREFIX/deploy/kiosk-flask" "$@"; }
step "Database, catalogue and address book"
first_install=0
[ -f "$DATA/kiosk.sqlite3" ] || first_install=1
as_kiosk init-db
if [ -n "$CATALOGUE" ]; then as_kiosk catalogue load "$CATALOGUE"; elif [ "$first_install" = 1 ]; then as_kiosk catalogue load; fi
if [ -n "$ADDRESS_BOOK" ]; then as_kiosk addresses load "$ADDRESS_BOOK"; elif [ "$first_install" = 1 ]; then as_kiosk addresses load; fi
as_kiosk data check

step "systemd units"
# The touchscreen asks for the centre's own language (KIOSK_DEFAULT_LOCALE, zh_Hans_CN unless set):
# zh_Hans_CN -> zh-CN, zh_Hant_TW -> zh-TW, en -> en.
locale=$(sed -n 's/^KIOSK_DEFAULT_LOCALE="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$env_file" | tail -1)
screen_language=$(echo "${locale:-zh_Hans_CN}" | sed -e 's/_Hans_/_/' -e 's/_Hant_/_/' -e 's/_/-/g')
units=(kiosk-web kiosk-sync kiosk-voice)
[ "$DEMO_COUNTY" = 1 ] && units+=(kiosk-county)
[ "$SCREEN" = 1 ] && units+=(kiosk-screen kiosk-screen-watchdog)  # the watchdog restarts a screen that stops drawing
enabled=()  # what starts at boot: a unit's timer where it has one (the watchdog), else the unit itself
for unit in "${units[@]}"; do
  kinds=(service)
  [ -f "$PREFIX/deploy/systemd/$unit.timer.in" ] && kinds+=(timer)
  for kind in "${kinds[@]}"; do
    sed -e "s#@PREFIX@#$PREFIX#g" -e "s#@DATA@#$DATA#g" -e "s#@ETC@#$ETC#g" -e "s#@USER@#$USER_NAME#g" \
        -e "s#@SCREEN_USER@#$SCREEN_USER#g" -e "s#@PORT@#$PORT#g" -e "s#@SCREEN_LANGUAGE@#$screen_language#g" \
        "$PREFIX/deploy/systemd/$unit.$kind.in" > "/etc/systemd/system/$unit.$kind"
  done
  enabled+=("$unit.${kinds[-1]}")
done
# kiosk-voice's slice: background work at a low CPU weight (the slice file says why)
install -m 0644 "$PREFIX/deploy/systemd/kiosk_background.slice" /etc/systemd/system/kiosk_background.slice
install -d /etc/systemd/journald.conf.d
install -m 0644 "$PREFIX/deploy/systemd/kiosk-journald.conf" /etc/systemd/journald.conf.d/kiosk.conf
if [ "$SCREEN" = 1 ]; then
  install -d /etc/chromium/policies/managed
  sed "s#:8080#:$PORT#g" "$PREFIX/deploy/chromium-policy.json" > /etc/chromium/policies/managed/kiosk.json
fi
systemd-analyze verify "${units[@]/%/.service}" "${enabled[@]}" 2>&1 | grep -v "^$" || true
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --quiet "${enabled[@]}"
  [ "$SCREEN" = 1 ] && systemctl set-default --quiet graphical.target
  systemctl restart systemd-journald
  for unit in "${enabled[@]}"; do systemctl restart "$unit" --no-block; done
  step "Started: ${units[*]} (systemctl status kiosk-web)"
else  # a chroot or a container without systemd: enabled, they start at the next boot
  for unit in "${enabled[@]}"; do
    target=multi-user.target; [ "$unit" = kiosk-screen.service ] && target=graphical.target
    [ "${unit##*.}" = timer ] && target=timers.target
    mkdir -p "/etc/systemd/system/$target.wants"
    ln -sf "/etc/systemd/system/$unit" "/etc/systemd/system/$target.wants/$unit"
  done
  step "Enabled (systemd is not running here): ${units[*]} start at the next boot"
fi
url=$(grep '^KIOSK_PUBLIC_URL=' "$env_file" | cut -d= -f2- | tr -d '"' || true)
echo "The kiosk: http://127.0.0.1:$PORT/ on this box${url:+, and $url for phones on the centre network}."
echo "Add a worker: sudo $PREFIX/deploy/kiosk-flask workers add NAME   (docs/operations.md)"
