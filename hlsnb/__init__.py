"""hlsnb: put a Keras network on an FPGA with hls4ml, from a notebook.

The package namespace is lazy (PEP 562): ``import hlsnb`` loads nothing but the TensorFlow log filter, and each
public name below loads its module on first use. That keeps ``import hlsnb.board`` down to the board code, its
fixed-point helpers and the error classes, which is what runs on the board's own Python (no design, rules or
estimator there).
"""

from . import _quiet

# TensorFlow's C++ start-up lines stay out of notebooks (HLSNB_TF_LOGS=1 keeps them). Installed here, not on the
# lazy paths, because the user may import keras directly after ``import hlsnb``; _quiet imports only the stdlib.
_quiet.install()

__all__ = ["__version__", "Design", "LayerSpec", "FixedType", "parse_precision", "get_board", "get_part",
           "BOARDS", "PARTS", "load_dataset"]

# public name -> module (relative to this package) that defines it
_LAZY = {
    "__version__": "._version",
    "Design": ".design",
    "LayerSpec": ".design",
    "FixedType": ".precision",
    "parse_precision": ".precision",
    "get_board": ".targets",
    "get_part": ".targets",
    "BOARDS": ".targets",
    "PARTS": ".targets",
}


def __getattr__(name: str):
    """Load a public name's module on first access and cache the name here (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        # AttributeError (not ImportError) so that ``from hlsnb import rules`` falls back to the submodule
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(__all__))


def load_dataset(name: str = "digits16", **kwargs):
    """Shortcut for :func:`hlsnb.data.load_dataset`."""
    from .data import load_dataset as _load

    return _load(name, **kwargs)
