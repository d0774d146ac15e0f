#!/usr/bin/env bash
# The few system packages the tests need beyond Python, installed from Debian when missing:
# LibreOffice Calc (the import tests re-save workbooks as officers' LibreOffice does, and open
# the Excel reports to prove they need no repair), the Docker client's compose (the deploy
# check parses the compose file; no engine needed), kubectl (the deploy check builds the
# Kustomize overlays with `kubectl kustomize`), promtool (Debian's prometheus package: the
# deploy check runs `promtool check rules` and the alert rules' unit tests; the server it also
# ships is never started), poppler-utils (the decision-PDF test reads the text back with
# `pdftotext`), what WeasyPrint needs to print decisions: Pango and the DejaVu fonts
# (every Vietnamese diacritic), and Debian's Chromium with a font with Vietnamese diacritics
# (the console's browser tests, tests/browser, drive it headless through Playwright; no
# browser is downloaded), and pg_dump / pg_restore (tests/ops back up and restore a
# service's database). Used by `make test`, `make deploy-check` and .ci/run.
set -euo pipefail

missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# (grep reads it all: with pipefail, `grep -q` quitting early would fail ldconfig's write)
{ /sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null; } | grep 'libpangoft2-1.0.so.0' >/dev/null \
    || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] || missing+=(fonts-dejavu-core)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
    missing+=(docker-compose)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing system packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
($SUDO apt-get install -y -q "${missing[@]}" \
    || { $SUDO apt-get update -q && $SUDO apt-get install -y -q "${missing[@]}"; }) >/dev/null
