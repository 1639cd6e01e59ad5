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
FROM     ?=
PHOTOS   ?=
FOLDER   ?=
TRAINABLE ?=
RESUME   ?=
QUICK    ?=
TUTORIAL_EPOCHS ?=
PREVIOUS ?=
HOST   ?= 127.0.0.1
PORT   ?= 8000
# https for other computers on the clinic network (see README, Run it in a clinic): both or neither.
CERT   ?=
KEY    ?=
PYTEST_ARGS ?=

# --flag VALUE when the variable is set, nothing otherwise.
flag = $(if $($(1)),--$(2) $($(1)),)
TRAIN_FLAGS = $(foreach d,$(DATA),--data $(d)) $(call flag,NAME,name) $(call flag,ARCH,arch) $(call flag,CROP,crop) \
	$(call flag,EPOCHS,epochs) $(call flag,MEMBERS,members) $(if $(RESUME),--resume,)
MODEL_FLAG = $(if $(NAME),--model models/$(NAME),)

export PYTHONDONTWRITEBYTECODE := 1

# Serving needs only the web server, in its own small environment: any CPython from 3.9 on, no
# TensorFlow. The stamp names the Python, so `make serve PYTHON=python3.9` rebuilds it for that one.
SERVE_VENV  := .venv-serve
SERVE_PY    := $(SERVE_VENV)/bin/python
SERVE_STAMP  = $(SERVE_VENV)/.installed-with-$(notdir $(PYTHON))
SERVE_FLAGS  = --host $(HOST) --port $(PORT) $(call flag,CERT,cert) $(call flag,KEY,key)

.PHONY: setup browser node train adapt recalibrate calibrate evaluate convert use serve-setup serve install-service test test-fast bench bench-adaptation clean help

help:
	@echo "make serve                 serve the page with the shipped model on http://$(HOST):$(PORT)/"
	@echo "make serve HOST=0.0.0.0 CERT=cert.pem KEY=key.pem   serve other computers over https (README: Run it in a clinic)"
	@echo "make install-service       start the server at every boot (Linux, systemd), with the same settings as serve"
	@echo "make test                  run every test (unit, integration, browser)"
	@echo "make test-fast             the unit tests only: no browser, no training (a few minutes)"
	@echo "make train [DATA=dir]      train models/leukolens-cnn/ (NAME=...) with the shipped recipe; python -m train --help lists every setting"
	@echo "make train MEMBERS=3       average three networks (seeds 42, 43, 44) into one model"
	@echo "make train RESUME=1        continue an interrupted training run from its last epoch"
	@echo "make adapt DATA=my-lab     fine-tune the page's model on your lab's labelled cells (FROM=, NAME=, TRAINABLE=head|all)"
	@echo "make recalibrate PHOTOS=dir  re-measure the page's model's statistics on your microscope's unlabelled photos"
	@echo "make calibrate             fit the page's model's temperature and review flags on validation (FROM=web/models/NAME/<version>)"
	@echo "make convert               convert models/leukolens-cnn/ (NAME=...) into web/models/ and make it the default"
	@echo "make use NAME=...          make another published model the page's default (e.g. back to leukolens-cnn)"
	@echo "make use FOLDER=x.zip      publish the page's exported adapted model (a .zip or its folder) as the default"
	@echo "make evaluate              re-evaluate models/leukolens-cnn/ (NAME=...) on the held-out splits"
	@echo "make bench-adaptation      the page adapting to tecom's reviewed cells, and fine-tuning the cross-lab twins: bench/adaptation.md"
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

# The recipe on every source together, then on each source alone, scored on the others (cross-lab
# validation; skipped when DATA names one source). RESUME=1 continues whichever step was cut off.
train: $(STAMP)
	$(PY) -m train $(TRAIN_FLAGS)
	$(if $(filter 1,$(words $(DATA))),,$(PY) -m train.crosslab $(MODEL_FLAG))

