#!/usr/bin/env bash
# Create or update .venv-hls4ml-keras2: a Keras-2 environment in which hls4ml 1.3's own DSP-aware pruning
# (hls4ml.optimization.dsp_aware_pruning.optimize_model) runs, for benchmarks/bench_pruning_vs_hls4ml.py only.
# Idempotent: does nothing when the venv matches the pins below.
#
#   tools/hls4ml_keras2_env.sh                      # -> .venv-hls4ml-keras2 (takes a few minutes)
#   HLSNB_KERAS2_VENV=/path tools/hls4ml_keras2_env.sh
#   HLSNB_KERAS2_PYTHON=python3.11 tools/hls4ml_keras2_env.sh
#
# Why a separate venv: hls4ml's optimize_model imports QKeras, keras_tuner and Keras-2 APIs (layer.input_shape,
# tf.keras.*), none of which work on Keras 3 (the main .venv). hls4ml picks its Keras parser from the version of the
# module `keras`, so this venv makes `import keras` return tf_keras (a meta-path alias installed as a .pth file) and
# sets TF_USE_LEGACY_KERAS=1 so that tf.keras is tf_keras too. Never install these pins into the main .venv.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${HLSNB_KERAS2_VENV:-$ROOT/.venv-hls4ml-keras2}"

# pinned: tf-keras must match tensorflow's minor version; ortools 9.4.1874 is hls4ml[optimization]'s own pin, so
# hls4ml's default exact knapsack (knapsack_solver='CBC_MIP', OR-Tools' CBC) runs as hls4ml ships it. That pin has
# wheels for Python <= 3.10 only: this venv is built with Python 3.10 (pyenv's, if `python3.10` is not on PATH).
PINS="hls4ml==1.3.0
tensorflow-cpu==2.21.0
tf-keras==2.21.0
qkeras==0.9.0
keras-tuner==1.4.8
tensorflow-model-optimization==0.8.1
tensorboard==2.21.0
pyparsing==3.2.5
scikit-learn==1.7.2
numpy==2.1.3
ortools==9.4.1874"
STAMP="$VENV/.hlsnb-keras2.sha256"
want="$(printf '%s\n%s' "$PINS" "$(sha256sum "$0" | cut -d' ' -f1)" | sha256sum | cut -d' ' -f1)"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    echo "keras2 env: $VENV is up to date"
    exit 0
fi

ok() { "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }
PY=""
for c in "${HLSNB_KERAS2_PYTHON:-}" python3.10 $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python3.10 2>/dev/null) python3; do
    if [ -n "$c" ] && ok "$c"; then PY="$c"; break; fi
done
if [ -z "$PY" ]; then
    echo "keras2 env: no Python 3.10 with venv found (hls4ml pins ortools 9.4, wheels for <= 3.10; set HLSNB_KERAS2_PYTHON)" >&2
    exit 2
fi

start=$(date +%s)
echo "keras2 env: creating $VENV with $("$PY" --version 2>&1) ($PY)"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
REQ="$(mktemp)"
trap 'rm -f "$REQ"' EXIT
printf '%s\n' "$PINS" > "$REQ"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQ"; then
    echo "keras2 env: pip could not install the pins (is the package registry reachable?)" >&2
    rm -rf "$VENV"
    exit 3
fi
# Keras 3 comes in as a dependency of tensorflow; hls4ml would then take the Keras-3 parser. Remove it and alias
# `keras` to tf_keras for every interpreter started from this venv.
"$VENV/bin/python" -m pip uninstall -y -q keras
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cat > "$SITE/_hlsnb_keras2_alias.py" <<'EOF'
"""Make `import keras` (and keras.*) return tf_keras, the Keras 2 that hls4ml's optimize_model needs."""
import importlib
import importlib.abc
import importlib.util
import os
import sys

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == 'keras' or fullname.startswith('keras.'):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module('tf_' + spec.name)

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Alias())
EOF
echo "import _hlsnb_keras2_alias" > "$SITE/_hlsnb_keras2_alias.pth"
if ! "$VENV/bin/python" -c 'import keras, hls4ml, qkeras, keras_tuner; assert keras.__version__.startswith("2."), keras.__version__
from hls4ml.optimization.dsp_aware_pruning import optimize_model
from ortools.algorithms import pywrapknapsack_solver' >/dev/null; then
    echo "keras2 env: installed, but hls4ml.optimization.dsp_aware_pruning does not import" >&2
    exit 4
fi
echo "$want" > "$STAMP"
echo "keras2 env: ready in $(( $(date +%s) - start )) s"
