"""The real browser tests: JupyterLab + headless Chromium (Selenium).

1. The explorer notebook: change a layer's ReuseFactor in the rendered widget and check that the rendered plot
   changed (screenshot ``artifacts/browser_explorer.png``).
2. The whole path, 00 -> 06, as a user runs it, on the design carried through it: each notebook picks up what the
   previous ones handed over; the explorer and the pruning slider are used; no status contradicts the plot beside
   it; no visible text is cut and no output shows the clone's path; the payoffs are asserted (03 reaches a design
   that fits, 04 shows the carried design's table and picked it up from 03, 06 starts from it); a screenshot of
   every notebook goes to ``artifacts/browser_path_*.png``.

Needs Debian's ``chromium`` and ``chromedriver`` (``apt-get install chromium chromium-driver``); skipped only when
they are absent.
"""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def _jupyterlab(tmp_path, work: Path, window: str):
    """A JupyterLab server on ``work`` (own runtime and workspace folders, own process group) and a headless
    Chromium driving it; yields ``(driver, base_url, token)``. Both are stopped, the kernels with the server, however
    the block ends."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

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
                     f"--user-data-dir={profile}", f"--window-size={window}"):
            opts.add_argument(flag)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        driver.set_script_timeout(30)
        yield driver, base, token
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


def test_explorer_in_jupyterlab(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    work = tmp_path / "lab"
    (work / "hlsnb_work").mkdir(parents=True)
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    cached = NOTEBOOK.parent / "hlsnb_work" / "digits16_mlp.keras"
    if cached.exists():  # saves the notebook the 5 s of training
        shutil.copy(cached, work / "hlsnb_work" / cached.name)
    with _jupyterlab(tmp_path, work, "1500,1400") as (driver, base, token):
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


# ---------------------------------------------------------------- the whole path, 00 -> 06
PATH = ["00_index", "01_train", "02_strategy_and_reuse", "03_dsp_aware_pruning", "04_synthesise", "05_run_on_pynq",
        "06_sweep"]
# seconds per notebook for Run All on 2 shared cores (03 fine-tunes a dozen times, 04 compiles a C simulation)
#: Folders under hlsnb_work/ that cache by content (04's open synthesis: minutes on the first run), shared with the
#: notebooks/ folder so that the browser walk and nbval do not both pay for them.
SHARED_CACHES = ("open_synth",)
# (04: the first open synthesis of a design takes 4-6 minutes on an idle machine, more on a busy one; cached after)
RUN_TIMEOUT = {"00_index": 90, "01_train": 240, "02_strategy_and_reuse": 240, "03_dsp_aware_pruning": 600,
               "04_synthesise": 1500, "05_run_on_pynq": 300, "06_sweep": 400}

# Visible text cut by its box: an element that clips its text (ellipsis or hidden overflow) and whose text is wider
# than the box, or a plotly title/label running out of its figure. Returns one line per cut text.
_CUT_TEXT = """
const out = [];
const area = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook') || document.body;
for (const el of area.querySelectorAll('.jp-OutputArea-output *')) {
    if (!el.offsetParent || el.children.length || !el.textContent.trim()) continue;
    const st = getComputedStyle(el);
    const clips = st.textOverflow === 'ellipsis' || st.overflow === 'hidden' || st.overflowX === 'hidden';
    if (clips && el.scrollWidth > el.clientWidth + 2) out.push('box: ' + el.textContent.trim());
}
for (const pre of area.querySelectorAll('.jp-OutputArea-output pre')) {
    // printed text that the output area wraps (JupyterLab breaks such lines anywhere, mid-word included)
    if (!pre.offsetParent || !pre.clientHeight) continue;
    const lines = pre.textContent.replace(/\\n$/, '').split('\\n').length;
    const lh = parseFloat(getComputedStyle(pre).lineHeight) || 17;
    const err = pre.closest('[data-mime-type="application/vnd.jupyter.stderr"]');
    if (pre.clientHeight > (lines + 0.5) * lh) out.push((err ? 'wrapped stderr: ' : 'wrapped: ')
                                                         + pre.textContent.slice(0, 80));
}
for (const svg of area.querySelectorAll('.js-plotly-plot .main-svg')) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('.gtitle, .g-xtitle text, .g-ytitle text, .legendtext')) {
        const r = t.getBoundingClientRect();
        if (r.width && (r.right > box.right + 2 || r.left < box.left - 2)) out.push('plot: ' + t.textContent);
    }
}
return out;
"""

# The Explorer's "Now" line against the numbers its plot shows (the HLS csynth % of each resource in the ticks).
_STATUS = """
const ex = document.querySelector('.hlsnb-explorer');
if (!ex) return null;
const now = ex.querySelector('.hlsnb-current');
const fit = ex.querySelector('.hlsnb-fit-report');
const ticks = Array.from(ex.querySelectorAll('.xtick text')).map(t => t.textContent);
return {now: now ? now.textContent : '', fit: fit ? fit.innerHTML : '', ticks: ticks};
"""

_PREVIEW_X = """
const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
for (const gd of plots) {
    const t = (gd.data || []).find(t => t.meta && t.meta.hlsnb === 'preview');
    if (t) return {x: Array.from(t.x), text: Array.from(t.text || [])};
}
return null;
"""


def _percentages(ticks: list[str]) -> list[float]:
    import re

    return [float(m) for t in ticks for m in re.findall(r"est\. HLS ([\d.]+)%", t)]


def _assert_status_agrees(state: dict, where: str) -> None:
    """No status may contradict the latest estimate: the 'Now' line against the plot's own numbers, and a fit
    report that is not marked stale only beside a design that fits."""
    pct = _percentages(state["ticks"])
    assert pct, f"{where}: the plot's tick labels are not rendered: {state['ticks']}"
    now = state["now"]
    if max(pct) > 100:
        assert "over the board" in now, f"{where}: the plot shows {max(pct):.1f}% but the status says {now!r}"
    else:
        assert "over the board" not in now, f"{where}: the plot shows at most {max(pct):.1f}% but {now!r}"
    if "Fits under" in state["fit"] and "hlsnb-stale" not in state["fit"]:
        assert "Now: fits" in now, f"{where}: a current fit report says it fits while the status says {now!r}"


# Every notebook output's visible text but stderr (library warnings carry their source file's path), to check that no
# output shows where the clone lives: a machine path in an output is noise to the user, and its length (the clone's
# path) decided whether the line wrapped, so a check on wrapping passed or failed with the clone's location.
_OUTPUT_TEXT = """
const area = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook') || document.body;
return Array.from(area.querySelectorAll('.jp-OutputArea-output'))
    .filter(o => !o.closest('[data-mime-type="application/vnd.jupyter.stderr"]')
                 && o.getAttribute('data-mime-type') !== 'application/vnd.jupyter.stderr')
    .map(o => o.textContent).join('\\n');
