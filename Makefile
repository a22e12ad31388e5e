# Two commands for a fresh machine (see README):
#   make book   - install, make sure the data is there, run every chapter (default profile), build the HTML
#   make test   - install, then pytest: unit tests, a smoke run of every chapter, the strict book build
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON    ?= python3
VENV      ?= .venv
PY        := $(VENV)/bin/python
PROFILE   ?= default
DATASET   ?= fsdd
# Where the datasets are (or will be downloaded to). Empty: $DIGITDENOISE_DATA_HOME, else
# ~/.local/share/digitdenoise/data. Passed to the chapters through the environment.
DATA_HOME ?=
ifneq ($(strip $(DATA_HOME)),)
export DIGITDENOISE_DATA_HOME := $(abspath $(DATA_HOME))
endif
export DIGITDENOISE_CACHE ?= $(CURDIR)/.cache
# quieter TensorFlow start-up in notebooks and tests
export TF_CPP_MIN_LOG_LEVEL ?= 2
STAMP     := $(VENV)/.installed-stamp
DD        := $(VENV)/bin/digitdenoise

.PHONY: help install browser book chapters build smoke test clean distclean release-model bench bench-quality

help:
	@echo "make book     run every chapter ($(PROFILE) profile, $(DATASET)) and build book/_build/html"
	@echo "make test     unit tests + smoke run of every chapter + strict book build"
	@echo "make smoke    run every chapter in the smoke profile and build the book (quick look)"
	@echo "variables: PROFILE=smoke|default|full DATASET=fsdd|audiomnist DATA_HOME=/path/to/data"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book,test,peers]"
	@touch $@

install: $(STAMP)

book: install
	$(DD) book --profile $(PROFILE) --dataset $(DATASET)

chapters: install
	$(DD) run --profile $(PROFILE) --dataset $(DATASET)

build: install
	$(DD) build

smoke:
	$(MAKE) book PROFILE=smoke

# Debian's Chromium for the browser test of the built book (Playwright drives it; no browser download)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

test: install browser
	$(PY) -m pytest

clean:
	rm -rf book/_build book/chapters artifacts .pytest_cache .hypothesis

distclean: clean
	rm -rf $(VENV) .cache

# The best model's release checkpoints (the general one's model.keras is committed, <= 5 MB; the specialist's
# is not: this target rebuilds it), trained from this repository on FSDD
# and measured against the oracle ideal ratio mask. A base model trained on every noise type goes two ways:
# a quieter second step gives the general checkpoint, and three white-noise steps give the specialist.
# About 25 + 45 (general) + 35 + 30 + 45 (specialist) minutes on a 2-core CPU.
RELEASE := models/release/fsdd-mask_unet
RELEASE_WHITE := models/release/fsdd-mask_unet-white
release-model: install
	$(DD) train --model mask_unet --dataset fsdd --epochs 40 --time-budget 1500 --out runs/release-general-base
	$(DD) train --model mask_unet --dataset fsdd --init-from runs/release-general-base \
		--speed-factors 0.8 0.85 0.9 0.95 1.05 1.1 1.15 1.2 --learning-rate 1e-4 --lr-patience 100 --patience 6 \
		--clips-per-epoch 6000 --average-weights --epochs 60 --time-budget 2700 --out $(RELEASE)
	rm -f $(RELEASE)/checkpoint.keras $(RELEASE)/best.keras $(RELEASE)/average.keras $(RELEASE)/state.json
	$(PY) bench/quality.py --model-dir $(RELEASE) --out $(RELEASE)/quality.json
	$(DD) train --model mask_unet --dataset fsdd --init-from runs/release-general-base --noise-kinds white \
		--snr-range -17 -8 --val-snr -12 --speed-factors 0.9 1.1 --learning-rate 3e-4 --patience 5 --epochs 60 \
		--time-budget 2100 \
		--out runs/release-white-step1
	$(DD) train --model mask_unet --dataset fsdd --init-from runs/release-white-step1 --noise-kinds white \
		--snr-range -17 -8 --val-snr -12 --speed-factors 0.85 0.9 0.95 1.05 1.1 1.15 --learning-rate 2e-4 \
		--patience 4 --epochs 60 --time-budget 1740 --out runs/release-white-step2
	$(DD) train --model mask_unet --dataset fsdd --init-from runs/release-white-step2 --noise-kinds white \
		--snr-range -17 -8 --val-snr -12 --speed-factors 0.8 0.85 0.9 0.95 1.05 1.1 1.15 1.2 --learning-rate 1e-4 \
		--lr-patience 100 --patience 6 --clips-per-epoch 6000 --average-weights --epochs 60 --time-budget 2700 \
		--out $(RELEASE_WHITE)
	rm -f $(RELEASE_WHITE)/checkpoint.keras $(RELEASE_WHITE)/best.keras $(RELEASE_WHITE)/average.keras \
		$(RELEASE_WHITE)/state.json
	$(PY) bench/quality.py --model-dir $(RELEASE_WHITE) --out $(RELEASE_WHITE)/quality.json

# Speed and cost against the peers (about 10 minutes); the appendix chapter renders bench/results/bench.json.
bench: install
	$(PY) bench/run.py

# Quality bar: both checkpoints vs oracle IRM on FSDD held-out speakers, -8 dB white noise (JSON in bench/results/);
# the specialist's weights come from `make release-model`.
bench-quality: install
	$(PY) bench/quality.py --model-dir $(RELEASE) --out bench/results/quality.json
	$(PY) bench/quality.py --model-dir $(RELEASE_WHITE) --out bench/results/quality-white.json
