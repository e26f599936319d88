# The project's entry points. See README.md.
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/.venv/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: setup deploy test bench clean

## setup: install every pinned tool the jobs and tests need (idempotent)
setup:
	@bash scripts/setup.sh

## deploy: set up, then run the main job (deploy DBBat with the local inventory)
deploy: setup
	@bash scripts/deploy-local.sh

## test: every test and quality gate, with the time each part took
test: setup
	@bash scripts/test.sh

## bench: the benchmarks (they print figures; nothing is asserted on time)
bench: setup
	@bash scripts/bench.sh

clean:
	rm -rf .venv .venv-* .tools node_modules tests/output .pytest_cache