# A lab's own cells (DATA: a folder with TRAIN/<CLASS>/) fine-tune the page's model (or FROM=models/NAME);
# the result is published beside the shipped model, and the page switches to it with make use NAME=...
ADAPTED = $(or $(NAME),leukolens-cnn-adapted)
adapt: $(STAMP) node
	$(if $(DATA),,$(error make adapt needs DATA=<folder with TRAIN/<CLASS>/ of your lab's labelled cells>))
	$(PY) -m train --init-from $(or $(FROM),web/models) $(foreach d,$(DATA),--data $(d)) --name $(ADAPTED) \
		$(call flag,EPOCHS,epochs) $(call flag,TRAINABLE,trainable) $(if $(RESUME),--resume,)
	$(PY) -m convert --model models/$(ADAPTED)
	@echo "Published $(ADAPTED) beside the shipped model. Make it the page's model: make use NAME=$(ADAPTED)"

# Without labels: the page's model (or FROM=models/NAME, FROM=web/models/NAME/<version>) re-measures its
# BatchNorm statistics on PHOTOS, a folder of this microscope's photos; published beside it, switched to with make use.
RECALIBRATED = $(or $(NAME),leukolens-cnn-recalibrated)
recalibrate: $(STAMP) node
	$(if $(PHOTOS),,$(error make recalibrate needs PHOTOS=<folder of your microscope's photos>))
	$(PY) -m train.recalibrate --model $(or $(FROM),web/models) --photos $(PHOTOS) --name $(RECALIBRATED)
	$(PY) -m convert --model models/$(RECALIBRATED)
	@echo "Published $(RECALIBRATED). Make it the page's model: make use NAME=$(RECALIBRATED)"

# Calibrated flags for a published model (the page's default, or FROM=web/models/NAME/<version>): a temperature
# and review thresholds fitted on the training sources' validation parts, tecom scored; metadata.json rewritten.
calibrate: $(STAMP) node
	$(PY) -m train.calibrate --model $(or $(FROM),web/models) $(foreach d,$(DATA),--data $(d))

evaluate: $(STAMP)
	$(PY) -m train.evaluate $(MODEL_FLAG) $(foreach d,$(DATA),--data $(d))

convert: $(STAMP) node
	$(PY) -m convert $(MODEL_FLAG) $(call flag,QUANTIZE,quantize) --default

# Switch the page to another published model (or back to the shipped one): make use NAME=leukolens-cnn
use: $(STAMP)
	$(PY) -m convert.use $(if $(FOLDER),--folder $(FOLDER),$(NAME))

serve-setup: $(SERVE_STAMP)

$(SERVE_STAMP): requirements-serve.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v >= (3, 9) else "The server needs Python 3.9 or later, found %d.%d (set PYTHON=...)" % v)'
	@echo "Installing the web server (flask, waitress: about 25 MB) into $(SERVE_VENV); TensorFlow is not needed to serve"
	$(PYTHON) -m venv --clear $(SERVE_VENV)
	$(SERVE_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-serve.txt
	touch $@

serve: $(SERVE_STAMP)
	$(SERVE_PY) -m server $(SERVE_FLAGS)

# deploy/leukolens.service with this folder, user and serve's settings filled in; as root (with
# systemd running) it is installed and started, now and at every boot; otherwise this says what to do.
# The service runs as whoever owns this folder (not root, even under sudo), unless SERVICE_USER says.
SERVICE_USER  ?= $(shell stat -c %U $(CURDIR))
SERVICE_UNIT  := /etc/systemd/system/leukolens.service
SERVICE_FLAGS  = $(strip --host $(HOST) --port $(PORT) $(if $(CERT),--cert $(abspath $(CERT)) --key $(abspath $(KEY)),))
SERVICE_VARS   = HOST=$(HOST) PORT=$(PORT) $(if $(CERT),CERT=$(abspath $(CERT)) KEY=$(abspath $(KEY)) ,)SERVICE_USER=$(SERVICE_USER)

install-service: $(SERVE_STAMP)
	@sed -e 's|@REPO@|$(CURDIR)|g' -e 's|@USER@|$(SERVICE_USER)|g' -e 's|@FLAGS@|$(SERVICE_FLAGS)|g' \
		deploy/leukolens.service > $(SERVE_VENV)/leukolens.service
	@echo "Wrote $(SERVE_VENV)/leukolens.service: runs the server ($(SERVICE_FLAGS)) as $(SERVICE_USER)"
	@if [ "$$(id -u)" != 0 ]; then \
		echo "To install and start it, run: sudo make install-service $(SERVICE_VARS)"; \
	elif [ ! -d /run/systemd/system ]; then \
		echo "systemd is not running on this machine: install $(SERVE_VENV)/leukolens.service by hand, or see README (Run it in a clinic)"; exit 1; \
	else \
		install -m 644 $(SERVE_VENV)/leukolens.service $(SERVICE_UNIT) && systemctl daemon-reload && \
		systemctl enable --now leukolens && systemctl --no-pager --lines=0 status leukolens && \
		echo "Installed $(SERVICE_UNIT): it starts at every boot. Stop: systemctl stop leukolens; remove: systemctl disable --now leukolens"; \
	fi

test: $(STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The unit tier: no Chromium, no training, no commands or converter in subprocesses (Node runs the page's
# modules against Python's).
test-fast: $(STAMP) node
	$(PY) -m pytest -m "not training and not browser and not integration" $(PYTEST_ARGS)

# Fine-tuning on 10/20/50 labelled cells per class and recalibration, on the cross-lab twins of make train.
# The page adapting in headless Chromium (bench/adaptation.md's in-browser section), then fine-tuning and
# recalibration of the cross-lab twins when this machine has them (make train leaves them in models/NAME/cross-lab/).
bench-adaptation: $(STAMP) browser
	$(PY) -m bench.browser_adaptation
	@if [ -d models/$(or $(NAME),leukolens-cnn)/cross-lab ]; then $(PY) -m bench.adaptation $(MODEL_FLAG); \
	else echo "no cross-lab twins in models/$(or $(NAME),leukolens-cnn)/cross-lab: fine-tuning them skipped (make train first)"; fi

# Quality, browser speed, sizes and costs of web/'s default model; QUICK=1 is a two-minute smoke run.
bench: $(STAMP) browser
	$(PY) -m bench $(foreach d,$(DATA),--data $(d)) $(if $(QUICK),--quick,) $(call flag,TUTORIAL_EPOCHS,tutorial-epochs) $(call flag,PREVIOUS,previous)

clean:
	rm -rf $(VENV) $(SERVE_VENV) .pytest_cache
