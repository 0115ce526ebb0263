"""import hlsnb keeps TensorFlow's start-up log lines out of notebooks, and nothing else."""

import os
import subprocess
import sys


def _stderr(code: str, pythonpath: str | None = None, **env) -> str:
    e = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "HLSNB_TF_LOGS")}
    e.update(env)
    if pythonpath:
        e["PYTHONPATH"] = pythonpath + os.pathsep + e.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=e).stderr


def test_real_tensorflow_start_up_lines_are_dropped():
    # which start-up lines TF 2.21 prints depends on the CPU (oneDNN's notice, the AVX/FMA notice, absl's): take
    # the noise lines it printed here on its own, then check hlsnb drops exactly those and passes them with the switch
    from hlsnb._quiet import _NOISE

    noise = [l for l in _stderr("import keras").splitlines() if _NOISE.search(l)]
    assert noise, "TensorFlow printed none of its known start-up lines: nothing to test on this machine"
    quiet = _stderr("import hlsnb, keras")
    assert not any(_NOISE.search(l) for l in quiet.splitlines()), quiet
    loud = _stderr("import hlsnb, keras", HLSNB_TF_LOGS="1")
    assert any(_NOISE.search(l) for l in loud.splitlines()), loud


def test_only_the_noise_is_dropped(tmp_path):
    # a stand-in tensorflow that writes one noise line and one real line to fd 2 while it is imported
    pkg = tmp_path / "tensorflow"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "import os\n"
        "os.write(2, b'I0000 port.cc:153] oneDNN custom operations are on.\\n')\n"
        "os.write(2, b'a real problem while importing\\n')\n"
    )
    err = _stderr("import hlsnb, tensorflow", pythonpath=str(tmp_path))
    assert "a real problem while importing" in err and "oneDNN" not in err
