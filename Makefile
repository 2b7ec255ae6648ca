# modlab — the two commands: `make serve` (set up + run) and `make test` (set up + test).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
# Torch comes from the local CPU wheel folder; the constraint stops any resolver
# from pulling a multi-GB CUDA build.
WHEELS ?= /opt/wheels
UV_FLAGS := --python $(PY) -c constraints.txt $(if $(wildcard $(WHEELS)),--find-links $(WHEELS))
STAMP := $(VENV)/.installed
# Write bytecode caches: without them every process recompiles torch/transformers/mlflow
# (tens of seconds per start on 2 cores).
unexport PYTHONDONTWRITEBYTECODE
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export BENTOML_DO_NOT_TRACK := true
export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: install serve test test-fast lint format eval-detectors eval bench build doctor clean llm

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade uv
	$(UV) pip install $(UV_FLAGS) -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Set up everything and run the service (:3000) and MLflow (:5000) on embedded defaults.
serve: install
	$(VENV)/bin/modlab serve --build-models --lab --argilla

## The whole test suite (lint, unit, integration, notebooks). Installs what it needs.
test: install
	$(VENV)/bin/ruff check src tests scripts
	$(PY) -m pytest -q --nbval-lax --durations=15 tests notebooks

test-fast: install
	$(PY) -m pytest -q -m "not integration and not slow" tests

lint: install
	$(VENV)/bin/ruff check src tests scripts
	$(VENV)/bin/ruff format --check src tests scripts

format: install
	$(VENV)/bin/ruff check --fix src tests scripts
	$(VENV)/bin/ruff format src tests scripts

doctor: install
	$(VENV)/bin/modlab doctor

eval-detectors: install
	$(PY) scripts/eval_detectors.py

## Speed: linear training time (issue 6), then the real service under load + MiniLM (issue 7).
bench: install
	$(PY) scripts/bench_training.py
	$(PY) scripts/bench_service.py

## `bentoml build` offline from the repo (BENTOML_HOME outside the build dir).
build: install
	BENTOML_HOME=$${BENTOML_HOME:-$$HOME/.local/share/modlab-bentoml} $(VENV)/bin/bentoml build

## Optional: the local LLM for auto-labelling and agents (llama.cpp build ~9 min + 1.1 GB model).
llm: install
	bash scripts/install_llm.sh

clean:
	rm -rf $(VENV) var build dist .pytest_cache
