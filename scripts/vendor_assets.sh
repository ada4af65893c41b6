#!/usr/bin/env bash
# Copy the front-end files the web atlas needs from node_modules (installed by `npm ci` from
# package-lock.json) into the package: src/aankomst/web/static/vendor/. Nothing is loaded from a
# CDN at run time. Idempotent; run by scripts/setup.sh after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=node_modules/maplibre-gl/dist
DST=src/aankomst/web/static/vendor
if [ ! -d "$SRC" ]; then
  echo "[vendor] $SRC missing: run 'npm ci' first" >&2
  exit 1
fi
mkdir -p "$DST"
# The CSP build of MapLibre: its worker is a separate file (no blob: workers, no eval).
for f in maplibre-gl-csp.js maplibre-gl-csp-worker.js maplibre-gl.css LICENSE.txt; do
  cp -p "$SRC/$f" "$DST/$f"
done
node -e 'console.log(require("./node_modules/maplibre-gl/package.json").version)' > "$DST/MAPLIBRE_VERSION"
echo "[vendor] maplibre-gl $(cat "$DST/MAPLIBRE_VERSION") -> $DST"
