# The project's entry points. See README.md.
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/.venv/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: setup deploy test bench cluster-up cluster-down clean

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

## cluster-up / cluster-down: the local cluster (real control plane, a real node, kwok nodes), context kwok-dbbat
cluster-up: setup
	@bash scripts/local-cluster.sh up

cluster-down:
	@bash scripts/local-cluster.sh down

clean:
	@[ ! -x .tools/bin/kwokctl ] || bash scripts/local-cluster.sh down
	rm -rf .venv .venv-* .tools node_modules tests/output .pytest_cache
