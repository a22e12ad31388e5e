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

.PHONY: help install browser book chapters build smoke test test-audiomnist clean distclean release-model release-model-fsdd small-variants \
	bench bench-quality bench-generalisation folds ablation instrument downstream release-zoo release-zoo-si-sdr report-metric bench-generalisation-small bench-small release-small release-model-dualpath \
	bench-generalisation-stages

help:
	@echo "make book     run every chapter ($(PROFILE) profile, $(DATASET)) and build book/_build/html"
	@echo "make test     unit tests + smoke run of every chapter + strict book build"
	@echo "make test-audiomnist  every chapter in the smoke profile on the AudioMNIST sample (16 kHz)"
	@echo "make smoke    run every chapter in the smoke profile and build the book (quick look)"
	@echo "variables: PROFILE=smoke|default|full DATASET=fsdd|audiomnist DATA_HOME=/path/to/data"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile -e ".[book,test,peers,export]"
	@# byte-compile the installed packages (what pip would do, on one core) while librosa's numba functions
	@# compile on the other (digitdenoise._warmup); a file that does not compile is skipped, as pip skips it
	@echo "byte-compiling the installed packages and compiling librosa's numba functions"
	@$(PY) -m compileall -q -j 1 $$($(PY) -c "import sysconfig; print(' '.join(sorted({sysconfig.get_path('purelib'), sysconfig.get_path('platlib')})))") >/dev/null 2>&1 & \
	  $(PY) -m digitdenoise._warmup || exit 1; wait
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

# two workers (pytest-xdist), each test file on one of them: the notebook smoke runs and the browser check
# share one worker's module fixtures while the unit tests run beside them. Two workers and the AudioMNIST
# smoke run's process share two cores, so each computes on one thread: TensorFlow's thread pools (and
# OpenMP's) would otherwise spin-wait against each other (measured: 560 s instead of 623 s on 2 cores).
test: install browser
	TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile

# every chapter in the smoke profile on the AudioMNIST sample (16 kHz); make test runs chapters 1-4 of it
test-audiomnist: install
	DIGITDENOISE_TEST_AUDIOMNIST_CHAPTERS=all $(PY) -m pytest tests/test_notebooks.py -k audiomnist_sample

clean:
	rm -rf book/_build book/chapters artifacts .pytest_cache .hypothesis

distclean: clean
	rm -rf $(VENV) .cache

# The release model: one general mask_unet trained on many voices (FSDD's and speechocean762's training
# speakers) and noises (the Hu training files, generated families, sentence babble, clean inputs) in two
# resumable stages of at most 90 min each on a 2-core CPU. Stage 1 fine-tunes the previous FSDD release
# checkpoint on the general recipe; stage 2 fine-tunes stage 1 at half the learning rate with half of the
# noise recordings perturbed (augment.perturbed_recording: played 0.5-2 times as fast, through another
# channel, a third of the time with a second recording), so seventy training noises stand for many. Both
# are then measured on voices and noises they never met (bench/results/generalisation.json, and
# generalisation-stages.json for what stage 2 bought). Run it again after an interruption. Both model.keras
# files are committed (<= 5 MB each); the measured training times are in their train_config.json.
RELEASE := models/release/general-mask_unet
STAGE1 := models/release/general-mask_unet-stage1
PREVIOUS := models/release/fsdd-mask_unet
RELEASE_WHITE := models/release/fsdd-mask_unet-white
GENERAL_COMMON := --recipe general --model mask_unet --clips-per-epoch 4000 --lr-patience 3 --patience 8 --epochs 200
GENERAL_RECIPE := $(GENERAL_COMMON) --learning-rate 5e-4
PERTURB_RECIPE := $(GENERAL_COMMON) --learning-rate 2.5e-4 --noise-perturb 0.5
CLEAN_RUN = rm -f $(1)/checkpoint.keras $(1)/best.keras $(1)/average.keras $(1)/state.json
release-model: install
	$(DD) fetch fsdd noise speechocean762 hu-nonspeech
	$(DD) train $(GENERAL_RECIPE) --init-from $(PREVIOUS) --time-budget 5400 --out $(STAGE1)
	$(call CLEAN_RUN,$(STAGE1))
	$(DD) train $(PERTURB_RECIPE) --init-from $(STAGE1) --time-budget 5400 --out $(RELEASE)
	$(call CLEAN_RUN,$(RELEASE))
	$(PY) bench/quality.py --model-dir $(STAGE1) --out $(STAGE1)/quality.json
	$(PY) bench/quality.py --model-dir $(RELEASE) --out $(RELEASE)/quality.json
	$(MAKE) bench-generalisation bench-generalisation-stages