"""

#: Screenshot name -> outputs that show the clone's absolute path (ROOT): must stay empty.
MACHINE_PATHS: dict[str, list] = {}

#: Screenshot name -> texts found cut on screen when it was taken (cells far off screen are not laid out, so the
#: check runs at every screenshot).
CUTS: dict[str, list] = {}


def _screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    # JupyterLab's own "get notified about Jupyter news?" toast is not the notebook's: keep it out of the picture
    driver.execute_script("document.querySelectorAll('.Toastify').forEach(e => e.remove());")
    CUTS[name] = driver.execute_script(_CUT_TEXT)
    text = driver.execute_script(_OUTPUT_TEXT) or ""
    MACHINE_PATHS[name] = [line.strip()[:160] for line in text.splitlines() if str(ROOT) in line]
    shot = ARTIFACTS / f"browser_path_{name}.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    return shot


def _scroll_to(driver, css: str):
    from selenium.webdriver.common.by import By

    el = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", el)
    time.sleep(0.7)
    return el


def _shutdown_kernels(base: str, token: str) -> None:
    with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=5) as r:
        kernels = json.loads(r.read())
    for k in kernels:
        _api(f"{base}/api/kernels/{k['id']}?token={token}", method="DELETE")


def _scroll_notebook(driver, where: int | str) -> None:
    """Scroll the current notebook to the top (0), the bottom ("end"), or a CSS selector's first match."""
    if isinstance(where, str) and where != "end":
        _scroll_to(driver, where)
        return
    if where == "end":  # the last output (the panel's own bottom is blank padding)
        driver.execute_script(
            "const outs = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output');"
            "if (outs.length) outs[outs.length - 1].scrollIntoView({block: 'end'});")
    else:
        driver.execute_script(
            "for (const p of document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer,"
            " .jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook')) p.scrollTop = 0;")
    time.sleep(0.7)


