#!/usr/bin/env bash
# The main job: a local network of synod nodes with the explorer when the node supports it
# (`synod localnet`); until then, the deterministic simulator running a whole PBFT cluster of the
# production code with faults and byzantine nodes, printing its summary.
set -euo pipefail
build_dir=${1:-build/release}
synod="$build_dir/apps/synod"
if [ ! -x "$synod" ]; then
  echo "synod: $synod is missing; run 'make release' first" >&2
  exit 1
fi
if "$synod" localnet --help >/dev/null 2>&1; then
  exec "$synod" localnet --nodes 4 --consensus pbft --home "${SYNOD_LOCALNET_HOME:-localnet}" \
    --demo-load
fi
echo "synod: simulating a 7-node PBFT cluster with 2 byzantine nodes and every fault"
exec "$synod" sim --consensus pbft --nodes 7 --byzantine 2 --faults all --seed 42 --heights 300
