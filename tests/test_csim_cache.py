"""The content cache of hls4ml's C-simulation library (hlsnb.csim.compile_csim) and the shared cache code.

A hit must compute what a compile computes, and any change to what g++ reads (sources, flags, compiler) or to the
folder the library reads its weights from must be a miss.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

from hlsnb.cache import CacheWarning, cache_root, content_key, fetch_file, keep_file
from hlsnb.csim import compile_csim, csim_key


def _fake_project(d, stamp="abc123", flags="-O3 -fPIC"):
    """The files csim_key reads, as hls4ml writes them (no compiler needed)."""
    (d / "firmware" / "weights").mkdir(parents=True, exist_ok=True)
    (d / "firmware" / "myproject.cpp").write_text("int f() { return 1; }\n")
    (d / "firmware" / "weights" / "w2.h").write_text("float w2[4];\n")
    (d / "firmware" / "weights" / "w2.txt").write_text("0.5, 0.25, 0, 1\n")
    (d / "myproject_bridge.cpp").write_text("// bridge\n")
    (d / "build_lib.sh").write_text(f'CFLAGS="{flags}"\nLIB_STAMP={stamp}\ng++ $CFLAGS -c firmware/myproject.cpp\n')
    return d


def test_csim_key_follows_what_gcc_reads_and_the_folder(tmp_path):
    prj = _fake_project(tmp_path / "prj")
    key = csim_key(prj)
    assert key == csim_key(prj) and len(key) == 32
    # the per-write library stamp is not content
    _fake_project(prj, stamp="fff999")
    assert csim_key(prj) == key
    # a built library in firmware/ is not an input
    (prj / "firmware" / "myproject-fff999.so").write_bytes(b"\x7fELF")
    assert csim_key(prj) == key
    # the weight values in weights/*.txt are read by the library when it runs, from this folder: not compiled in
    (prj / "firmware" / "weights" / "w2.txt").write_text("1, 1, 1, 1\n")
    assert csim_key(prj) == key
    # every source g++ reads is
    (prj / "firmware" / "myproject.cpp").write_text("int f() { return 2; }\n")
    k_src = csim_key(prj)
    assert k_src != key
    (prj / "firmware" / "weights" / "w2.h").write_text("float w2[5];\n")
    k_hdr = csim_key(prj)
    assert k_hdr != k_src
    (prj / "myproject_bridge.cpp").write_text("// another bridge\n")
    k_bridge = csim_key(prj)
    assert k_bridge != k_hdr
    # and so are the compiler flags
    _fake_project(tmp_path / "flags", flags="-O1 -fPIC")
    _fake_project(tmp_path / "flags3")
    assert csim_key(tmp_path / "flags") != csim_key(tmp_path / "flags3")
    # the same sources in another folder: another key (the library reads that folder's weights)
    assert csim_key(_fake_project(tmp_path / "moved")) != csim_key(_fake_project(tmp_path / "prj2"))


def test_content_key_names_files_relative_to_base(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
    (tmp_path / "a" / "x.h").write_text("1")
    (tmp_path / "b" / "x.h").write_text("1")
    # bare names (the Yosys cache's key, unchanged): the same file moved to another folder keeps its key
    assert content_key([tmp_path / "a" / "x.h"], "s", "t") == content_key([tmp_path / "b" / "x.h"], "s", "t")
    # relative names: a file moved between sub-folders of the project is another input
    assert (content_key([tmp_path / "a" / "x.h"], "s", "t", base=tmp_path)
            != content_key([tmp_path / "b" / "x.h"], "s", "t", base=tmp_path))
    assert content_key([tmp_path / "a" / "x.h"], "s", "t") != content_key([tmp_path / "a" / "x.h"], "s", "t2")


def test_fetch_and_keep_never_fail_a_run(tmp_path):
    src = tmp_path / "lib.so"
    src.write_bytes(b"library")
    entry = cache_root("csim", tmp_path / "c") / "k" / "csim.so"
    assert not fetch_file(entry, tmp_path / "out.so", "C-simulation library")  # a miss
    assert keep_file(src, entry, "C-simulation library") == entry
    assert fetch_file(entry, tmp_path / "out.so", "C-simulation library")
    assert (tmp_path / "out.so").read_bytes() == b"library"
    # a cache folder that cannot be written: a warning, no exception, no entry
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    with pytest.warns(CacheWarning, match="could not store the C-simulation library"):
        assert keep_file(src, blocked / "k" / "csim.so", "C-simulation library") is None
    # an entry that cannot be copied to its destination: a miss with a warning
    with pytest.warns(CacheWarning, match="cannot be used"):
        assert not fetch_file(entry, tmp_path / "no" / "such" / "dir" / "out.so", "C-simulation library")


def _convert(design, model, out):
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return design.convert(model, output_dir=str(out))


def test_compile_csim_reuses_the_library_and_recompiles_when_sources_change(tmp_path):
    """Real hls4ml conversions and g++ compiles of a tiny network (three compiles, about 15 s)."""
    import keras

    from hlsnb.design import Design

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu", name="fc1"),
                              keras.layers.Dense(3, name="fc2")])
    X = np.random.default_rng(0).uniform(-2, 2, size=(50, 6)).astype(np.float32)
    design = Design.from_keras(model, board="pynq-z2")
    cache = tmp_path / "cache"
    prj = tmp_path / "prj"

    hm = _convert(design, model, prj)
    assert compile_csim(hm, cache_dir=cache) > 0  # first time: g++
    y1 = np.asarray(hm.predict(X))
    assert len(list((cache / "csim").glob("*/csim.so"))) == 1

    # the same design written again: the stored library, computing the same outputs
    again = _convert(design, model, prj)
    assert compile_csim(again, cache_dir=cache) == 0.0
    assert np.array_equal(np.asarray(again.predict(X)), y1)
    # and compile() itself agrees bit for bit with the cached library
    ref = _convert(design, model, tmp_path / "ref")
    with contextlib.redirect_stdout(io.StringIO()):
        ref.compile()
    assert np.array_equal(np.asarray(ref.predict(X)), y1)

    # another precision changes the generated C++: a miss, compiled again, and different outputs
    narrow = design.copy()
    narrow.set("fc1", weight_precision="ap_fixed<4,1>", result_precision="ap_fixed<8,3>")
    hm2 = _convert(narrow, model, prj)
    assert compile_csim(hm2, cache_dir=cache) > 0
    assert not np.array_equal(np.asarray(hm2.predict(X)), y1)
    assert len(list((cache / "csim").glob("*/csim.so"))) == 2

    # a damaged entry is a miss with a warning; the compile replaces it
    for entry in (cache / "csim").glob("*/csim.so"):
        entry.write_bytes(b"not a library")
    hm3 = _convert(design, model, prj)
    with pytest.warns(CacheWarning, match="cannot be loaded"):
        assert compile_csim(hm3, cache_dir=cache) > 0
    assert np.array_equal(np.asarray(hm3.predict(X)), y1)
    assert compile_csim(_convert(design, model, prj), cache_dir=cache) == 0.0

    # use_cache=False: compile() as hls4ml does it, nothing read or stored
    assert compile_csim(_convert(design, model, tmp_path / "nocache"), use_cache=False, cache_dir=cache) > 0
    assert len(list((cache / "csim").glob("*/csim.so"))) == 2