def _run_all(driver, name: str) -> None:
    """Wait for the kernel, Run All, wait for every cell (failing on the first error), scroll back to the top."""
    _wait(lambda: (driver.execute_script(_NB_STATE) or {}).get("status") == "idle", 90,
          f"{name}: the notebook and an idle kernel")
    driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")

    def finished():
        st = driver.execute_script(_NB_STATE) or {}
        if st.get("errors"):
            raise AssertionError(f"{name}: a cell failed in the browser: {st['errors']}")
        return st.get("done") and st.get("status") == "idle"

    _wait(finished, RUN_TIMEOUT[name], f"{name}: every cell to run", interval=1.0)
    time.sleep(1.5)  # the last figures render
    _scroll_notebook(driver, 0)


def _use_explorer(driver, name: str) -> None:
    """The explorer after Run All, then with fc1 at ReuseFactor 1: its status must agree with its plot each time."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _scroll_to(driver, ".hlsnb-explorer")
    _screenshot(driver, f"{name}_explorer")
    # the plot renders after the status line: wait for its resource ticks, not for the first empty axes
    first = _wait(lambda: (lambda st: st if st and _percentages(st["ticks"]) else None)(
        driver.execute_script(_STATUS)), 60, "the explorer's status and rendered plot")
    _assert_status_agrees(first, "02 after Run All")
    _scroll_to(driver, ".hlsnb-explorer .hlsnb-estimate-plot")
    _screenshot(driver, f"{name}_explorer_plot")
    select = driver.find_element(By.CSS_SELECTOR, ".hlsnb-rf-fc1 select")
    menu = Select(select)
    lowest = menu.options[0].text
    changed = menu.first_selected_option.text != lowest
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", select)
    menu.select_by_visible_text(lowest)  # ReuseFactor 1: far over the board
    if changed:
        _wait(lambda: _percentages((driver.execute_script(_STATUS) or {}).get("ticks", []))
              != _percentages(first["ticks"]), 30, "the plot to follow fc1's new ReuseFactor")
    time.sleep(1.0)
    _assert_status_agrees(driver.execute_script(_STATUS), "02 after a change in the explorer")
    _scroll_to(driver, ".hlsnb-current")
    _screenshot(driver, f"{name}_changed")


def _use_slider(driver, name: str) -> None:
    """Type a new target into the pruning slider: its preview point must move and name the target."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    readout = _wait(lambda: [e for e in driver.find_elements(By.CSS_SELECTOR, ".widget-hslider .widget-readout")
                             if e.is_displayed()] or None, 30, "the pruning slider")[0]
    before = _wait(lambda: driver.execute_script(_PREVIEW_X), 30, "the slider's preview point")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", readout)
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys("0.30", Keys.ENTER)
    after = _wait(lambda: (lambda p: p if p and p["x"] != before["x"] else None)(driver.execute_script(_PREVIEW_X)),
                  30, "the preview point to move with the slider")
    assert after["text"] and "0.30" in after["text"][0]
    time.sleep(1.0)
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", readout)
    time.sleep(0.5)
    _screenshot(driver, f"{name}_slider")


