# One command to reproduce, one to test. Both build the pinned environment in .venv when it is
# missing or older than the lock. ACCEL=cuda installs TensorFlow with CUDA instead of the CPU build.
PYTHON ?= python3
VENV ?= .venv
ACCEL ?= cpu
TF_VERSION := 2.21.0
SNAKEMAKE_ARGS ?=
# The benchmark writes its files to RAM where it can: on a VM, creating a file takes 0.07-0.9 ms
# from one moment to the next, which would decide the ratio instead of the rendering.
BENCH_DIR ?= $(if $(wildcard /dev/shm),/dev/shm,)
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(ACCEL)

ifeq ($(ACCEL),cuda)
TF_SPEC := tensorflow[and-cuda]==$(TF_VERSION)
else
TF_SPEC := tensorflow-cpu==$(TF_VERSION)
endif

.PHONY: setup reproduce test test-fast report bench lint compare archive restore clean-results \
	config-docs

setup: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt "$(TF_SPEC)"
	touch $@

reproduce: $(STAMP)
	$(BIN)/snakemake --cores all --resources gpu=1 $(SNAKEMAKE_ARGS)

# Every test, on as many processes as the machine has cores (at most 4; pytest-xdist): the tests
# of the shared tiny run stay on one process, every other module's tests on one each.
XDIST := -n auto --maxprocesses 4 --dist loadgroup
test: $(STAMP)
	$(BIN)/python -m pytest $(XDIST)

# The unit tests alone: every test that starts Snakemake is marked `workflow` and left out.
test-fast: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) -m "not workflow" -q

# The report of the last run (figures, captions, audio, the claims table): open report.html.
report: $(STAMP)
	$(BIN)/snakemake --report report.html $(SNAKEMAKE_ARGS)

bench: $(STAMP)
	$(BIN)/python scripts/bench_spectrogram.py $(if $(BENCH_DIR),--dir $(BENCH_DIR))
	$(BIN)/python scripts/bench_models.py

# The claims that changed between two runs: make compare A=results B=other-machine/results
compare: $(STAMP)
	PYTHONPATH=scripts $(BIN)/python scripts/compare_claims.py "$(A)" "$(B)"

# Trained results travel (docs/archive.md): one file with every trained model, history, scan
# and prediction, and its manifest; restore verifies it, then `make reproduce` trains nothing.
# make archive [ARCHIVE=results-archive.tar]
# make restore ARCHIVE=<path, http(s) URL or s3:// URL> [ARCHIVE_SHA256=<sha256>] [FORCE=1]
ARCHIVE ?= results-archive.tar
archive: $(STAMP)
	$(BIN)/python scripts/results_archive.py archive "$(ARCHIVE)"

restore: $(STAMP)
	$(BIN)/python scripts/results_archive.py restore "$(ARCHIVE)" \
		$(if $(ARCHIVE_SHA256),--sha256 "$(ARCHIVE_SHA256)") $(if $(filter 1 yes true,$(FORCE)),--force)

# config/README.md is generated from the schema's descriptions (config/schema.yaml and
# config/schema/<study>.yaml) and the values in config.yaml and paper.yaml: run after editing them.
config-docs: $(STAMP)
	PYTHONPATH=scripts $(BIN)/python -m audiorepro.config_docs

lint: $(STAMP)
	$(BIN)/ruff check scripts tests
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile rules

clean-results:
	rm -rf results
