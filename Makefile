# hlsnb: two commands do all the set-up on a fresh machine.
#   make lab    install everything (pinned) and launch JupyterLab on notebooks/
#   make test   install everything (pinned) and run the whole test suite (unit tests + every notebook under nbval)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PORT   ?= 8888
STAMP  := $(VENV)/.hlsnb-installed

.PHONY: lab test lint install browser-deps board-env bench calibrate html clean

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check --upgrade "pip>=24" "setuptools>=68" wheel
	$(PIP) install -q --disable-pip-version-check -c requirements/constraints.txt -e ".[lab,test,qat]"
	touch $(STAMP)

install: $(STAMP)

lab: install
	$(BIN)/jupyter lab --notebook-dir=notebooks --ServerApp.port=$(PORT) $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

# Chromium drives the real-browser widget test. Installed from Debian when we may (root); otherwise that one test
# is skipped and says why.
browser-deps:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "note: could not install chromium; the browser test will be skipped"; \
	  else echo "note: chromium absent and not root; the browser test will be skipped"; fi; }

# The separate environment (pynq 3.x, numpy<2) in which the real pynq driver runs against an emulated device.
board-env:
	bash tools/board_env.sh

# The linter and the architecture contracts (pyproject.toml: [tool.ruff], [tool.importlinter]; docs/ARCHITECTURE.md).
lint: install
	$(BIN)/ruff check hlsnb tests benchmarks tools
	$(BIN)/lint-imports --no-cache

test: install browser-deps lint
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

bench: install
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

calibrate: install
	$(BIN)/python -m hlsnb.calibration --csv ../shared/calibration/reports.csv --csv ../shared/calibration/reports2.csv

# Executed notebooks as static HTML (plots included) for reading without a kernel.
html: install
	HLSNB_PLOTLY_RENDERER=plotly_mimetype+notebook $(BIN)/jupyter nbconvert --to html --execute --output-dir docs/html notebooks/*.ipynb

clean:
	rm -rf $(VENV) .venv-board build *.egg-info hlsnb_work