# A release candidate: the release model grown by one dual-path block at its bottleneck
# (models.DualPathBlock: a sequence model along time in every band, then across the bands in every frame;
# the block starts as the identity) and fine-tuned on the stage-2 recipe; resumable. DUALPATH_KIND=gru
# (bidirectional GRUs) or attention (self-attention: the kind that exports to TFLite). It stays in runs/
# until bench/generalisation.py shows it beats the release model on the same benchmark.
DUALPATH_KIND ?= attention
DUALPATH := runs/general-mask_unet-dualpath-$(DUALPATH_KIND)
release-model-dualpath: install
	$(DD) fetch fsdd noise speechocean762 hu-nonspeech
	$(DD) train $(PERTURB_RECIPE) --network dual_path=1 dual_path_kind=$(DUALPATH_KIND) --init-from $(RELEASE) \
		--time-budget 4800 --out $(DUALPATH)
	$(PY) bench/generalisation.py --model-dir $(DUALPATH) --previous $(RELEASE) \
		--out runs/generalisation-dualpath-$(DUALPATH_KIND).json

# The small model (chapter 9's streaming candidate, under 100 k parameters, 48 ms latency) on the same
# general recipe in two stages, like the release model: stage 1 from random weights (it has no FSDD
# ancestor; budget 3 h on a 2-core CPU), stage 2 fine-tuned from it on the release model's second-stage
# recipe (SMALL_STAGE2_RECIPE; 19 epochs, about 45 min on 2 cores; the committed stage 2 is the control run
# of make small-variants, which a 2700 s budget ended after the same 19 epochs). Each stage resumes.
SMALL := models/release/general-small_tcn
SMALL_STAGE1 := models/release/general-small_tcn-stage1
SMALL_STAGE2_RECIPE := --recipe general --model small_tcn --network centred=0 lookahead=2 --clips-per-epoch 4000 \
	--learning-rate 5e-4 --noise-perturb 0.5 --lr-patience 3 --patience 8
release-small: install
	$(DD) fetch fsdd noise speechocean762 hu-nonspeech
	$(DD) train --recipe general --model small_tcn --clips-per-epoch 4000 --learning-rate 1e-3 --lr-patience 3 \
		--patience 8 --epochs 300 --time-budget 10800 --out $(SMALL_STAGE1)
	$(call CLEAN_RUN,$(SMALL_STAGE1))
	$(DD) train $(SMALL_STAGE2_RECIPE) --epochs 19 --init-from $(SMALL_STAGE1) --out $(SMALL)
	$(call CLEAN_RUN,$(SMALL))
	$(PY) bench/quality.py --model-dir $(SMALL_STAGE1) --out $(SMALL_STAGE1)/quality.json
	$(PY) bench/quality.py --model-dir $(SMALL) --out $(SMALL)/quality.json

# What an option buys the small model (appendix 9): the stage-1 small model fine-tuned as a variant, then
# scored against stage 1 on the generalisation benchmark's mixtures (the two small models and the oracles;
# no peers needed). Variants: centredN (small_tcn(centred=N), no input shift: its first N temporal blocks
# look as far ahead as back; the same weights, more future), refineC (a residual full-resolution stage of C
# channels that starts at zero, so it starts as the causal model) and distil (the causal model, also trained
# towards the release model's output on each batch: --teacher, weight 0.5). centred0 is the control: stage 1
# itself (its 2-frame shift) fine-tuned the same way, which shows what the extra training alone buys.
# 19 epochs each (about 45 min of training on 2 cores, distil about 95; 3 min of scoring); resumable from
# runs/small-<variant>. The candidates stay in runs/; the scores go to bench/results/. The recorded centred0,
# centred3 and centred5 runs were cut by a time budget instead (SMALL_VARIANT_BUDGET=2700, 3000 for
# centred5: 19, 20 and 21 epochs); each JSON records its own settings and epochs.
SMALL_VARIANTS ?= centred0 centred3 centred5 refine8 distil
SMALL_VARIANT_BUDGET ?=
SMALL_VARIANT_EPOCHS ?= 19
small-variants: install
	$(DD) fetch fsdd noise speechocean762 hu-nonspeech
	for v in $(SMALL_VARIANTS); do \
	  extra=""; \
	  case $$v in \
	    centred0) net="centred=0 lookahead=2" ;; \
	    centred*) net="centred=$${v#centred} lookahead=0" ;; \
	    refine*) net="refine=$${v#refine}" ;; \
	    distil) net="centred=0 lookahead=2"; extra="--teacher $(RELEASE) --teacher-weight 0.5" ;; \
	    *) echo "unknown small-model variant $$v: use centredN, refineC or distil" >&2; exit 1 ;; \
	  esac; \
	  $(DD) train --recipe general --model small_tcn --network $$net $$extra --clips-per-epoch 4000 \
	    --learning-rate 5e-4 --noise-perturb 0.5 --lr-patience 3 --patience 8 --epochs $(SMALL_VARIANT_EPOCHS) \
	    --init-from $(SMALL_STAGE1) $(if $(SMALL_VARIANT_BUDGET),--time-budget $(SMALL_VARIANT_BUDGET)) \
	    --out runs/small-$$v || exit 1; \
	  $(PY) bench/generalisation.py --model-dir runs/small-$$v --previous $(SMALL_STAGE1) --no-peers --no-pesq \
	    --out bench/results/generalisation-small-$$v.json || exit 1; \
	done

