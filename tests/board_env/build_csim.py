"""Build a small hls4ml C simulation library for the board tests (runs in the main env, with hls4ml).

    python tests/board_env/build_csim.py OUTDIR

writes OUTDIR/prj (hls4ml project with firmware/myproject-*.so), OUTDIR/X.npy (test inputs),
OUTDIR/y_hls4ml.npy (hls_model.predict on float32 inputs) and OUTDIR/info.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KEY = "mlp16-24-5-v1"  # bump when the model below changes


def build(outdir) -> dict:
    outdir = Path(outdir)
    info_path = outdir / "info.json"
    if info_path.is_file():
        info = json.loads(info_path.read_text())
        if info.get("key") == KEY and Path(info["library"]).is_file():
            return info
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import hls4ml
    import keras
    import numpy as np

    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.Dense(24, activation="relu", name="fc1"),
            keras.layers.Dense(5, name="fc2"),
        ]
    )
    config = hls4ml.utils.config_from_keras_model(model, granularity="model", default_precision="ap_fixed<16,6>")
    prj = outdir / "prj"
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=str(prj), backend="Vivado", io_type="io_parallel",
        part="xc7z020clg400-1",
    )
    hls_model.compile()
    rng = np.random.default_rng(3)
    X = rng.normal(0, 2.0, size=(1000, 16))
    X[:5] *= 40  # some values beyond ap_fixed<16,6>'s +-32: exercise saturation
    y = hls_model.predict(np.ascontiguousarray(X.astype(np.float32)))
    y64 = hls_model.predict(np.ascontiguousarray(X.astype(np.float64)))
    np.save(outdir / "X.npy", X)
    np.save(outdir / "y_hls4ml_float.npy", y)
    np.save(outdir / "y_hls4ml_double.npy", y64)
    lib = sorted((prj / "firmware").glob("myproject-*.so"))[-1]
    info = {
        "key": KEY,
        "library": str(lib.resolve()),
        "project_name": hls_model.config.get_project_name(),
        "input_shape": [16],
        "output_shape": [5],
        "hls4ml": hls4ml.__version__,
    }
    info_path.write_text(json.dumps(info, indent=1))
    return info


if __name__ == "__main__":
    print(json.dumps(build(sys.argv[1]), indent=1))
