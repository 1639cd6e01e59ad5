# Leukolens: the map of the pipeline.  make train convert serve
# Every target installs what it needs into .venv first; nothing relies on hand installs.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-requirements

# Settings: empty means the stage's own default (the shipped recipe is train/config.py's TrainConfig);
# the Makefile passes only what you set, e.g. make train EPOCHS=60 NAME=my-model.
DATA     ?=
NAME     ?=
ARCH     ?=
CROP     ?=
EPOCHS   ?=
MEMBERS  ?=
QUANTIZE ?=
RESUME   ?=
QUICK    ?=
TUTORIAL_EPOCHS ?=
PREVIOUS ?=
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

# --flag VALUE when the variable is set, nothing otherwise.
flag = $(if $($(1)),--$(2) $($(1)),)
TRAIN_FLAGS = $(foreach d,$(DATA),--data $(d)) $(call flag,NAME,name) $(call flag,ARCH,arch) $(call flag,CROP,crop) \
	$(call flag,EPOCHS,epochs) $(call flag,MEMBERS,members) $(if $(RESUME),--resume,)
MODEL_FLAG = $(if $(NAME),--model models/$(NAME),)

export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup browser node train evaluate convert use serve test test-fast bench clean help

help:
	@echo "make serve                 serve the page with the shipped model on http://$(HOST):$(PORT)/"
	@echo "make test                  run every test (unit, integration, browser)"
	@echo "make test-fast             the unit tests only: no browser, no training (under a minute)"
	@echo "make train [DATA=dir]      train models/leukolens-cnn/ (NAME=...) with the shipped recipe; python -m train --help lists every setting"
	@echo "make train MEMBERS=3       average three networks (seeds 42, 43, 44) into one model"
	@echo "make train RESUME=1        continue an interrupted training run from its last epoch"
	@echo "make convert               convert models/leukolens-cnn/ (NAME=...) into web/models/ and make it the default"
	@echo "make use NAME=...          make another published model the page's default (e.g. back to leukolens-cnn)"
	@echo "make evaluate              re-evaluate models/leukolens-cnn/ (NAME=...) on the held-out splits"
	@echo "make bench [QUICK=1]       measure the page's default model: bench/results.md (quick: bench/quick/)"

setup: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else "Leukolens needs Python 3.11, found %d.%d (set PYTHON=...)" % v)'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Debian packages, installed when missing (needs root, as in CI): Chromium drives the browser
# tests; Node runs the vendored TensorFlow.js for convert's parity check.
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); \
	else echo "please install: sudo apt-get install $(1)"; exit 1; fi

browser: node
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { $(call APT_INSTALL,chromium chromium-driver); }

node:
	@command -v node >/dev/null || { $(call APT_INSTALL,nodejs); }

train: $(STAMP)
	$(PY) -m train $(TRAIN_FLAGS)

evaluate: $(STAMP)
	$(PY) -m train.evaluate $(MODEL_FLAG) $(foreach d,$(DATA),--data $(d))

convert: $(STAMP) node
	$(PY) -m convert $(MODEL_FLAG) $(call flag,QUANTIZE,quantize) --default

# Switch the page to another published model (or back to the shipped one): make use NAME=leukolens-cnn
use: $(STAMP)
	$(PY) -m convert.use $(NAME)

serve: $(STAMP)
	$(PY) -m server --host $(HOST) --port $(PORT)

test: $(STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The unit tier: no Chromium, no training (Node runs the page's modules against Python's).
test-fast: $(STAMP) node
	$(PY) -m pytest -m "not training and not browser" $(PYTEST_ARGS)

# Quality, browser speed, sizes and costs of web/'s default model; QUICK=1 is a two-minute smoke run.
bench: $(STAMP) browser
	$(PY) -m bench $(foreach d,$(DATA),--data $(d)) $(if $(QUICK),--quick,) $(call flag,TUTORIAL_EPOCHS,tutorial-epochs) $(call flag,PREVIOUS,previous)

clean:
	rm -rf $(VENV) .pytest_cache
