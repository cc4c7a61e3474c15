#!/bin/sh
# The kiosk's touchscreen: Debian's Chromium full screen on the kiosk's start page, started by
# kiosk-screen.service under the cage compositor. No address bar, no pinch zoom or swipe to go back,
# no background networking (the box may have no internet, and must not try), no translate, password
# or restore prompts; audio may play without a tap first (Read aloud, "read every page"). Settings a
# flag cannot reach are in the managed policy deploy/chromium-policy.json (installed by install.sh).
# Usage: chromium-kiosk.sh [URL]   (default $KIOSK_URL, else http://127.0.0.1:8080/)
set -eu
url=${1:-${KIOSK_URL:-http://127.0.0.1:8080/}}
profile=${KIOSK_CHROMIUM_PROFILE:-${HOME:-/tmp}/.kiosk-chromium}
rm -rf "$profile"  # every start is a clean browser: nothing of the last resident survives a restart
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
  --lang=zh-CN \
  --ozone-platform-hint=auto --touch-events=enabled \
  "$url"
