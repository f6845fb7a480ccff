#!/usr/bin/env bash
# Build everything from the bundled data: validate, reports (reports/), maps (maps/).
# Usage: bash scripts/build.sh [extra `qygeo build` options]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT" 2>&1 \
  | grep -v -E '^(WARNING|DEPRECATION)' >&2 || true
compile_qygeo
cd "$ROOT"
exec "$VENV/bin/qygeo" build "$@"
