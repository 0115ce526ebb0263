"""hls4ml's own configs load (issue 26.1): every config ``config_from_keras_model`` and ``create_initial_config``
emit, for every backend and zoo model; keys hlsnb does not model are carried and written back; a round trip through
hls4ml builds the same layers."""

from __future__ import annotations

import copy
import json
import warnings

import pytest
import zoo_models  # tests/zoo_models.py

from hlsnb import Design
from hlsnb.design import load
from hlsnb.errors import InvalidSetting

BACKENDS = ("Vivado", "Vitis", "VivadoAccelerator")
GRANULARITIES = ("model", "type", "name")
#: hls4ml 1.3 cannot parse the Keras 3 separable model (its handler reads ``layer.kernel``).
ARCHS = sorted(n for n in zoo_models.ZOO if n != "separable")


@pytest.fixture(scope="module")
def models():
    return {name: zoo_models.build(name) for name in ARCHS}


def _config(model, granularity, backend):
    from hls4ml.utils import config_from_keras_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return config_from_keras_model(model, granularity=granularity, backend=backend)


def test_every_config_hls4ml_writes_for_every_zoo_model_and_backend_loads(models):
    """26 architectures x 3 granularities x 3 backends: no refusal, every layer's carried keys come back."""
    for name, model in models.items():
        for g in GRANULARITIES:
            for backend in BACKENDS:
                cfg = _config(model, g, backend)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # LayerType keys hls4ml ignores are told, see below
                    d = Design.from_hls4ml_config(model, cfg, backend=backend)
                out = d.to_hls4ml_config()
                if g == "name":
                    for layer, entry in cfg["LayerName"].items():
                        for key, value in entry.items():
                            if key in ("Precision", "Strategy", "ReuseFactor"):
                                continue
                            assert out["LayerName"][layer][key] == value, (name, backend, layer, key)


def test_the_tutorial_mlp_with_standalone_activations_and_softmax(models):
    """The issue's case: ``relu1``-style Activation layers carry TableSize, the softmax Implementation, Skip and its
    table precisions; all come back verbatim, and survive the design's JSON file."""
    m = models["activations"]
    cfg = _config(m, "name", "Vivado")
    sm = cfg["LayerName"]["sm"]
    sm.update(Implementation="latency", TableSize=2048, Skip=True)
    sm["Precision"].update(exp_table="ap_fixed<18,8,AP_RND,AP_SAT>", inv_table="ap_fixed<18,4>")
    d = Design.from_hls4ml_config(m, cfg)
    assert d.layer("sm").extra["TableSize"] == 2048 and d.layer("sm").extra["Implementation"] == "latency"
    back = load(d.to_json()).to_hls4ml_config()["LayerName"]["sm"]
    assert back["Skip"] is True and back["TableSize"] == 2048 and back["Implementation"] == "latency"
    assert back["Precision"]["exp_table"] == "ap_fixed<18,8,AP_RND,AP_SAT>"
    assert back["Precision"]["result"] == d.layer("sm").result_precision  # the modelled setting, hlsnb's value


def test_cnn_keys_and_a_whole_project_config(models):
    """ParallelizationFactor / ConvImplementation of a CNN are carried; ``create_initial_config``'s project keys
    (Part, ClockPeriod, IOType, Backend) become the target and the rest goes back as converter arguments."""
    import hls4ml

    m = models["conv2d"]
    project = hls4ml.backends.get_backend("Vitis").create_initial_config(part="xczu9eg-ffvb1156-2-e",
                                                                        clock_period=4, io_type="io_stream")
    project["Backend"] = "Vitis"
    project["HLSConfig"] = _config(m, "name", "Vitis")
    project["HLSConfig"]["LayerName"]["c1"].update(ParallelizationFactor=4, ConvImplementation="LineBuffer")
    d = Design.from_hls4ml_config(m, project)
    assert (d.board, d.part_number, d.clock_ns, d.io_type, d.backend) == \
        (None, "xczu9eg-ffvb1156-2-e", 4.0, "io_stream", "Vitis")
    assert d.to_hls4ml_config()["LayerName"]["c1"]["ParallelizationFactor"] == 4
    kw = d.hls4ml_kwargs()
    assert kw["clock_uncertainty"] == "27%" and kw["write_weights_txt"] is True
    acc = hls4ml.backends.get_backend("VivadoAccelerator").create_initial_config(board="pynq-z2")
    acc["HLSConfig"] = _config(m, "model", "VivadoAccelerator")
    d = Design.from_hls4ml_config(m, acc)
    assert d.board == "pynq-z2" and d.hls4ml_kwargs()["interface"] == "axi_stream"


