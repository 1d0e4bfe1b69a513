#!/usr/bin/env bash
# The Schemathesis fuzzer (test/api/schemathesis.test.ts) lives in its own Python venv under the cache
# folder, pinned, so the test and CI run the same version. Prints the path of its `st` executable.
set -euo pipefail
VERSION=4.32.5
dir="${XDG_CACHE_HOME:-$HOME/.cache}/tributary/schemathesis-$VERSION"
# The stamp is written last: an install cut short is redone from scratch on the next call.
if [ ! -f "$dir/.installed" ]; then
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  python3 -m venv "$dir" >&2
  "$dir/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
  touch "$dir/.installed"
fi
echo "$dir/bin/st"
