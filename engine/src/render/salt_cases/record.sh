#!/bin/bash
# Record Salt's own rendering of each case (NAME.sls -> NAME.expected) with
# Salt 3008.4's salt-call: `record.sh [SALT_CALL]`. The cases see the
# grains of _grains.yaml (static grains of the minion config) and the
# pillar of _pillar/, as the Rust test gives them to converge.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
salt_call=${1:-/work/salt-venv/bin/salt-call}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
{
  echo "file_client: local"
  echo "id: saltref"
  echo "root_dir: $scratch/root"
  echo "cachedir: $scratch/cache"
  echo "log_file: $scratch/minion.log"
  echo "file_roots: {base: [$here]}"
  echo "pillar_roots: {base: [$here/_pillar]}"
  echo "grains:"
  grep -v '^#' "$here/_grains.yaml" | sed 's/^/  /'
} > "$scratch/minion"
for case in "$here"/*.sls; do
  name=$(basename "$case" .sls)
  if ! "$salt_call" --local -c "$scratch" slsutil.renderer "path=salt://$name.sls" default_renderer=jinja \
      --out json --retcode-passthrough > "$scratch/out" 2> "$scratch/err"; then
    echo "Salt failed on $name:"; cat "$scratch/out" "$scratch/err"; continue
  fi
  python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["local"])' < "$scratch/out" > "$here/$name.expected"
  echo "recorded $name"
done