# The previous release (FSDD only, four voices; kept for the comparison in chapter 6) and the white-noise
# specialist that chapter 5 keeps as a lesson: a base model on every FSDD noise type goes two ways.
# About 25 + 45 (general) + 35 + 30 + 45 (specialist) minutes on a 2-core CPU.
release-model-fsdd: install
	$(DD) train --model mask_unet --dataset fsdd --epochs 40 --time-budget 1500 --out runs/release-general-base
	$(DD) train --model mask_unet --dataset fsdd --init-from runs/release-general-base \
		--speed-factors 0.8 0.85 0.9 0.95 1.05 1.1 1.15 1.2 --learning-rate 1e-4 --lr-patience 100 --patience 6 \
		--clips-per-epoch 6000 --average-weights --epochs 60 --time-budget 2700 --out $(PREVIOUS)
	rm -f $(PREVIOUS)/checkpoint.keras $(PREVIOUS)/best.keras $(PREVIOUS)/average.keras $(PREVIOUS)/state.json
	$(PY) bench/quality.py --model-dir $(PREVIOUS) --out $(PREVIOUS)/quality.json
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

# The four seed models of chapter 5, each trained until its validation loss stops improving (early
# stopping on the FSDD validation speaker, the FSDD recipe of the previous release fsdd-mask_unet: same
# voices, same noise types, same SNR range), at its seed's learning rate. Budgets on a 2-core CPU:
# ZOO_BUDGET seconds per model (cumulative over resumes and extensions; a run stops after the epoch that
# crosses it). The weights, config, history and quality.json (-8 dB white noise, FSDD test speaker) are
# committed under models/release/zoo/ (< 2 MB each; the resumable checkpoint beside them is git-ignored);
# chapters 5 and 6 load them. Run it
# again to continue: a run whose checkpoint is still here resumes from it, and a committed run without it
# (a fresh clone) is extended from its kept weights (--extend: history, best score, learning rate and
# seconds carry on, the optimiser starts afresh) unless it stopped early; as committed, every run had
# stopped early, so it trains nothing and only re-measures quality.json. The two fast models see all
# 2,000 training clips per epoch, the two slow ones 500.
ZOO_DIR := models/release/zoo
ZOO_SEEDS ?= mel_cnn minimal_cae seed_unet report_cae
ZOO_BUDGET ?= 3600
ZOO_SI_SDR_SEEDS ?= report_cae
ZOO_SI_SDR_BUDGET ?= 9000
release-zoo: install
	$(DD) fetch fsdd noise
	@for m in $(ZOO_SEEDS); do \
	  case $$m in mel_cnn|minimal_cae) clips=2000;; *) clips=500;; esac; \
	  $(DD) train --model $$m --dataset fsdd --epochs 200 --clips-per-epoch $$clips --patience 6 --lr-patience 3 \
	    --time-budget $(ZOO_BUDGET) --extend --out $(ZOO_DIR)/$$m || exit 1; \
	  $(PY) bench/quality.py --model-dir $(ZOO_DIR)/$$m --out $(ZOO_DIR)/$$m/quality.json || exit 1; \
	done

# The same seeds trained end to end on the release model's loss (negative SI-SDR of the waveform) instead
# of their own feature-domain loss: report_cae's own loss falls while its output goes silent (chapter 5),
# so its architecture is compared on the book's loss. Same data, clips per epoch and patience; a larger
# budget (ZOO_SI_SDR_BUDGET: report_cae trained 2 to 6 minutes an epoch on 2 cores, and was still improving
# at 3600 s). Its batch-norm layers keep Keras' default momentum (0.99), whose moving averages lag a network
# that is still changing fast; --precise-bn re-estimates them on 30 training batches before each validation
# (chapter 5).
release-zoo-si-sdr: install
	$(DD) fetch fsdd noise
	@for m in $(ZOO_SI_SDR_SEEDS); do \
	  case $$m in mel_cnn|minimal_cae) clips=2000;; *) clips=500;; esac; \
	  $(DD) train --model $$m --loss si_sdr --precise-bn 30 --dataset fsdd --epochs 200 --clips-per-epoch $$clips \
	    --patience 6 --lr-patience 3 --time-budget $(ZOO_SI_SDR_BUDGET) --extend --out $(ZOO_DIR)/$$m-si_sdr || exit 1; \
	  $(PY) bench/quality.py --model-dir $(ZOO_DIR)/$$m-si_sdr --out $(ZOO_DIR)/$$m-si_sdr/quality.json || exit 1; \
	done