def test_a_layer_type_hls4ml_ignores_is_told_not_applied(models):
    """``granularity='type'`` writes Keras class names (``MaxPooling2D``) that hls4ml 1.3 matches against its own
    classes (``Pooling2D``) and so ignores; hlsnb builds what hls4ml builds, and says so."""
    m = models["conv2d"]
    cfg = _config(m, "type", "Vivado")
    cfg["LayerType"]["MaxPooling2D"]["Precision"]["result"] = "ap_fixed<9,4>"
    with pytest.warns(UserWarning, match="LayerType 'MaxPooling2D' is ignored by hls4ml.*Pooling2D"):
        d = Design.from_hls4ml_config(m, cfg)
    assert d.layer("p1").result_precision != "ap_fixed<9,4>"


@pytest.mark.parametrize("mutate,words", [
    (lambda c: c["LayerName"]["fc1"].update(TabelSize=1024), ("'fc1'", "'TabelSize'", "did you mean", "TableSize")),
    (lambda c: c["Model"].update(ParalelizationFactor=2), ("Model", "ParallelizationFactor")),
    (lambda c: c["LayerName"]["fc1"]["Precision"].update(tabel="ap_fixed<8,3>"), ("'fc1'", "'tabel'", "'table'")),
    (lambda c: c["LayerName"]["fc1"]["Precision"].update(table="ap_fixd<8,3>"), ("'fc1'", "table", "ap_fixd")),
    (lambda c: c.update(Flow=["x"]), ("sections", "'Flow'", "Flows")),
])
def test_a_key_hls4ml_does_not_read_is_refused_with_the_nearest_spelling(models, mutate, words):
    cfg = _config(models["mlp"], "name", "Vivado")
    mutate(cfg)
    with pytest.raises(InvalidSetting) as info:
        Design.from_hls4ml_config(models["mlp"], cfg)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def _attributes(graph) -> dict:
    """Every plain attribute and every type's precision of every layer hls4ml built (not the C++ text, which names
    the types after where they were set)."""
    out = {}
    for name, layer in graph.graph.items():
        out[name] = {k: (str(v.precision) if hasattr(v, "precision") else v) for k, v in layer.attributes.items()
                     if (hasattr(v, "precision") or isinstance(v, (int, float, str, bool)) or v is None)
                     and not k.endswith("_cpp") and k != "trace"}
    return out


@pytest.mark.parametrize("arch,granularity,backend", [
    ("activations", "name", "Vivado"), ("activations", "type", "Vitis"), ("conv2d", "type", "Vivado"),
    ("lstm", "name", "Vitis"), ("reused_layer", "type", "Vivado"), ("mlp", "model", "Vivado"),
])
def test_round_trip_through_hls4ml_builds_the_same_layers(models, arch, granularity, backend, tmp_path):
    """Convert with hls4ml's own config and with ``Design.from_hls4ml_config(...).to_hls4ml_config()``: every
    layer's attributes (ReuseFactor, strategy, table sizes, implementation, every type's precision) are equal."""
    import hls4ml

    m = models[arch]
    cfg = _config(m, granularity, backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Design.from_hls4ml_config(m, cfg, backend=backend, board=None, part="xc7z020clg400-1", clock_ns=10)
    kw = dict(backend=backend, io_type="io_parallel", part="xc7z020clg400-1", clock_period=10)
    theirs = _attributes(hls4ml.converters.convert_from_keras_model(
        m, hls_config=copy.deepcopy(cfg), output_dir=str(tmp_path / "a"), **kw))
    ours = _attributes(hls4ml.converters.convert_from_keras_model(
        m, hls_config=d.to_hls4ml_config(), output_dir=str(tmp_path / "b"), **kw))
    assert theirs.keys() == ours.keys()
    for layer in theirs:
        diff = {k: (theirs[layer].get(k), ours[layer].get(k)) for k in theirs[layer].keys() | ours[layer].keys()
                if theirs[layer].get(k) != ours[layer].get(k)}
        assert not diff, (layer, json.dumps(diff, default=str)[:400])


def test_the_pruning_apis_config_with_iotype_beside_the_sections(models):
    """hls4ml's DSP-aware pruning takes ``config_from_keras_model(...)`` with ``IOType`` added at the top: read as
    the target's io type (the compat drop-in's config entry point can go through the Design)."""
    cfg = _config(models["conv2d"], "name", "Vivado")
    cfg["IOType"] = "io_stream"
    d = Design.from_hls4ml_config(models["conv2d"], cfg)
    assert d.io_type == "io_stream"
    with pytest.raises(InvalidSetting, match="IOType is 'io_stream' but io_type='io_parallel'"):
        Design.from_hls4ml_config(models["conv2d"], cfg, io_type="io_parallel")


def test_a_project_config_loaded_onto_a_design_never_drops_its_target(models):
    """The Explorer loads a config onto its design (``base=``): a project's IOType / Part that differ from the
    design's raise naming both, instead of being ignored; the same target loads."""
    from hlsnb.design.hls4ml_config import from_hls4ml_config

    m = models["mlp"]
    d = Design.from_keras(m)
    cfg = {"IOType": "io_stream", "Model": {"Precision": "ap_fixed<16,6>"}}
    with pytest.raises(InvalidSetting, match="io_type is 'io_stream', the design's 'io_parallel'"):
        from_hls4ml_config(Design, m, cfg, base=d)
    cfg = {"Part": "xcvu13p-flga2577-2-e", "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>"}}}
    with pytest.raises(InvalidSetting, match="Part is 'xcvu13p-flga2577-2-e', the design's 'xc7z020clg400-1'"):
        from_hls4ml_config(Design, m, cfg, base=d)
    cfg = {"Part": "xc7z020clg400-1", "IOType": "io_parallel", "HLSConfig": {"Model": {"ReuseFactor": 2}}}
    assert from_hls4ml_config(Design, m, cfg, base=d).part_number == d.part_number