def _assert_payoff(name: str, text: str) -> None:
    """What each notebook of the path must deliver on the carried design (``text``: its outputs but stderr; the
    banner's HTML reads "picked up design v2, saved by ...")."""
    import re

    if name == "00_index":
        assert "mode " in text, "00: the mode line is missing"
    if name == "03_dsp_aware_pruning":
        assert "handed on:" in text and "the least pruned design that fits" in text, (
            f"03 did not reach a design that fits the PYNQ-Z2: {text[-1500:]}")
    if name == "04_synthesise":
        assert re.search(r"picked up:? design v\d+, saved by 03_dsp_aware_pruning", text), (
            "04 did not pick up 03's design")
        assert "(top level)" in text, "04 does not show the carried design's estimate table"
        assert "verdict" in text and "binding:" in text, "04 does not answer whether the design fits, per stage"
    if name == "06_sweep":
        assert re.search(r"picked up:? design v\d+, saved by 03_dsp_aware_pruning", text), (
            "06 does not start from 03's design")
    if name == "02_strategy_and_reuse":
        # the forum's observation, measured: Resource above Latency on the forum's design. Whether hlsnb's estimate
        # agrees is the estimator's work (issue 23, in progress): until it does, 02 must say which way it goes,
        # never claim agreement it has not got. When it does, require "The ordering flips" here.
        flat = " ".join(text.split())  # the verdict is printed wrapped at word boundaries (88 characters)
        assert "Resource is larger by 13,060 LUTs" in flat, "02 does not state the forum's measured answer"
        said = [s for s in ("The ordering flips", "not beyond both error bars",
                            "does not reproduce what the forum measured") if s in flat]
        assert len(said) == 1, f"02's verdict must say exactly one of agree / within error / disagree: {said}"


def test_the_path_in_jupyterlab(tmp_path):
    """Run 00 -> 06 in JupyterLab as a user would (Run All in each, in order, so each picks up what the previous
    ones handed over), use the explorer and the pruning slider, assert the payoffs, and save a screenshot of every
    notebook."""

    work = tmp_path / "lab"
    (work / "hlsnb_work").mkdir(parents=True)
    for name in PATH:
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", work / f"{name}.ipynb")
    for cache in SHARED_CACHES:  # content-keyed caches: a run here serves the nbval run of notebooks/ and back
        shared = ROOT / "notebooks" / "hlsnb_work" / cache
        shared.mkdir(parents=True, exist_ok=True)
        (work / "hlsnb_work" / cache).symlink_to(shared, target_is_directory=True)
    cut: dict[str, list] = {}
    try:
        with _jupyterlab(tmp_path, work, "1400,1100") as (driver, base, token):
            for name in PATH:
                # a fresh workspace per notebook: the restored one would reopen (and make current) the previous notebook
                driver.get(f"{base}/lab/workspaces/{name}/tree/{name}.ipynb?token={token}&reset")
                _run_all(driver, name)
                _screenshot(driver, f"{name}_top")
                _assert_payoff(name, driver.execute_script(_OUTPUT_TEXT) or "")
                if name == "02_strategy_and_reuse":
                    _scroll_notebook(driver, ".js-plotly-plot")
                    _screenshot(driver, f"{name}_seed_totals")
                    _use_explorer(driver, name)
                if name == "03_dsp_aware_pruning":
                    _use_slider(driver, name)
                _scroll_notebook(driver, "end")
                _screenshot(driver, f"{name}_end")
                _shutdown_kernels(base, token)  # frees the cores for the next notebook
            cut = {k: v for k, v in CUTS.items() if v}
            # warnings on stderr come from the libraries (hlsnb's included) and are kept whole in the artifact's list;
            # what the notebooks themselves show must never be cut or broken mid-word
            ours = {k: [x for x in v if not x.startswith("wrapped stderr")] for k, v in cut.items()}
            assert not any(ours.values()), f"visible text cut mid-word: {ours}"
            shown = {k: v for k, v in MACHINE_PATHS.items() if v}
            assert not shown, f"outputs show the clone's absolute path {ROOT} (use a short relative name): {shown}"
    finally:
        (ARTIFACTS / "browser_path.json").parent.mkdir(exist_ok=True)
        (ARTIFACTS / "browser_path.json").write_text(json.dumps(
            {"cut_text": cut, "machine_paths": {k: v for k, v in MACHINE_PATHS.items() if v}}, indent=1))
