# The two commands of the README: `make demo` and `make test`. Both set up what they need first.
SHELL := bash
PYTHON ?= python3.11
export PYTHON

.PHONY: setup demo test quality format

setup:
	@scripts/setup.sh

demo: setup
	@.venv/bin/python -m scripts.demo

test: setup
	@source scripts/goenv.sh && cd gotools && go vet ./... && go test ./...
	@.venv/bin/python -m pytest

quality: setup
	@.venv/bin/ruff format --check . && .venv/bin/ruff check .

format: setup
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .
