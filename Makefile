# One command to reproduce, one to test. Both build the pinned environment in .venv when it is
# missing or older than the lock. ACCEL=cuda installs TensorFlow with CUDA instead of the CPU build.
PYTHON ?= python3
VENV ?= .venv
ACCEL ?= cpu
TF_VERSION := 2.21.0
SNAKEMAKE_ARGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(ACCEL)

ifeq ($(ACCEL),cuda)
TF_SPEC := tensorflow[and-cuda]==$(TF_VERSION)
else
TF_SPEC := tensorflow-cpu==$(TF_VERSION)
endif

.PHONY: setup reproduce test bench lint clean-results

setup: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt "$(TF_SPEC)"
	touch $@

reproduce: $(STAMP)
	$(BIN)/snakemake --cores all --resources gpu=1 $(SNAKEMAKE_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python scripts/bench_spectrogram.py

lint: $(STAMP)
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile rules

clean-results:
	rm -rf results
