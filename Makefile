# The commands a user types. `make` alone lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
CARGO  ?= cargo

.PHONY: help setup build test lint fmt sandbox bench

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed ## install the local tools (moto's server) into .venv; nothing needs Docker

build: ## build every crate
	$(CARGO) build --workspace --locked

lint: ## rustfmt and clippy, warnings are errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

sandbox: ## run the local BigCommerce store on :4010 (SANDBOX_ARGS="--latency-ms 50")
	$(CARGO) run -q -p bigcommerce-sandbox -- --port 4010 --seed sandbox/seed.json $(SANDBOX_ARGS)

bench: ## lookup wall time and call counts against the sandbox (50 ms latency), mapping CPU time
	$(CARGO) bench -q -p shared --bench lookup
	$(CARGO) bench -q -p shared --bench mapping -- --noplot

fmt: ## format the code
	$(CARGO) fmt --all

test: setup lint ## everything CI runs: lint, unit and integration tests (sandbox + moto)
	PATH="$(abspath $(VENV))/bin:$$PATH" scripts/with-moto $(CARGO) test --workspace --locked
