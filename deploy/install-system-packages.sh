#!/usr/bin/env bash
# Install the Debian 12 packages the kiosk needs; safe to run again (installs only what is missing).
#   deploy/install-system-packages.sh          packages to run the kiosk
#   deploy/install-system-packages.sh --test   ... plus those to run the tests (Chromium, Java, npm, PostgreSQL)
set -euo pipefail
want=(python3 python3-venv python3-pip fonts-noto-cjk fonts-noto-color-emoji espeak-ng opus-tools
      libzinnia0 tegaki-zinnia-simplified-chinese)                  # offline handwriting (engines/handwriting)
if [ "${1:-}" = "--test" ]; then
  want+=(chromium libatomic1 poppler-utils cage)                  # libatomic1: Playwright's bundled node;
                                                                  # poppler-utils: pdftotext reads a printed receipt;
                                                                  # cage: systemd-analyze verify checks the screen unit's command
  want+=(postgresql libpq5)                                       # the reference county on PostgreSQL: the tests start a
                                                                  # server of their own (tests/postgres.py), never Debian's
                                                                  # 'main' cluster; libpq5 is what psycopg (setup.cfg) loads
  command -v java >/dev/null || want+=(default-jre-headless)      # the Nu HTML checker (Java 17)
  command -v npm >/dev/null || want+=(nodejs npm)                  # axe-core and vnu-jar from npm
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Run this as root (or: sudo $0 $*)." >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
