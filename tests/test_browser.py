"""The one real browser test: JupyterLab + headless Chromium (Selenium) run the explorer notebook, change a layer's
ReuseFactor in the rendered widget, and check that the rendered plot changed. Saves a screenshot to artifacts/.

Needs Debian's ``chromium`` and ``chromedriver`` (``apt-get install chromium chromium-driver``); skipped only when
they are absent.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_strategy_and_reuse.ipynb"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("HLSNB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HLSNB_CHROMEDRIVER", "/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason=f"Chromium ({CHROMIUM}) or chromedriver ({CHROMEDRIVER}) not installed: "
           "apt-get install chromium chromium-driver (CI installs them)",
)

_NB_STATE = """
const nb = window.jupyterapp && window.jupyterapp.shell.currentWidget;
if (!nb || !nb.content || !nb.content.model || !nb.sessionContext.session || !nb.sessionContext.session.kernel)
    return null;
const cells = Array.from(nb.content.model.cells).filter(c => c.type === 'code');
const errors = [];
for (const c of cells) {
    for (const o of c.outputs.toJSON()) {
        if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
    }
}
return {status: nb.sessionContext.session.kernel.status,
        done: cells.every(c => c.executionCount !== null), errors: errors};
"""

_TRACE_Y = """
const gd = document.querySelector('.hlsnb-estimate-plot .js-plotly-plot');
if (!gd || !gd.data) return null;
const t = gd.data.find(t => t.meta && t.meta.hlsnb === 'estimate' && t.meta.layer === arguments[0]);
return t ? Array.from(t.y) : null;
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str, interval: float = 0.25):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def _api(url: str, method: str = "GET"):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def test_explorer_in_jupyterlab(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    work = tmp_path / "lab"
    (work / "hlsnb_work").mkdir(parents=True)
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    cached = NOTEBOOK.parent / "hlsnb_work" / "digits16_mlp.keras"
    if cached.exists():  # saves the notebook the 5 s of training
        shutil.copy(cached, work / "hlsnb_work" / cached.name)
    port, token = _free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "TF_CPP_MIN_LOG_LEVEL": "3",
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0",
         "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    driver = None
    profile = tempfile.mkdtemp(prefix="hlsnb-chromium-")
    try:
        def up():
            if server.poll() is not None:
                raise AssertionError(f"jupyter lab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
            try:
                return _api(f"{base}/api/status?token={token}") == 200
            except OSError:
                return False

        _wait(up, 40, "the JupyterLab server")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     f"--user-data-dir={profile}", "--window-size=1500,1400"):
            opts.add_argument(flag)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        driver.set_script_timeout(30)
        driver.get(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}")
        _wait(lambda: (driver.execute_script(_NB_STATE) or {}).get("status") == "idle", 60,
              "the notebook and an idle kernel")
        driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")

        def finished():
            st = driver.execute_script(_NB_STATE) or {}
            if st.get("errors"):
                raise AssertionError(f"notebook cell failed in the browser: {st['errors']}")
            return st.get("done") and st.get("status") == "idle"

        _wait(finished, 120, "every cell to run")
        select = _wait(lambda: driver.find_elements(By.CSS_SELECTOR, ".hlsnb-rf-fc1 select"), 30,
                       "the rendered ReuseFactor menu of fc1")[0]
        before = _wait(lambda: driver.execute_script(_TRACE_Y, "fc1"), 30, "the rendered live plot")
        menu = Select(select)
        current = menu.first_selected_option.text
        options = [o.text for o in menu.options]
        assert options and all(o.isdigit() for o in options), options
        new = next(o for o in reversed(options) if o != current)
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", select)
        menu.select_by_visible_text(new)
        after = _wait(lambda: (lambda y: y if y and y != before else None)(driver.execute_script(_TRACE_Y, "fc1")),
                      30, f"the plot to change after fc1 ReuseFactor {current} -> {new}")
        assert after != before
        assert Select(driver.find_element(By.CSS_SELECTOR, ".hlsnb-rf-fc1 select")).first_selected_option.text == new
        explanation = driver.find_element(By.CSS_SELECTOR, ".hlsnb-explorer .hlsnb-explanation").text
        assert "estimated by hlsnb" in explanation
        ARTIFACTS.mkdir(exist_ok=True)
        plot = driver.find_element(By.CSS_SELECTOR, ".hlsnb-estimate-plot")
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", plot)
        time.sleep(0.5)
        shot = ARTIFACTS / "browser_explorer.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        (ARTIFACTS / "browser_explorer.json").write_text(json.dumps(
            {"layer": "fc1", "reuse_factor": [current, new], "y_before": before, "y_after": after}, indent=1))
    finally:
        if driver is not None:
            driver.quit()
        try:  # stops the kernels too (they run in their own sessions)
            _api(f"{base}/api/shutdown?token={token}", method="POST")
            server.wait(timeout=15)
        except Exception:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(profile, ignore_errors=True)
