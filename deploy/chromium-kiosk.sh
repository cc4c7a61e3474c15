#!/bin/sh
# The kiosk's touchscreen: Debian's Chromium full screen on the kiosk's start page, started by
# kiosk-screen.service under the cage compositor. No address bar, no pinch zoom or swipe to go back,
# no background networking (the box may have no internet, and must not try), no translate, password
# or restore prompts; audio may play without a tap first (Read aloud, "read every page"). Settings a
# flag cannot reach are in the managed policy deploy/chromium-policy.json (installed by install.sh).
# Usage: chromium-kiosk.sh [URL]   (default $KIOSK_URL, else http://127.0.0.1:8080/)
#   KIOSK_SCREEN_LANGUAGE  the language the screen asks the kiosk for (default zh-CN; install.sh sets it
#                          from the centre's KIOSK_DEFAULT_LOCALE): on Linux Chromium ignores --lang and
#                          took the box's C locale, so the screen's pages came up in English
#   KIOSK_WAIT_SECONDS     how long to wait for the kiosk to answer before opening it (default 120)
set -eu
url=${1:-${KIOSK_URL:-http://127.0.0.1:8080/}}
language=${KIOSK_SCREEN_LANGUAGE:-zh-CN}
profile=${KIOSK_CHROMIUM_PROFILE:-${HOME:-/tmp}/.kiosk-chromium}
rm -rf "$profile"  # every start is a clean browser: nothing of the last resident survives a restart
mkdir -p "$profile/Default"
languages=$language
[ "${language%%-*}" = "$language" ] || languages="$language,${language%%-*}"  # zh-CN, then zh
printf '{"intl": {"accept_languages": "%s"}}\n' "$languages" > "$profile/Default/Preferences"

# kiosk-web is "started" before waitress listens (a minute, on a slow board's first boot): a browser
# opened then shows an error page that nothing reloads. Wait, bounded, for the kiosk to answer.
waited=0
while [ "$waited" -lt "${KIOSK_WAIT_SECONDS:-120}" ]; do
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)' "$url" 2>/dev/null && break
  sleep 2
  waited=$((waited + 2))
done

export LANGUAGE="$(echo "$language" | tr - _)"
exec "${CHROMIUM:-/usr/bin/chromium}" \
  --kiosk \
  --user-data-dir="$profile" \
  --no-first-run --no-default-browser-check --noerrdialogs --disable-infobars \
  --disable-session-crashed-bubble --hide-crash-restore-bubble \
  --disable-translate --disable-features=Translate,TranslateUI,OverscrollHistoryNavigation,PasswordManagerOnboarding,MediaRouter \
  --disable-pinch --overscroll-history-navigation=0 \
  --disable-background-networking --disable-component-update --disable-sync --disable-default-apps \
  --disable-extensions --disable-client-side-phishing-detection --metrics-recording-only \
  --check-for-update-interval=31536000 \
  --password-store=basic \
  --autoplay-policy=no-user-gesture-required \
  --lang="$language" \
  --ozone-platform-hint=auto --touch-events=enabled \
  "$url"
