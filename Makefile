# The commands a user types. `make` alone lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   ?= .venv
PIP    := $(VENV)/bin/pip
CARGO  ?= cargo
BIN    := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export SAM_CLI_TELEMETRY := 0
# Local tools never need real AWS credentials; real ones in the environment win.
export AWS_REGION ?= us-east-1
export AWS_DEFAULT_REGION ?= us-east-1

URL ?=
KEY ?=
EVENT ?= lookup-customer.detailed.json
# make bench-quota: conversations per second, warm containers, the other app's calls per second,
# seconds of arrivals, the seed of the draws (empty: a new one, printed), and the shared cache
# (1 on, 0 off), and the secret's quota_share.
RATE       ?= 1
CONTAINERS ?= 4
OTHER      ?= 2
DURATION   ?= 180
SEED       ?=
CACHE      ?= 1
SHARE      ?= 0.5

.PHONY: help setup browser build test lint fmt sandbox bench bench-quota demo console watch events invoke sam-local smoke deploy deploy-check sizes

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed ## install cargo-lambda, moto's server, cfn-lint and aws-sam-cli into .venv (no Docker)

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser: ## Debian's chromium and chromium-driver, for the console's browser test (apt-get, when missing)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver; }

build: setup ## release builds of the seven functions for Lambda (arm64), into target/lambda/
	rustup target add aarch64-unknown-linux-gnu
	$(CARGO) lambda build --release --arm64 --locked -p lookup-customer -p lookup-orders -p cancel-order -p refund-order -p create-discount -p update-address -p create-gift-certificate

lint: setup ## rustfmt, clippy (warnings are errors), cfn-lint and sam validate --lint
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	cfn-lint template.yaml
	AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID:-local} AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY:-local} sam validate --lint --template template.yaml

fmt: ## format the code
	$(CARGO) fmt --all

test: setup browser lint ## everything CI runs: lint, unit and integration tests, every event through cargo lambda watch and sam local invoke, the console in Chromium, the deploy against fakecloud
	scripts/with-moto $(CARGO) test --workspace --locked
	scripts/local-stack bash -c 'scripts/invoke-events && scripts/console-test'
	$(if $(SKIP_SAM_LOCAL),@echo "sam local invoke: skipped as SKIP_SAM_LOCAL asked (CI never sets it)",scripts/sam-local)
	scripts/deploy-check

demo: setup ## the whole flow on the sandbox store, then (in a terminal) the agent console until Ctrl-C
	scripts/local-stack bash -c 'target/debug/gladly-client demo --local && \
	  if [ -t 1 ]; then echo; echo "Open the console to click through it yourself."; target/debug/gladly-client console --local; fi'

console: setup ## the agent console in a browser: on the local stack, or make console URL=<BaseUrl> KEY=<signing key>
	@if [ -n "$(URL)" ]; then \
	  test -n "$(KEY)" || { echo "usage: make console URL=<BaseUrl output> KEY=<signing key>"; exit 2; }; \
	  GLADLY_SIGNING_KEY="$$KEY" $(CARGO) run -q -p gladly-client -- console --url "$(URL)"; \
	else scripts/local-stack target/debug/gladly-client console --local; fi

watch: setup ## serve the functions locally (sandbox + moto + cargo lambda watch) until Ctrl-C
	scripts/local-stack bash -c 'echo "Serving on $$GLADLY_URL/lambda-url/<function>/<path>, sandbox on $$SANDBOX_URL, signing key $$GLADLY_SIGNING_KEY. Ctrl-C stops."; while true; do sleep 3600; done'

events: ## regenerate events/ (signed now with the demo key; signatures last 5 minutes)
	scripts/make-events

invoke: setup ## invoke every event with cargo lambda invoke against cargo lambda watch, checking statuses
	scripts/local-stack scripts/invoke-events

sam-local: setup ## every event through sam local invoke in Docker (arm64), checking statuses; as root on Debian it starts its own Docker
	scripts/sam-local

sandbox: ## run the local BigCommerce store on :4010 (SANDBOX_ARGS="--latency-ms 50")
	$(CARGO) run -q -p bigcommerce-sandbox -- --port 4010 --seed sandbox/seed.json $(SANDBOX_ARGS)

bench: setup ## lookup wall time and call counts against the sandbox (50 ms latency; with and without the shared cache in moto), mapping CPU time
	scripts/with-moto $(CARGO) bench -q -p shared --bench lookup
	$(CARGO) bench -q -p shared --bench mapping -- --noplot

# The dev profile: the numbers are call counts, 429s and waits on a 50 ms store, not CPU, and it
# reuses the build `make test` made where the bench profile would build everything again (LTO).
# Under moto: the lookup's cache table will live in DynamoDB.
bench-quota: setup ## the adaptor sharing the store's 150/30 s quota with another app (RATE=1 CONTAINERS=4 OTHER=2 DURATION=180 SEED= CACHE=1 SHARE=0.5)
	RATE='$(RATE)' CONTAINERS='$(CONTAINERS)' OTHER='$(OTHER)' DURATION='$(DURATION)' SEED='$(SEED)' CACHE='$(CACHE)' SHARE='$(SHARE)' \
	  scripts/with-moto $(CARGO) bench -q --profile dev -p shared --bench quota

smoke: ## check a deployment: make smoke URL=https://…execute-api….amazonaws.com KEY=<gladly signing key>
	@test -n "$(URL)" -a -n "$(KEY)" || { echo "usage: make smoke URL=<BaseUrl output> KEY=<signing key>"; exit 2; }
	GLADLY_SIGNING_KEY="$$KEY" $(CARGO) run -q -p gladly-client -- smoke --url "$(URL)"

deploy: setup ## sam build (cargo lambda, no Docker) and sam deploy (--guided the first time: make deploy GUIDED=1)
	rustup target add aarch64-unknown-linux-gnu
	sam build --beta-features
	sam deploy $(if $(GUIDED),--guided,)

deploy-check: setup ## sam build, sam deploy (samconfig.toml) and sam delete against fakecloud on 127.0.0.1, reading every resource back
	scripts/deploy-check

sizes: build ## each function's arm64 binary size
	@for f in lookup-customer lookup-orders cancel-order refund-order create-discount update-address create-gift-certificate; do \
	  printf '%-16s %s bytes\n' $$f $$(stat -c %s target/lambda/$$f/bootstrap); done
