#!/usr/bin/env bash
# Set up everything Aankomst needs on a fresh Debian machine with only Python:
#   - a virtual environment .venv with the package and all extras (PyPI),
#   - Debian packages: chromium (browser tests), postgresql (registry tests), fonts-dejavu-core
#     (source of the map label glyphs, checked by a test),
#   - front-end assets from npm (MapLibre GL JS), copied into the package (no CDN).
# Idempotent: re-running only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- Debian packages ---------------------------------------------------------------------
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    log "WARNING: missing ${need_apt[*]} and cannot apt-get (not root); browser/PostgreSQL tests will be skipped"
  fi
fi

# --- Python ------------------------------------------------------------------------------
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.aankomst-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  log "installing Python packages (pip install -e .[all])"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[all]"
  touch "$stamp"
fi

# --- front-end assets (npm -> package static folder) --------------------------------------
if [ -f package.json ] && command -v npm >/dev/null 2>&1; then
  if [ ! -d node_modules ] || [ package.json -nt node_modules ] || [ package-lock.json -nt node_modules ]; then
    log "installing front-end packages (npm ci)"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi
    touch node_modules
  fi
  if [ -f scripts/vendor_assets.sh ]; then bash scripts/vendor_assets.sh; fi
fi
log "ready: .venv/bin/aankomst"
