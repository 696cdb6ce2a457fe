# The 411 on the 311. Two commands matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
export JAVA_HOME ?= /usr/lib/jvm/java-17-openjdk-amd64
export PYSPARK_PYTHON := $(abspath $(PY))

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

$(VENV)/.stamp: requirements.lock pyproject.toml
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

venv: $(VENV)/.stamp  ## Python 3.11 virtual environment with the pinned dependencies

sysdeps:  ## Debian packages: headless Chromium + driver (browser tests), nginx (production test)
	bash scripts/sysdeps.sh

AXE := tests/browser/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/axe/package-lock.json
	npm ci --prefix tests/browser/axe --no-audit --no-fund --loglevel=error
	touch $@

axe: $(AXE)  ## axe-core (npm, pinned by tests/browser/axe/package-lock.json) for the accessibility tests

jars:  ## Kafka, Cassandra, Spark-Kafka connector and Delta Lake jars from Maven Central into the jar cache
	bash scripts/fetch-jars.sh

setup: venv sysdeps jars axe  ## everything the product and the tests need

services-up: venv jars  ## start Kafka (KRaft) and Cassandra on 127.0.0.1, wait until they answer
	bash scripts/services.sh up

services-down:  ## stop Kafka and Cassandra
	bash scripts/services.sh down

cluster-up: venv jars  ## start a loopback cluster (Spark master + 2 workers, 2 Cassandra, 3 Kafka), wait until each answers
	bash scripts/cluster.sh up

cluster-down:  ## stop the loopback cluster (no process left behind)
	bash scripts/cluster.sh down

embedded: venv  ## build the embedded store (SQLite + local lake) on first start
	bash scripts/bootstrap-embedded.sh

run: setup embedded  ## set up, then start the product under supervisord (config/supervisord.conf) on the embedded default
	mkdir -p var/log
	$(VENV)/bin/supervisord -c config/supervisord.conf

test: setup  ## set up, start Kafka and Cassandra, run the whole suite, stop them (even on failure)
	bash scripts/test.sh

lint: venv  ## ruff
	$(VENV)/bin/ruff check app bench pipeline tests scripts

bench: venv  ## all benchmarks (see README: Benchmarks)
	bash scripts/bench.sh

clean-var:  ## forget local data (rollups, lake, spool, checkpoints, service data)
	bash scripts/services.sh down; bash scripts/cluster.sh down; rm -rf var

.PHONY: help venv sysdeps jars axe setup services-up services-down cluster-up cluster-down embedded run test lint bench clean-var
