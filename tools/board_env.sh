#!/usr/bin/env bash
# Create or update .venv-board: the pynq test environment (pynq 3.1, numpy < 2, Python 3.10 like the PYNQ
# v3.0.1/v3.1 images when available). Idempotent: does nothing when the venv matches requirements/board-test.txt.
#
#   tools/board_env.sh            # -> .venv-board
#   HLSNB_BOARD_VENV=/path tools/board_env.sh
#   HLSNB_BOARD_PYTHON=python3.11 tools/board_env.sh   # choose the interpreter
#
# Never install pynq into the main .venv: pynq pins numpy < 2 and (4.x) grpcio, which break TensorFlow.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${HLSNB_BOARD_VENV:-$ROOT/.venv-board}"
REQ="$ROOT/requirements/board-test.txt"
STAMP="$VENV/.hlsnb-requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    echo "board env: $VENV is up to date"
    exit 0
fi

ok() { "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] >= (3, 10) else 1)' >/dev/null 2>&1; }
PY=""
for c in "${HLSNB_BOARD_PYTHON:-}" python3.10 \
         "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python 2>/dev/null | tail -n 1)" python3; do
    if [ -n "$c" ] && ok "$c"; then PY="$c"; break; fi
done
if [ -z "$PY" ]; then
    echo "board env: no Python >= 3.10 with venv found (set HLSNB_BOARD_PYTHON)" >&2
    exit 2
fi

start=$(date +%s)
echo "board env: creating $VENV with $("$PY" --version 2>&1) ($PY)"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQ"; then
    echo "board env: pip could not install requirements/board-test.txt (is the package registry reachable?)" >&2
    rm -rf "$VENV"
    exit 3
fi
echo "$want" > "$STAMP"
echo "board env: ready in $(( $(date +%s) - start )) s"
