"""hlsnb's vocabulary: the names every module and every message uses, defined once.

Ground floor (stdlib only, imports nothing of hlsnb): the tools hls4ml's backends drive, the stages a number can
stand for (each with one label), the resources, io types, strategies and backends. A module that needs one of
these lists imports it from here; an error message that lists the valid values joins the tuple here, so the
message cannot drift from what is accepted. ``tests/test_vocab.py`` checks nobody types them again.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "TOOLS", "TOOL_LABELS", "BACKENDS", "TOOL_OF_BACKEND", "PLAIN_BACKEND", "IO_TYPES", "STRATEGIES", "RESOURCES",
    "REPORT_RESOURCES", "RESOURCE_LABELS", "STAGES", "ESTIMATE_STAGES", "STAGE_LABELS", "STAGE_NAMES",
    "stage_label", "valid_list",
]

#: The HLS tools hls4ml's backends drive (``Design.tool``, a calibration's per-tool blocks, report rows).
TOOLS = ("vivado_hls", "vitis_hls")
#: How people name them.
TOOL_LABELS = MappingProxyType({"vivado_hls": "Vivado HLS", "vitis_hls": "Vitis HLS"})

#: The hls4ml backends hlsnb builds for (its spelling in ``convert_from_keras_model(backend=...)``).
BACKENDS = ("Vivado", "Vitis", "VivadoAccelerator")
#: The HLS tool each backend drives: Vivado and VivadoAccelerator run Vivado HLS, Vitis runs Vitis HLS.
TOOL_OF_BACKEND = MappingProxyType({"Vivado": "vivado_hls", "VivadoAccelerator": "vivado_hls",
                                    "Vitis": "vitis_hls"})
#: The backend whose HLS code and C simulation an accelerator backend wraps (its PYNQ wrapper adds no layer and no
#: type); ``PLAIN_BACKEND.get(b, b)``: any other backend is its own.
PLAIN_BACKEND = MappingProxyType({"VivadoAccelerator": "Vivado"})

#: hls4ml's io types.
IO_TYPES = ("io_parallel", "io_stream")

#: Strategies hls4ml 1.3 implements for layers with multipliers (its spelling in the config).
STRATEGIES = ("Latency", "Resource", "Resource_Unrolled", "distributed_arithmetic")

#: The resources every estimate (and every table of them) reports, in this order.
RESOURCES = ("dsp", "lut", "ff", "bram18k")
#: The resource columns a synthesis report holds: the estimated four plus UltraRAM.
REPORT_RESOURCES = (*RESOURCES, "uram")
#: How a table or an axis names each resource.
RESOURCE_LABELS = MappingProxyType({"dsp": "DSP", "lut": "LUT", "ff": "FF", "bram18k": "BRAM18K",
                                    "uram": "URAM"})

#: The stages of the flow a resource number can stand for, each with its one label (what a table, an axis, a hover
#: or a message calls it). ``csynth`` is the HLS tool's own estimate; the others are synthesis results.
STAGE_LABELS = MappingProxyType({
    "csynth": "HLS csynth estimate",
    "vsynth": "Vivado post-synthesis",
    "impl": "Vivado post-implementation (placed and routed)",
    "yosys": "Yosys post-synthesis (open-source mapping)",
})
#: Every stage a report can be read at.
STAGES = tuple(STAGE_LABELS)
#: The stages hlsnb's estimator can estimate (``estimate_design(..., stage=)``).
ESTIMATE_STAGES = ("csynth", "vsynth")
#: The short names of the estimate stages (a dropdown, a legend entry).
STAGE_NAMES = MappingProxyType({"csynth": "HLS csynth", "vsynth": "Vivado post-synthesis"})


def stage_label(stage: str, estimated: bool = False) -> str:
    """The one label of ``stage``; ``estimated=True`` says the number is hlsnb's estimate of it, not a report's."""
    label = STAGE_LABELS.get(stage, stage)
    return f"{label}, estimated by hlsnb" if estimated else label


def valid_list(values) -> str:
    """``values`` as a message lists the valid ones: ``"a, b, c"``."""
    return ", ".join(map(str, values))
