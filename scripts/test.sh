#!/usr/bin/env bash
# Run the whole test suite. Creates .venv, installs qygeo with its test
# dependencies and, where missing and run as root, Debian's chromium for the
# browser tests (which fail, not skip, without it under CI=true).
# Usage: bash scripts/test.sh [extra pytest arguments]
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "qygeo: installing Debian chromium for the browser tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) >&2 \
      || echo "qygeo: could not install chromium" >&2
  else
    echo "qygeo: chromium not found; install Debian's chromium package for the browser tests" >&2
  fi
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[test,data]" 2>&1 \
  | grep -v -E '^(WARNING|DEPRECATION)' >&2 || true
compile_qygeo
cd "$ROOT"
"$VENV/bin/ruff" check src tests scripts bench
exec "$VENV/bin/python" -m pytest "$@"
