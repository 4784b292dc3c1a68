#!/usr/bin/env bash
# Refreshes web/vendor/uplot/ from the version pinned in web/package-lock.json (npm ci).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css vendor/uplot/
cp node_modules/uplot/LICENSE vendor/uplot/LICENSE
echo "web/vendor/uplot: uplot $(node -p "require('./node_modules/uplot/package.json').version")"
