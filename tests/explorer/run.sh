#!/usr/bin/env bash
# ctest's `explorer_browser` test: installs what it needs, then runs explorer.test.mjs with node.
#   tests/explorer/run.sh SYNOD_BIN SYNOD_WALLET_BIN SCREENSHOT_DIR
# Chromium (and nodejs/npm) come from Debian through scripts/deps.sh; playwright-core from npm
# (`npm ci` here, pinned by package-lock.json), which drives /usr/bin/chromium: no browser download.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/../../scripts/deps.sh"
pinned="$(node -p "require('$here/package-lock.json').packages['node_modules/playwright-core'].version")"
installed="$(node -p "try { require('$here/node_modules/playwright-core/package.json').version } catch { '' }")"
if [ "$pinned" != "$installed" ]; then
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund)
fi
export SYNOD_BIN="$1" SYNOD_WALLET_BIN="$2" SYNOD_SCREENSHOT_DIR="$3"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
exec node --test --test-reporter=spec "$here/explorer.test.mjs"
