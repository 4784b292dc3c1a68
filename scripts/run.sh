#!/usr/bin/env bash
# The main job. Until the node lands this runs the most complete demo there is.
set -euo pipefail
build_dir=${1:-build/release}
echo "synod: built in $build_dir"
