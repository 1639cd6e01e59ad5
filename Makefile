# Leukolens: the map of the pipeline.  make train convert serve
# Every target installs what it needs into .venv first; nothing relies on hand installs.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-requirements

DATA   ?= $(if $(wildcard ../shared/data/blood-cells),../shared/data/blood-cells,data/blood-cells)
NAME   ?= leukolens-cnn
ARCH   ?= compact
CROP   ?= cell_centred
EPOCHS ?= 40
MEMBERS ?= 3
QUANTIZE ?=
RESUME ?=
QUICK  ?=
TUTORIAL_EPOCHS ?=
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

# tf_keras (Keras 2) builds models TensorFlow.js can load; quiet TF's C++ start-up chatter.
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export TFDF_DISABLE_WELCOME_MESSAGE := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup browser node train evaluate convert serve test bench clean help

help:
	@echo "make serve                 serve the page with the shipped model on http://$(HOST):$(PORT)/"
	@echo "make test                  run every test (unit, integration, browser)"
	@echo "make train [DATA=dir]      train models/$(NAME)/ on DATA (default $(DATA))"
	@echo "make train MEMBERS=1       one network instead of the average of $(MEMBERS) (a third of the time and size)"
	@echo "make train RESUME=1        continue an interrupted training run from its last epoch"
	@echo "make convert               convert models/$(NAME)/model.h5 into web/models/$(NAME)/"
	@echo "make evaluate              re-evaluate models/$(NAME)/ on DATA/TEST and DATA/TEST_SIMPLE"
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
	$(PY) -m train --data $(DATA) --name $(NAME) --arch $(ARCH) --crop $(CROP) --epochs $(EPOCHS) --members $(MEMBERS) $(if $(RESUME),--resume,)

evaluate: $(STAMP)
	$(PY) -m train.evaluate --model models/$(NAME) --data $(DATA)

convert: $(STAMP) node
	$(PY) -m convert --model models/$(NAME) --out web/models $(if $(QUANTIZE),--quantize $(QUANTIZE),) --default

serve: $(STAMP)
	$(PY) -m server --host $(HOST) --port $(PORT)

test: $(STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

# Quality, browser speed, sizes and costs of web/'s default model; QUICK=1 is a two-minute smoke run.
bench: $(STAMP) browser
	$(PY) -m bench --data $(DATA) $(if $(QUICK),--quick,) $(if $(TUTORIAL_EPOCHS),--tutorial-epochs $(TUTORIAL_EPOCHS),)

clean:
	rm -rf $(VENV) .pytest_cache
