# Shared by scripts/build.sh and scripts/test.sh: create .venv and install qygeo.
# Sourced, not run. Re-running is cheap: pip skips what is already installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  echo "qygeo: creating virtual environment in $ROOT/.venv" >&2
  "$PY" -m venv "$ROOT/.venv"
fi
VENV="$ROOT/.venv"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true

# Byte-compile qygeo's own modules (pip does it for the dependencies): an editable
# install under PYTHONDONTWRITEBYTECODE would otherwise compile them at every start.
compile_qygeo() {
  "$VENV/bin/python" -m compileall -q "$ROOT/src/qygeo" >/dev/null || true
}
