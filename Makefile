# The single entry point. Every target installs what it needs from uv.lock first.
UV ?= uv
PYTEST_ARGS ?=

.PHONY: install up down test lint bench asyncapi deploy-check

install:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen

up: install
	$(UV) run btxh-stack up

down:
	$(UV) run btxh-stack down

test: install
	$(UV) run pytest $(PYTEST_ARGS)

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy libs/common/src tools/src services/*/src

bench: install
	$(UV) run python -m btxh_tools.bench $(BENCH_ARGS)

asyncapi: install
	$(UV) run python -m settlement_svc.contract > services/settlement-svc/asyncapi.yaml

deploy-check: install
	$(UV) run python -m btxh_tools.deploy_check
