#!/usr/bin/env bash
# The few system packages the tests need beyond Python, installed from Debian when missing:
# LibreOffice Calc (the import tests re-save workbooks as officers' LibreOffice does, and open
# the Excel reports to prove they need no repair), the Docker client's compose (the deploy
# check parses the compose file; no engine needed) and kubectl (the deploy check builds the
# Kustomize overlays with `kubectl kustomize`), pg_dump / pg_restore (tests/ops back up and
# restore a service's database). Used by `make test`, `make deploy-check` and
# .ci/run.
set -euo pipefail

missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
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
