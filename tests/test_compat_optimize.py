"""hlsnb.compat.hls4ml: the one-line opt-in and an optimize_model script written for hls4ml, run on Keras 3.

The script body below is hls4ml 1.3's documented usage (tutorial part 7) with a tiny model and data so it runs in
seconds; only the first two lines are new.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

SCRIPT = textwrap.dedent('''
    import hlsnb.compat.hls4ml; hlsnb.compat.hls4ml.install()
    import numpy as np
    import hls4ml
    from tensorflow.keras.layers import Dense
    from tensorflow.keras.models import Sequential
    from tensorflow.keras.optimizers import Adam
    from tensorflow.keras.losses import SparseCategoricalCrossentropy
    from tensorflow.keras.metrics import SparseCategoricalAccuracy
    from hls4ml.optimization.dsp_aware_pruning import optimize_keras_model_for_hls4ml
    from hls4ml.optimization.dsp_aware_pruning.objectives.vivado_objectives import VivadoDSPEstimator
    from hls4ml.optimization.dsp_aware_pruning.scheduler import PolynomialScheduler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 8)).astype('float32')
    y = (X[:, 0] + X[:, 1] > 0).astype('int64')
    model = Sequential([Dense(16, activation='relu', input_shape=(8,), name='fc1'), Dense(2, name='out')])
    model.compile(Adam(1e-2), SparseCategoricalCrossentropy(from_logits=True))
    model.fit(X, y, epochs=5, verbose=0)
    cfg = hls4ml.utils.config_from_keras_model(model, granularity='name', default_precision='ap_fixed<16,6>')
    cfg['IOType'] = 'io_parallel'
    for layer in cfg['LayerName'].values():
        for k, p in layer['Precision'].items():
            if p == 'auto':
                layer['Precision'][k] = 'ap_fixed<16,6>'
    pruned = optimize_keras_model_for_hls4ml(
        model, cfg, VivadoDSPEstimator, PolynomialScheduler(2, final_sparsity=0.5), X, y, X, y, 64, 3,
        Adam(1e-3), SparseCategoricalCrossentropy(from_logits=True), SparseCategoricalAccuracy(), True, 0.5)
    zeros = float(np.mean(pruned.get_layer('fc1').kernel.numpy() == 0))
    print('ZEROS', zeros, type(pruned).__name__, hasattr(hls4ml, 'converters'))
''')


def test_hls4ml_script_runs_after_one_line():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    line = [x for x in out.stdout.splitlines() if x.startswith("ZEROS")][-1].split()
    assert float(line[1]) >= 0.3  # the polynomial schedule reached 50 % of the DSPs (both layers count)
    assert line[2] in ("Sequential", "Functional") and line[3] == "True"  # `import hls4ml` itself still works


def test_install_uninstall_roundtrip():
    import hlsnb.compat.hls4ml as compat

    compat.install()
    from hls4ml.optimization.dsp_aware_pruning import knapsack

    assert knapsack is sys.modules["hlsnb.compat.hls4ml.knapsack"]
    with pytest.raises(ImportError, match="not part of hlsnb.compat.hls4ml"):
        import hls4ml.optimization.dsp_aware_pruning.keras.builder  # noqa: F401
    compat.uninstall()
    assert "hls4ml.optimization.dsp_aware_pruning" not in sys.modules
    compat.install()  # the other compat test files rely on it in the same session


def test_multidimensional_knapsack_is_exact():
    from hlsnb.compat.hls4ml.knapsack import solve_knapsack

    rng = np.random.default_rng(1)
    v, w = rng.integers(1, 20, 12), rng.integers(1, 9, (2, 12))
    cap = np.array([20, 25])
    best = max(v[list(s)].sum() for s in _subsets(12) if np.all(w[:, list(s)].sum(axis=1) <= cap))
    assert solve_knapsack(v, w, cap, implementation="CBC_MIP")[0] == best
    assert solve_knapsack(v, w, cap, implementation="greedy")[0] <= best


def _subsets(n):
    for mask in range(1 << n):
        yield [i for i in range(n) if mask >> i & 1]
