# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Each bootstraps uv (into .tools/) and syncs .venv from uv.lock before it runs.
SHELL := /bin/bash
PYTHON ?= python3
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1

.PHONY: env demo test ui lab lint clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check 'uv>=0.13,<0.14'

env: $(UV)
	$(UV) sync --locked --python $(PYTHON) --quiet
	@# The notebooks' kernel (km-assets): the venv's Python, installed into the venv (papermill and JupyterLab).
	.venv/bin/python -m km_assets.reports.kernel

demo: env
	.venv/bin/km demo

test: env
	.venv/bin/pytest

ui: env
	.venv/bin/km ui

# JupyterLab on 127.0.0.1 (the token is printed in the URL), opening notebooks/ with the km-assets kernel.
# Jupyter refuses to start as root without --allow-root; containers and CI machines often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: env
	.venv/bin/jupyter lab --ip=127.0.0.1 --no-browser $(ALLOW_ROOT) --ServerApp.root_dir=. \
		--ServerApp.default_url=/lab/tree/notebooks --MultiKernelManager.default_kernel_name=km-assets

lint: env
	.venv/bin/ruff check .

clean:
	rm -rf data .dagster reports
