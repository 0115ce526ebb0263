"""hls4ml's own configs reach the pruning objectives: ``config_from_keras_model`` writes ``auto`` precisions, which
hls4ml 1.3's ``get_attributes_from_keras_model_and_hls4ml_config`` refuses ("optimization doesn't yet support auto
precision", its own test). The compatibility layer gives them the types hls4ml's conversion infers."""

import keras
import pytest
from hls4ml.utils.config import config_from_keras_model

from hlsnb.compat.hls4ml.attributes import get_attributes_from_keras_model_and_hls4ml_config


def _mlp():
    return keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, name="d1"),
                             keras.layers.Activation("relu", name="r"), keras.layers.Dense(4, name="d2")])


@pytest.mark.parametrize("strategy", ["Latency", "Resource"])
def test_an_hls4ml_config_with_auto_precisions_is_read_as_hls4ml_builds_it(strategy):
    cfg = config_from_keras_model(_mlp(), granularity="name")  # every weight and result "auto"
    assert cfg["LayerName"]["d1"]["Precision"]["weight"] == "auto"
    cfg["IOType"] = "io_parallel"
    cfg["Model"]["Strategy"] = strategy
    attrs = get_attributes_from_keras_model_and_hls4ml_config(_mlp(), cfg)
    d1, d2 = attrs["d1"].args["hls4ml_attributes"], attrs["d2"].args["hls4ml_attributes"]
    # an "auto" weight: the model's default precision (no quantizer), as hls4ml's infer_precision does
    assert (d1.weight_precision.width, d1.weight_precision.integer) == (16, 6)
    # an "auto" result: wide enough for every product (16x16 -> 32 bits, 12 integer), the sum of n_in of them
    # (+log2 n_in) and the bias (+1): 16 inputs -> 37,17. d2's input is the ReLU's result (the default 16,6 in
    # hls4ml's conversion): 32 + 3 + 1 = 36,16
    assert (d1.output_precision.width, d1.output_precision.integer) == (37, 17)
    assert (d2.output_precision.width, d2.output_precision.integer) == (36, 16)
    assert d1.strategy == strategy and d1.reuse_factor == 1


def test_given_precisions_are_kept_as_written():
    model = _mlp()
    cfg = config_from_keras_model(model, granularity="name", default_precision="ap_fixed<8,2>")
    cfg["IOType"] = "io_parallel"
    cfg["LayerName"]["d1"]["Precision"] = {"weight": "ap_fixed<6,1>", "bias": "ap_fixed<6,1>",
                                           "result": "ap_fixed<12,4>"}
    h = get_attributes_from_keras_model_and_hls4ml_config(model, cfg)["d1"].args["hls4ml_attributes"]
    assert (h.weight_precision.width, h.output_precision.width) == (6, 12)
