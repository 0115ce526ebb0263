"""``hls4ml.optimization.dsp_aware_pruning.keras.config`` on Keras 3.

``SUPPORTED_LAYERS``: Keras 3's ``Dense`` and ``Conv2D`` (hls4ml lists QKeras' ``QDense``/``QConv2D``, which do not
exist on Keras 3; HGQ2's ``QDense`` subclasses Keras' ``Dense`` and counts already, its ``QConv2D`` does not).
``SUPPORTED_METRICS``: hls4ml's names; ``oracle`` is |w * dL/dw| (hlsnb's ``taylor``); ``saliency`` needs second
derivatives and is refused by the masking (hls4ml computes them with a full Hessian per layer).
"""

import keras

__all__ = ["SUPPORTED_LAYERS", "SUPPORTED_METRICS", "TMP_DIRECTORY"]

SUPPORTED_LAYERS = (keras.layers.Dense, keras.layers.Conv2D)
SUPPORTED_METRICS = ("l1", "l2", "oracle", "saliency")
TMP_DIRECTORY = "hls4ml-optimization-keras"
