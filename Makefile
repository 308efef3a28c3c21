# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Each bootstraps uv (into .tools/) and syncs .venv from uv.lock before it runs.
SHELL := /bin/bash
PYTHON ?= python3
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1

.PHONY: env demo test ui lint clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check 'uv>=0.13,<0.14'

env: $(UV)
	$(UV) sync --locked --python $(PYTHON) --quiet

demo: env
	.venv/bin/km demo

test: env
	.venv/bin/pytest

ui: env
	.venv/bin/km ui

lint: env
	.venv/bin/ruff check .

clean:
	rm -rf data .dagster reports
