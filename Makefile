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

# The functions: the folders of functions/ (the one list; scripts/check-functions, in lint,
# checks the workspace and template.yaml against it).
FUNCTIONS := $(shell scripts/functions)

# What CI runs (.ci/run, make ci, make test): these stages, in this order, each one a target of
# its own that prints its time. SKIP_SAM_LOCAL=1 leaves sam-local out (CI never sets it).
CI_STAGES := lint unit e2e console-test sam-local deploy-check

# The stages share ports (the local stack) and the machine: never two at once, even under -j.
.NOTPARALLEL:

.PHONY: help setup deny-tool browser build ci ci-start test $(CI_STAGES) fmt sandbox bench bench-quota demo console watch events invoke smoke deploy sizes

help: ## list the commands
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed deny-tool ## install cargo-lambda, moto's server, cfn-lint and aws-sam-cli into .venv (no Docker), and cargo-deny (pinned) into ~/.cache/gladly-bc-tools

# cargo-deny for lint's supply-chain check: once per machine (scripts/install-cargo-deny), then a
# version check.
deny-tool:
	@scripts/install-cargo-deny >/dev/null

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser: ## Debian's chromium and chromium-driver, for the console's browser test (apt-get, when missing)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver; }

build: setup ## release builds of the functions (functions/) for Lambda (arm64), into target/lambda/
	rustup target add aarch64-unknown-linux-gnu
	$(CARGO) lambda build --release --arm64 --locked $(addprefix -p ,$(FUNCTIONS))

ci: setup browser ci-start $(CI_STAGES) ## everything CI runs, in timed stages: lint unit e2e console-test sam-local deploy-check
	@echo "=== make ci: every stage passed"
	@cat "$(CI_TIMES)"

test: ci ## the same as make ci: everything CI runs

# The stages append their times here for ci's summary (the variable reaches ci's prerequisites).
ci: export CI_TIMES := $(CURDIR)/.run/ci-times
ci-start:
	@mkdir -p .run && rm -f "$(CI_TIMES)"

lint: setup ## stage: the function list agrees everywhere (and its check fails when it should), rustfmt, clippy (warnings are errors), cargo deny (licenses, bans, sources; offline), cfn-lint, sam validate --lint
	@CARGO='$(CARGO)' scripts/stage lint scripts/lint

unit: setup ## stage: unit and integration tests of the workspace, under moto
	@scripts/stage unit scripts/with-moto $(CARGO) test --workspace --locked

e2e: setup ## stage: every event through cargo lambda watch (sandbox + moto), checking statuses
	@scripts/stage e2e scripts/local-stack scripts/invoke-events

console-test: setup browser ## stage: the agent console driven in headless Chromium on the local stack
	@scripts/stage console-test scripts/local-stack scripts/console-test

sam-local: setup ## stage: every event through sam local invoke in Docker (arm64), checking statuses; as root on Debian it starts its own Docker
	$(if $(SKIP_SAM_LOCAL),@echo "=== stage sam-local: skipped as SKIP_SAM_LOCAL asked (CI never sets it)",@scripts/stage sam-local scripts/sam-local)

deploy-check: setup ## stage: sam build, sam deploy (samconfig.toml) and sam delete against fakecloud on 127.0.0.1, reading every resource back
	@scripts/stage deploy-check scripts/deploy-check

fmt: ## format the code
	$(CARGO) fmt --all

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

invoke: e2e ## the same as make e2e

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

sizes: build ## each function's arm64 binary size
	@for f in $(FUNCTIONS); do \
	  printf '%-16s %s bytes\n' $$f $$(stat -c %s target/lambda/$$f/bootstrap); done