def test_round_trip_of_every_zoo_model(models, tmp_path):
    """Every zoo architecture once (granularity and backend taking turns): hls4ml builds the same layers from
    hlsnb's config as from its own. Architectures hls4ml 1.3 cannot convert from its own config (``dot`` by type or
    name, ``permute``) are named, not hidden."""
    import hls4ml

    cannot, compared = [], 0
    for i, arch in enumerate(ARCHS):
        m, g, backend = models[arch], GRANULARITIES[i % 3], ("Vivado", "Vitis")[i % 2]
        cfg = _config(m, g, backend)
        kw = dict(backend=backend, io_type="io_parallel", part="xc7z020clg400-1", clock_period=10)
        try:
            theirs = _attributes(hls4ml.converters.convert_from_keras_model(
                m, hls_config=copy.deepcopy(cfg), output_dir=str(tmp_path / f"{arch}_a"), **kw))
        except Exception as e:  # hls4ml's own failure on its own config: not ours to compare
            cannot.append(f"{arch}: {type(e).__name__}")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            d = Design.from_hls4ml_config(m, cfg, backend=backend, board=None, part="xc7z020clg400-1", clock_ns=10)
        ours = _attributes(hls4ml.converters.convert_from_keras_model(
            m, hls_config=d.to_hls4ml_config(), output_dir=str(tmp_path / f"{arch}_b"), **kw))
        assert theirs == ours, (arch, g, backend, [k for k in theirs if theirs[k] != ours.get(k)])
        compared += 1
    assert compared >= len(ARCHS) - 2, cannot


@pytest.mark.parametrize("granularity", ["type", "name"])
def test_hls4mls_own_config_with_a_default_reuse_factor_loads_and_comes_back(models, granularity):
    """``config_from_keras_model(default_reuse_factor=4)`` writes ReuseFactor 4 on every layer, activations and
    softmax included. hls4ml builds it (the value is unused where a kernel has nothing to share): hlsnb loads it for
    every zoo model, keeps 4 as the setting where it has one, carries it to hls4ml unchanged where it has none, and
    says so in ``warnings()``."""
    from hls4ml.utils import config_from_keras_model

    for name, model in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cfg = config_from_keras_model(model, granularity=granularity, backend="Vivado", default_reuse_factor=4)
            d = Design.from_hls4ml_config(model, cfg, io_type="io_parallel")
        out = d.to_hls4ml_config()
        section = "LayerName" if granularity == "name" else "LayerType"
        for key, entry in cfg[section].items():
            if entry.get("ReuseFactor") is not None and key in out.get(section, {}):
                assert out[section][key].get("ReuseFactor", out["Model"].get("ReuseFactor")) == 4, (name, key)
        if granularity == "name":
            carried = [l for l in d.layers if l.extra.get("ReuseFactor") == 4]
            assert all(l.reuse_factor == 1 for l in carried)
            said = " ".join(d.warnings())
            assert all(f"'{l.name}': ReuseFactor 4 from the hls4ml config" in said for l in carried), name


def test_a_malformed_setting_on_a_layer_without_that_setting_is_still_refused(models):
    model = models["mlp"] if "mlp" in models else next(iter(models.values()))
    from hls4ml.utils import config_from_keras_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = config_from_keras_model(model, granularity="name", backend="Vivado")
    act = next(l.name for l in Design.from_keras(model).layers if not l.is_mult_layer and l.layer_type != "Input")
    for key, bad in (("ReuseFactor", 0), ("ReuseFactor", "four"), ("Strategy", "Fastest")):
        c = copy.deepcopy(cfg)
        c["LayerName"][act][key] = bad
        with pytest.raises(InvalidSetting, match=f"'{act}'"):
            Design.from_hls4ml_config(model, c)
