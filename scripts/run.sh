#!/usr/bin/env bash
# The main job: a local network of 4 PBFT validators on 127.0.0.1, as separate `synod start`
# processes with RocksDB in localnet/node<i>, under a steady demo load of signed transfers.
# Ctrl-C stops them cleanly; running it again restarts the same nodes from their disks.
set -euo pipefail
build_dir=${1:-build/release}
synod="$build_dir/apps/synod"
if [ ! -x "$synod" ]; then
  echo "synod: $synod is missing; run 'make release' first" >&2
  exit 1
fi
exec "$synod" localnet --nodes 4 --consensus pbft --home "${SYNOD_LOCALNET_HOME:-localnet}" \
  --demo-load
