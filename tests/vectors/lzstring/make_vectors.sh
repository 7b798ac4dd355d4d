#!/bin/sh
# Regenerates tests/vectors/lzstring/vectors.json with the reference LZ-String implementation
# (npm lz-string 1.5.0), installed into a throwaway directory. Needs node and npm. Deterministic.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm install --silent --no-audit --no-fund lz-string@1.5.0 >/dev/null)
node "$here/make_vectors.js" "$tmp"
echo "wrote $here/vectors.json"
