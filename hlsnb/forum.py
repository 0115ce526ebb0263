"""The forum's design: the hls4ml tutorial's quantized, pruned MLP that asked the seed question, in the project.

The forum user who found "Resource at ReuseFactor 64 used MORE LUTs than Latency" built the hls4ml tutorial's part 7a
network, which is the part-4 ``model_3``: a 16-64-32-32-5 MLP with 6-bit weights and biases (QKeras
``quantized_bits(6,0,alpha=1)``: ``ap_fixed<6,1>``), 6-bit quantized ReLUs (``quantized_relu(6)``:
``ap_ufixed<6,0>``), 75 % of the weights pruned to zero, ReuseFactor 64 on every Dense, hls4ml's VivadoAccelerator
backend on the PYNQ-Z2, Vivado HLS 2019.2 (``../shared/FACTS.md``, "Why Resource can use MORE LUTs", point 6).

- :func:`train_forum_mlp` trains that network here, quantization-aware (HGQ2 fixed quantizers of the tutorial's
  types: QKeras does not run on Keras 3, HGQ2 converts bit-exactly with hls4ml) and pruned as the tutorial prunes
  (every Dense layer to 75 % zeros by weight magnitude along a polynomial schedule), with hlsnb.prune's masks and
  schedule.
- :func:`forum_design` gives the forum's hls4ml configuration as a :class:`hlsnb.design.Design`: on a trained model,
  its weights (zero counts, 6-bit types) with the forum's input type and the Dense accumulators hls4ml infers for
  the forum's ``auto`` (27/19/18/18 bits); with no model, the public build's design from the calibration data
  (sizes, precisions and zero counts, no Keras). :func:`hgq_design` is the same model with the narrower types
  hls4ml's conversion of the HGQ2 model picks (not what the forum built).
- :func:`dense16_what_if` is the same network at 16 bits without pruning: "what if you had not quantized and pruned",
  the design hlsnb used to answer the seed question with (and got the opposite answer).

Floor 6 of docs/ARCHITECTURE.md (a workflow, like :mod:`hlsnb.fit`): design, estimator-free; it imports
:mod:`hlsnb.prune`'s public API, training and data.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .csim import trace_csim
from .data import Dataset, load_dataset
from .design import Design, LayerSpec
from .design.hls4ml_config import apply_design_types, convert_from_keras, vivado_kwargs
from .errors import InvalidSetting
from .precision import FixedType, parse_precision
from .rules import canonical_strategy, check_tool_version

__all__ = ["train_forum_mlp", "forum_design", "hgq_design", "dense16_what_if", "reuse_factor_substitutions",
           "FORUM_SIZES", "DENSE_LAYERS", "PUBLIC_ZEROS", "PUBLIC_SOURCE", "FORUM_DATASET", "FORUM_TOOL",
           "FORUM_CLOCK_NS", "BACKENDS_BY_TOOL", "zero_counts", "csim_check", "CsimCheck"]

#: The tutorial network's layer sizes: 16 inputs, ReLU layers of 64, 32 and 32, 5 outputs.
FORUM_SIZES = (16, 64, 32, 32, 5)
#: Its Dense layers, in order (the names of the tutorial's Keras model).
DENSE_LAYERS = ("fc1", "fc2", "fc3", "output")
#: (zero weights, weights) per Dense layer of the public builds of this design (``reports3.csv``: the weight files
#: w2/w5/w8/w11 of nicologhielmetti/hls4ml-pynq, the tutorial's ``model_3``; the Latency build of
#: Liu-Zhiheng/hls4ml-pynqz2-vivado2019-2-results is the same model, its per-layer counts were not committed).
PUBLIC_ZEROS = {"fc1": (770, 1024), "fc2": (1566, 2048), "fc3": (772, 1024), "output": (120, 160)}
PUBLIC_SOURCE = "nicologhielmetti/hls4ml-pynq weight files (../shared/calibration/reports3.csv)"
#: The offline data set of the tutorial's shape (16 features, 5 classes) the forum network trains on.
FORUM_DATASET = "digits16"
#: The forum's tool and clock: hls4ml's VivadoAccelerator backend runs Vivado HLS; its pynq-z2 default is 5 ns.
FORUM_TOOL = "vivado_hls 2019.2"
FORUM_CLOCK_NS = 5.0
#: hls4ml backend for an HLS tool, with a board (the accelerator wrapper) and without.
BACKENDS_BY_TOOL = {"vivado_hls": ("VivadoAccelerator", "Vivado"), "vitis_hls": ("Vitis", "Vitis")}
_INPUT_PRECISION = "ap_fixed<16,6>"  # the tutorial's Model default: the input and the softmax


# ---------------------------------------------------------------------------------------------------- training
def train_forum_mlp(data: Dataset | None = None, *, epochs: int = 30, seed: int = 0, sparsity: float = 0.75,
                    bits: int = 6, progress=True, prune_steps: int = 5, batch_size: int = 64,
                    learning_rate: float = 3e-3):
    """Train the forum's network quantization-aware and prune it as the hls4ml tutorial does (a few seconds to a
    few tens of seconds on 2 cores).

    Parameters
    ----------
    data : the data set (default :data:`FORUM_DATASET`: 16 features, 5 classes, offline). The network takes its
        input and output sizes from it.
    epochs : training epochs in all: the first third unpruned, the rest split over the pruning steps.
    seed : seeds Keras, the split and the initial weights: the same call gives the same model.
    sparsity : the fraction of every Dense layer's weights that ends at zero (the tutorial's 0.75).
    bits : weight, bias and ReLU-output width (the tutorial's 6: ``ap_fixed<6,1>`` weights, ``ap_ufixed<6,0>``
        ReLU outputs).
    progress : True (one bar over all epochs), False, or a callable ``f(done_epochs, total_epochs, text)``.
    prune_steps : steps of the polynomial schedule from 0 to ``sparsity`` (hlsnb.prune.PolynomialScheduler).

    Returns the Keras model (HGQ2 layers ``fc1``, ``fc2``, ``fc3``, ``output`` and a ``softmax``); its float weights
    are set to their quantized values, so every zero hls4ml writes is a zero of the model. ``model.forum_info``
    (not saved with the model) holds the measured training time, the test accuracy and the zero counts.

    How it prunes: per layer, the smallest-magnitude weights are masked (hlsnb.prune's ``LayerMask``, re-applied
    with ``apply_masks`` after every batch as tfmot's pruning wrapper does, so they stay exactly zero), more at
    every step of the schedule, like the tutorial's ``prune_low_magnitude`` with a polynomial decay to 75 %.
    hlsnb.prune's DSP-aware ``prune()`` would not prune this design: with Latency at ReuseFactor 64 a zero weight
    removes no multiplier (hls4ml #566); the tutorial pruned for size and accuracy, not DSPs.
    """
    if not (isinstance(sparsity, (int, float)) and 0.0 <= float(sparsity) < 1.0):
        raise ValueError(f"sparsity (fraction of each Dense layer's weights set to zero) must be in [0, 1), "
                         f"got {sparsity!r}")
    if not (isinstance(epochs, int) and epochs >= 2):
        raise ValueError(f"epochs must be an integer >= 2 (a third trains unpruned, the rest prunes), got {epochs!r}")
    if not (isinstance(prune_steps, int) and 1 <= prune_steps <= epochs):
        raise ValueError(f"prune_steps must be an integer in 1..epochs ({epochs}), got {prune_steps!r}")
    import keras

    from .prune import LayerMask, PolynomialScheduler, apply_masks, group_importance
    from .train import EpochBar, accuracy, build_fixed_qat_mlp, snap_to_quantized

    t0 = time.perf_counter()
    data = data if data is not None else load_dataset(FORUM_DATASET, seed=seed)
    model = build_fixed_qat_mlp(n_in=data.n_features, hidden=FORUM_SIZES[1:-1], n_out=data.n_classes, bits=bits,
                                seed=seed)
    dense = [l.name for l in model.layers if hasattr(l, "kernel")]
    warm = max(1, epochs // 3) if sparsity > 0 else epochs
    steps = prune_steps if sparsity > 0 else 0
    per_step = [(epochs - warm) // steps + (1 if i < (epochs - warm) % steps else 0) for i in range(steps)]
    bar = EpochBar(epochs, f"training {model.name} (quantization-aware, {bits}-bit)", progress)
    starts = {warm + sum(per_step[:i]): i for i in range(steps)}  # epoch -> pruning step that starts there
    sched = PolynomialScheduler(steps=max(1, steps), final=float(sparsity))
    state = {"masks": {}}

    class _Prune(keras.callbacks.Callback):
        """Masks the smallest weights at each step's first epoch and keeps them zero after every batch."""

        def on_epoch_begin(self, epoch, logs=None):
            if epoch in starts:
                _, s = sched.update_step()
                state["masks"] = _magnitude_masks(model, dense, s, state["masks"], group_importance, LayerMask)
                apply_masks(model, state["masks"])
                bar.describe(f"pruning to {100 * s:.0f} % zeros")

        def on_train_batch_end(self, batch, logs=None):
            if state["masks"]:
                apply_masks(model, state["masks"])  # as tfmot's pruning wrapper: the next batch sees the zeros

    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    try:
        model.fit(data.X_train, data.y_train, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True,
                  callbacks=[_Prune(), bar.callback()])
    finally:
        bar.close()
    if state["masks"]:
        apply_masks(model, state["masks"])
    snap_to_quantized(model)
    zeros = {n: (int(np.count_nonzero(model.get_layer(n).kernel.numpy() == 0)),
                 int(np.size(model.get_layer(n).kernel.numpy()))) for n in dense}
    model.forum_info = {
        "seconds": time.perf_counter() - t0, "epochs": epochs, "sparsity": float(sparsity), "bits": bits,
        "dataset": data.name, "keras_test_accuracy": accuracy(model, data.X_test, data.y_test), "zeros": zeros,
    }
    return model


def _magnitude_masks(model, names, sparsity: float, previous: dict, group_importance, LayerMask) -> dict:
    """Per layer, keep-masks zeroing ``round(sparsity * size)`` weights of least |w|; pruned weights stay pruned."""
    out = {}
    for n in names:
        k = np.asarray(model.get_layer(n).kernel.numpy())
        imp = group_importance(k, np.arange(k.size).reshape(k.shape), k.size, "l1")
        if n in previous:
            imp = np.where(previous[n].kernel.ravel() == 0, -1.0, imp)  # already pruned: first out again
        n_zero = int(round(sparsity * k.size))
        keep = np.ones(k.size, dtype=np.float32)
        keep[np.argsort(imp, kind="stable")[:n_zero]] = 0.0
        out[n] = LayerMask(keep.reshape(k.shape))
    return out


def zero_counts(design: Design) -> dict:
    """Dense layer -> (zero weights, weights) of a design (what the estimator and hls4ml see)."""
    return {l.name: (int(l.n_zeros), int(l.n_weights)) for l in design.layers if l.layer_type == "Dense"}


# ---------------------------------------------------------------------------------------------------- designs
def _tool(tool: str, board: str | None) -> tuple[str, str, str]:
    """(backend, tool, version) of ``"vivado_hls 2019.2"``-style text."""
    parts = str(tool).split()
    if len(parts) != 2 or parts[0] not in BACKENDS_BY_TOOL:
        raise InvalidSetting(f"tool {tool!r} is not '<tool> <version>' with tool one of "
                             f"{', '.join(BACKENDS_BY_TOOL)}, e.g. {FORUM_TOOL!r}")
    name, version = parts
    version = check_tool_version(name, version, f"tool {tool!r}:")
    backend = BACKENDS_BY_TOOL[name][0 if board else 1]
    return backend, name, version


def _auto_dense_type(inp: FixedType, weight: FixedType, bias: FixedType, n_in: int) -> str:
    """The accumulator/result type hls4ml's ``infer_precision`` gives a Dense layer whose result is ``auto``
    (what the tutorial's QKeras config says): wide enough for n_in products and the bias, never rounded."""
    import math

    width = weight.width + inp.width + math.ceil(math.log2(n_in))
    integer = weight.integer + inp.integer + math.ceil(math.log2(n_in))
    signed = weight.signed or inp.signed
    frac = width - integer
    integer = max(integer + (bias.signed and not signed), bias.integer + (signed and not bias.signed)) + 1
    width = integer + max(frac, bias.width - bias.integer)
    return str(FixedType(width, integer, signed=signed or bias.signed))


def _public_layers(bits: int = 6) -> list[LayerSpec]:
    """The public build's layers (hls4ml's names for the tutorial's Keras model), with its types and zero counts."""
    w = f"ap_fixed<{bits},1>"
    relu = f"ap_ufixed<{bits},0,AP_RND_CONV,AP_SAT>"
    sizes = FORUM_SIZES
    layers = [LayerSpec("fc1_input", "Input", "InputLayer", (sizes[0],), (sizes[0],), sizes[0], sizes[0],
                        result_precision=_INPUT_PRECISION)]
    prev, prev_t = "fc1_input", parse_precision(_INPUT_PRECISION)
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        name = DENSE_LAYERS[i]
        acc = _auto_dense_type(prev_t, parse_precision(w), parse_precision(w), a)
        zeros, n = PUBLIC_ZEROS[name]
        layers.append(LayerSpec(name, "Dense", "QDense", (a,), (b,), a, b, n_weights=n, n_zeros=zeros, n_bias=b,
                                weight_precision=w, bias_precision=w, accum_precision=acc, result_precision=acc,
                                inputs=(prev,)))
        last = name == "output"
        act = "softmax" if last else f"relu{i + 1}"
        layers.append(LayerSpec(act, "Softmax" if last else "Activation", "Activation" if last else "QActivation",
                                (b,), (b,), b, b, activation="softmax" if last else "relu",
                                result_precision=_INPUT_PRECISION if last else relu, inputs=(name,)))
        prev, prev_t = act, parse_precision(relu)
    return layers


def _hls4ml_types(design: Design, model) -> dict:
    """Layer -> {kind: precision} as hls4ml's own conversion gives them for ``model`` with ``design`` (no files
    written, no compile): hls4ml's converter itself, not :meth:`Design.convert`, which puts the design's types back."""
    import contextlib
    import io
    import warnings

    import hls4ml

    with tempfile.TemporaryDirectory(prefix="hlsnb_forum_") as tmp, contextlib.redirect_stdout(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hls4ml's note that a Keras softmax is not bit-exact: said in the docs
        # the plain Vivado backend: the same types as VivadoAccelerator's (which only adds the PYNQ wrapper), and
        # hls4ml converts with it the HGQ2 models whose standalone quantizers VivadoAccelerator refuses
        hm = hls4ml.converters.convert_from_keras_model(
            model, **vivado_kwargs(design, design.hls4ml_kwargs(output_dir=f"{tmp}/prj")))
    out = {}
    for layer in hm.get_layers():
        t = {}
        for kind in ("weight", "bias", "accum", "result"):
            v = layer.types.get(f"{kind}_t")
            if v is not None:
                t[kind] = str(parse_precision(str(v.precision)))
        out[layer.name] = t
    return out


def forum_design(model=None, *, strategy: str = "Latency", reuse_factor: int = 64, board: str | None = "pynq-z2",
                 tool: str = FORUM_TOOL, clock_ns: float = FORUM_CLOCK_NS) -> Design:
    """The forum's hls4ml settings (``strategy`` and ``reuse_factor`` on every Dense, ``board``'s accelerator
    backend, ``tool``) as a :class:`~hlsnb.design.Design`, with the types the forum's build has.

    The forum converted a QKeras model with ``config_from_keras_model(granularity='name')``: weights and biases
    ``ap_fixed<6,1>``, ReLU outputs ``ap_ufixed<6,0>`` (saturating, rounding), the input at the model default
    ``ap_fixed<16,6>``, and every Dense accumulator and result ``auto``, which hls4ml infers wide enough for every
    product and the bias (27, 19, 18 and 18 bits: the public build's config,
    ``../shared/calibration/reports3/Liu-Zhiheng*``).

    ``model``: a Keras model from :func:`train_forum_mlp` (or any HGQ2/Keras model of this shape): the forum's
    configuration on its weights: its zero counts, its weight, bias and ReLU types as hls4ml converts them (6-bit,
    the same as the forum's; the ReLU keeps the model's rounding mode, ``AP_RND``, so the C simulation computes
    what the model computes), the forum's input type and the Dense accumulators and results hls4ml infers for
    ``auto``. hls4ml's own conversion of an HGQ2 model gives narrower accumulators (HGQ2's minimal widths):
    :func:`hgq_design`. ``None``: the public build's design, from the calibration data: the tutorial's sizes and
    types and the zero counts of :data:`PUBLIC_ZEROS`; no Keras needed.

    ReuseFactor: hls4ml 1.3 keeps any ReuseFactor for Latency (the forum's Latency build has 64 on the 32x5 output
    layer too); for Resource, where ``reuse_factor`` is not valid for a layer (64 on the output layer, 160 products),
    the design has the value hls4ml builds instead, the closest valid one below it (32), and
    :func:`reuse_factor_substitutions` names each such layer; the notebooks and the seed answer print it. hlsnb's
    ``Design.set`` itself refuses such values: this function reproduces a known build, it takes no user choice.
    """
    strategy, reuse_factor, backend, version = _forum_args(strategy, reuse_factor, tool, board)
    if model is None:
        design = Design(_public_layers(), board=board, clock_ns=clock_ns, backend=backend, tool_version=version,
                        model_name="model_3", default_precision=_INPUT_PRECISION)
    else:
        design = Design.from_keras(model, board=board, backend=backend, tool_version=version, clock_ns=clock_ns)
        converted = _hls4ml_types(design, model)
        prev_t = None
        for spec in list(design.layers):
            types = converted.get(spec.name, {})
            if spec.layer_type == "Input":
                kw = {"result_precision": _forum_input_type(types.get("result"))}
            elif spec.layer_type == "Dense":
                w, b = types.get("weight", spec.weight_precision), types.get("bias", spec.bias_precision)
                acc = _auto_dense_type(prev_t, parse_precision(w), parse_precision(b), spec.n_in)
                kw = {"weight_precision": w, "bias_precision": b, "accum_precision": acc, "result_precision": acc}
            elif spec.layer_type == "Softmax":
                kw = {"result_precision": _INPUT_PRECISION}
            else:
                kw = {"result_precision": types.get("result", spec.result_precision)}
            design.set(spec.name, notify=False, **kw)
            prev_t = parse_precision(design.layer(spec.name).result_precision)
    return _with_strategy(design, strategy, reuse_factor)


def _forum_input_type(converted: str | None) -> str:
    """The forum's input type, ``ap_fixed<16,6>``, with the rounding and saturation modes of the model's own input
    quantizer when it has one (HGQ2's rounds and saturates: the C simulation then sees the values the model saw)."""
    forum = parse_precision(_INPUT_PRECISION)
    if converted is None:
        return str(forum)
    conv = parse_precision(converted)
    return str(replace(forum, rounding=conv.rounding, saturation=conv.saturation))


def hgq_design(model, *, strategy: str = "Latency", reuse_factor: int = 64, board: str | None = "pynq-z2",
               tool: str = FORUM_TOOL, clock_ns: float = FORUM_CLOCK_NS) -> Design:
    """The forum's settings on ``model`` (an HGQ2 model, e.g. from :func:`train_forum_mlp`) with the types hls4ml's
    conversion of the HGQ2 model gives: HGQ2 tells hls4ml the narrowest accumulator and result widths that hold
    every value this model's weights can produce (fc1 result ``ap_fixed<14,7>`` where the forum's QKeras build
    infers 27 bits), which is not what the forum built. A lesson of its own: narrower accumulators make every
    adder and register narrower. Strategy and ReuseFactors as :func:`forum_design`."""
    strategy, reuse_factor, backend, version = _forum_args(strategy, reuse_factor, tool, board)
    design = Design.from_keras(model, board=board, backend=backend, tool_version=version, clock_ns=clock_ns)
    for name, types in _hls4ml_types(design, model).items():
        if name in {l.name for l in design.layers} and types:
            spec = design.layer(name)
            design.set(name, notify=False, **{f"{k}_precision": v for k, v in types.items()
                                              if spec.precision(k) is not None or k == "result"})
    return _with_strategy(design, strategy, reuse_factor)


def _forum_args(strategy, reuse_factor, tool, board) -> tuple:
    """(strategy, reuse_factor, backend, tool version), checked."""
    strategy = canonical_strategy(strategy, "(all Dense layers)")
    if not (isinstance(reuse_factor, (int, np.integer)) and not isinstance(reuse_factor, bool) and reuse_factor >= 1):
        raise InvalidSetting(f"reuse_factor must be a positive integer, got {reuse_factor!r}")
    backend, _, version = _tool(tool, board)
    return strategy, int(reuse_factor), backend, version


def _with_strategy(design: Design, strategy: str, reuse_factor: int) -> Design:
    for l in design.layers:
        if l.is_mult_layer:
            design.set(l.name, strategy=strategy, reuse_factor=_built_reuse_factor(design, l.name, strategy,
                                                                                   reuse_factor), notify=False)
    return design


def _built_reuse_factor(design: Design, layer: str, strategy: str, asked: int) -> int:
    """The ReuseFactor hls4ml 1.3 builds when asked for ``asked``: Latency keeps any value, the Resource-type
    strategies substitute the closest valid one below it."""
    if strategy == "Latency":
        return int(asked)
    valid = design.valid_reuse_factors(layer, strategy)
    if asked in valid:
        return int(asked)
    below = [v for v in valid if v <= asked]
    return int(max(below) if below else min(valid))


def reuse_factor_substitutions(design: Design, reuse_factor: int = 64) -> dict:
    """Dense layer -> the ReuseFactor the design builds where it is not ``reuse_factor`` (hls4ml's substitute)."""
    return {l.name: int(l.reuse_factor) for l in design.layers if l.is_mult_layer and l.reuse_factor != reuse_factor}


def dense16_what_if(model_or_design, *, precision: str = _INPUT_PRECISION, **forum_kwargs) -> Design:
    """The same network with every type at ``precision`` (the tutorial's 16-bit default) and no zero weights:
    "what if you had not quantized and pruned". Same layers, Strategy, ReuseFactors and target.

    ``model_or_design``: a :class:`~hlsnb.design.Design` (e.g. from :func:`forum_design`), a Keras model (its
    :func:`forum_design` with ``forum_kwargs`` first) or ``None`` (the public build's design). Its weights are not
    carried: a 16-bit network trained without pruning has other, dense weights, so the estimate treats them as
    generic non-zero constants.
    """
    design = model_or_design if isinstance(model_or_design, Design) else forum_design(model_or_design,
                                                                                      **forum_kwargs)
    p = str(parse_precision(precision))
    layers = []
    for l in design.layers:
        kw = {f"{k}_precision": p for k in ("weight", "bias", "accum") if l.precision(k) is not None}
        layers.append(replace(l, result_precision=p, n_zeros=0, weights=None, **kw))
    return Design(layers, board=design.board, part=None if design.board else design.part_number,
                  io_type=design.io_type, clock_ns=design.clock_ns, backend=design.backend,
                  tool_version=design.tool_version, model_name=f"{design.model_name} (16-bit dense what-if)",
                  default_precision=p)


# ---------------------------------------------------------------------------------------------------- C simulation
@dataclass
class CsimCheck:
    """hls4ml's C simulation of a design against Keras on the test rows (all measured here).

    ``keras_accuracy`` / ``csim_accuracy``: test accuracy (fraction) of the Keras model and of the C simulation;
    ``agree``: fraction of test rows where both pick the same class; ``logits_bit_exact``: the values before the
    softmax (the ``output`` layer) are identical (HGQ2 quantizers convert bit-exactly; the softmax is hls4ml's
    lookup-table approximation, not bit-exact); ``max_logit_diff``: their largest difference; ``seconds``:
    conversion + g++ compile + run; ``compile_seconds``: the g++ part (0.0: the library came from the cache);
    ``types``: layer -> {kind: type} as hls4ml built them; ``zeros``: Dense layer
    -> zero weights in the weight arrays hls4ml writes; ``retyped``: layer -> {kind: (hls4ml's type, the design's
    type)} where the design's type replaced the one hls4ml's conversion chose
    (:func:`hlsnb.design.hls4ml_config.apply_design_types`).
    """

    keras_accuracy: float
    csim_accuracy: float
    agree: float
    logits_bit_exact: bool
    max_logit_diff: float
    n_rows: int
    seconds: float
    types: dict = field(default_factory=dict)
    zeros: dict = field(default_factory=dict)
    retyped: dict = field(default_factory=dict)
    compile_seconds: float = 0.0

    def __str__(self) -> str:
        exact = ("bit-exact" if self.logits_bit_exact
                 else f"NOT bit-exact (largest difference {self.max_logit_diff:g})")
        return (f"Test accuracy on {self.n_rows:,} rows (measured): Keras {100 * self.keras_accuracy:.1f} %, "
                f"hls4ml C simulation {100 * self.csim_accuracy:.1f} %; the two pick the same class on "
                f"{100 * self.agree:.1f} % of the rows; the values before the softmax are {exact}. "
                + (f"The C simulation was compiled in {self.compile_seconds:.0f} s." if self.compile_seconds else
                   "The C-simulation library came from the cache (this project, unchanged, compiled before)."))


def csim_check(model, data: Dataset, design: Design | None = None, *, output_dir: str | None = None,
               output_layer: str = "output") -> CsimCheck:
    """Convert ``model`` with ``design`` (default :func:`forum_design` of it), compile hls4ml's C simulation (g++,
    about 10-40 s on 2 busy cores; an unchanged project's library comes from :func:`hlsnb.synth.compile_csim`'s
    cache) and compare it with Keras on ``data``'s test rows. ``output_layer``: the layer whose
    values are compared bit for bit (the last one before the softmax)."""
    import contextlib
    import io
    import warnings

    import keras

    t0 = time.perf_counter()
    design = design if design is not None else forum_design(model)
    design.check_model(model)
    out = output_dir or tempfile.mkdtemp(prefix="hlsnb_forum_csim_")
    kw = design.hls4ml_kwargs(output_dir=out)
    kw["hls_config"]["LayerName"].setdefault(output_layer, {})["Trace"] = True
    X = np.ascontiguousarray(data.X_test, dtype=np.float32)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hm = convert_from_keras(model, kw, design)
        retyped = apply_design_types(hm, design)
        y_hls, trace, compile_s = trace_csim(hm, X)  # the traced library through the C-simulation cache
    y_hls = np.asarray(y_hls).reshape(len(X), -1)
    y_keras = np.asarray(model.predict(X, verbose=0))
    sub = keras.Model(model.inputs, model.get_layer(output_layer).output)
    z_keras = np.asarray(sub.predict(X, verbose=0)).reshape(len(X), -1)
    z_hls = np.asarray(trace[output_layer]).reshape(len(X), -1)
    types, zeros = {}, {}
    for layer in hm.get_layers():
        types[layer.name] = {k[:-2]: str(parse_precision(str(v.precision))) for k, v in layer.types.items()
                             if k in ("weight_t", "bias_t", "accum_t", "result_t")}
        w = layer.weights.get("weight") if hasattr(layer, "weights") else None
        if w is not None and layer.class_name == "Dense":
            zeros[layer.name] = int(np.count_nonzero(np.asarray(w.data) == 0))
    y = np.asarray(data.y_test)
    return CsimCheck(
        keras_accuracy=float(np.mean(y_keras.argmax(1) == y)), csim_accuracy=float(np.mean(y_hls.argmax(1) == y)),
        agree=float(np.mean(y_keras.argmax(1) == y_hls.argmax(1))),
        logits_bit_exact=bool(np.array_equal(z_keras, z_hls)), max_logit_diff=float(np.max(np.abs(z_keras - z_hls))),
        n_rows=len(X), seconds=time.perf_counter() - t0, types=types, zeros=zeros, retyped=retyped,
        compile_seconds=compile_s)