# The student report's own metric (a spectrogram-domain SNR) next to SI-SDR for the converged seed models,
# both release models and the oracle IRM, on the quality bar's clips (chapter 6; a few minutes).
report-metric: install
	$(DD) fetch fsdd noise
	$(PY) bench/report_metric.py $(foreach m,$(ZOO_SEEDS),--model-dir $(ZOO_DIR)/$(m)) \
		$(foreach d,$(wildcard $(ZOO_DIR)/*-si_sdr/model.keras),--model-dir $(patsubst %/,%,$(dir $(d)))) --model-dir $(PREVIOUS) \
		--model-dir $(RELEASE) --out bench/results/report_metric.json

# Generalisation benchmark (chapter 6): the release model, the previous one, noisereduce, DeepFilterNet3 and
# the oracles on test voices, unseen noise recordings and familiar noise kinds (about 30 minutes on 2 cores).
bench-generalisation: install
	$(DD) fetch fsdd noise speechocean762 hu-nonspeech
	$(PY) bench/generalisation.py --model-dir $(RELEASE) --previous $(PREVIOUS) --out bench/results/generalisation.json

# What the release model's second stage bought: stage 2 against stage 1 on the same benchmark (a few minutes
# once the peers' scores are cached by bench-generalisation).
bench-generalisation-stages: install
	$(DD) fetch fsdd noise speechocean762 hu-nonspeech
	$(PY) bench/generalisation.py --model-dir $(RELEASE) --previous $(STAGE1) --out bench/results/generalisation-stages.json

# The small model's size and speed against the release model and DeepFilterNet3, one thread, one run
# (appendix 9; bench/results/small_model.json, about 3 minutes)
bench-small: install
	$(DD) fetch fsdd noise
	$(PY) bench/small_model.py --small $(SMALL) --out

# The small model on the same benchmark, the release model beside it in the same run (appendix 9; about 5 min
# once the peers' scores are cached by bench-generalisation).
bench-generalisation-small: install
	$(DD) fetch fsdd noise speechocean762 hu-nonspeech
	$(PY) bench/generalisation.py --model-dir $(SMALL) --previous $(RELEASE) --out bench/results/generalisation-small.json

# Leave one speaker out (chapter 7): six FSDD fold models, one recipe, each scored on its own held-out
# speaker; per-clip results in bench/results/folds.* (about an hour on 2 cores; resumes from runs/folds).
folds: install
	$(DD) fetch fsdd noise
	$(PY) bench/folds.py --runs runs/folds --out bench/results/folds.json

# Chapter 7's instrument: a small digit recogniser (FSDD takes 5-49 of all six speakers; a few minutes),
# and the downstream benchmark: does denoising help it (and PocketSphinx) recognise the digit?
instrument: install
	$(DD) fetch fsdd hu-nonspeech
	$(PY) -m digitdenoise.instrument --out models/release/instrument

downstream: install
	$(DD) fetch fsdd hu-nonspeech speechocean762
	$(PY) bench/downstream.py --out bench/results/downstream.json

# What each ingredient of the general recipe buys (chapter 5's ablation table): six short fine-tunes,
# each leaving one ingredient out, on the same test mixtures (about an hour on 2 cores; resumes).
ablation: install
	$(DD) fetch fsdd noise speechocean762 hu-nonspeech
	$(PY) bench/ablation.py --runs runs/ablation --out bench/results/ablation.json

# Speed and cost against the peers (about 10 minutes); the appendix chapter renders bench/results/bench.json.
bench: install
	$(PY) bench/run.py

# Quality bar: both checkpoints vs oracle IRM on FSDD held-out speakers, -8 dB white noise (JSON in bench/results/);
# the specialist's weights are not in git: `make release-model-fsdd` makes them first.
bench-quality: install
	$(PY) bench/quality.py --model-dir $(PREVIOUS) --out bench/results/quality.json
	$(PY) bench/quality.py --model-dir $(RELEASE_WHITE) --out bench/results/quality-white.json
