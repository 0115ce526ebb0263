"""digits16 model -> Design -> hls4ml conversion -> C simulation: the converted network agrees with Keras."""

import numpy as np

from hlsnb import Design
from hlsnb.train import accuracy


def test_digits16_csim_agrees_with_keras(mlp, digits16, tmp_path):
    design = Design.from_keras(mlp, board="pynq-z2")
    hm = design.convert(mlp, output_dir=str(tmp_path / "prj"))
    hm.compile()
    X = np.ascontiguousarray(digits16.X_test)
    y_keras = mlp.predict(X, verbose=0)
    y_hls = hm.predict(X)
    agreement = np.mean(np.argmax(y_keras, 1) == np.argmax(y_hls, 1))
    acc_keras, acc_hls = accuracy(y_keras, y=digits16.y_test), accuracy(y_hls, y=digits16.y_test)
    print(f"argmax agreement {agreement:.4f}, keras acc {acc_keras:.4f}, hls4ml C-sim acc {acc_hls:.4f}")
    assert agreement >= 0.99
    assert acc_keras > 0.9 and abs(acc_keras - acc_hls) <= 0.01
    # the softmax is not the constant 0.2 that hls4ml's 'auto' result precision produces
    assert np.std(y_hls[:, 0]) > 0.05
