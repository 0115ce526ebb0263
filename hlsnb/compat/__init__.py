"""Drop-in layers for other libraries' APIs, running on hlsnb (Keras 3).

``hlsnb.compat.hls4ml`` mirrors ``hls4ml.optimization.dsp_aware_pruning`` module by module; its ``install()``
makes that import path resolve to it. See docs/pruning_migration.md.
"""
