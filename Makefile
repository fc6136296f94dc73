# goshift — the two commands a new user needs first: `make demo` and `make test`.
SHELL := /bin/bash
# Node.js 22 or newer first on PATH for every target (scripts/node.sh installs one from the npm
# registry's `node` package into .tools/ when the machine's is older). NODE_BIN=<dir> overrides.
NODE_BIN ?= $(shell bash scripts/node.sh)
ifeq ($(NODE_BIN),)
$(error no Node.js 22+ found or installed: see the lines above, or set NODE_BIN=<dir of a node 22+ binary>)
endif
export PATH := $(NODE_BIN):$(PATH)
ENV ?= local
GOSHIFT := node bin/goshift
MARIADB := mariadb -h127.0.0.1 -uroot
# Redis db the demo's task 7 writes its 300k hashes to (entry to.redis.local_cache_demo).
REDIS_DB ?= 1
export GOSHIFT_DEMO_REDIS_DB := $(REDIS_DB)
# Test files run side by side (each test makes its own schemas, keys, buckets and tables); most of
# their time is spent waiting on servers and child processes, so more workers than cores pay.
JEST_WORKERS ?= 4

.PHONY: demo test test-unit services browser services-stop db build install bench clean

## demo: start services, build, load demo data and tasks, run tasks 5 (MySQL -> MySQL), 7 (MySQL -> Redis db $(REDIS_DB)), 8 (Redis -> S3) and 9 (MySQL -> DynamoDB)
demo: db
	$(GOSHIFT) plan -e $(ENV) -id 5 | head -n 12
	$(GOSHIFT) -e $(ENV) -id 5
	$(GOSHIFT) -e $(ENV) -id 7
	redis-cli -n $(REDIS_DB) hgetall change:1
	node scripts/demo-bucket.js goshift-archive
	$(GOSHIFT) -e $(ENV) -id 8
	$(GOSHIFT) -e $(ENV) -id 9
	$(GOSHIFT) tasks -e $(ENV)

## test: install npm packages, start services, install the test browser, build, run every jest suite (unit + integration)
test: install services browser build
	npx tsc -p tsconfig.test.json
	npx jest --maxWorkers=$(JEST_WORKERS) --forceExit $(JEST_ARGS)

## test-unit: unit tests only (no services needed)
test-unit: install
	npx jest test/unit $(JEST_ARGS)

## services: make sure MariaDB, Redis, s3rver and DynamoDB Local run locally (installs Debian packages when missing)
services: install
	bash scripts/services.sh mariadb redis s3 dynamodb

## browser: install Debian's chromium for the status-page test when it is missing (`make test` does this)
browser:
	bash scripts/services.sh chromium

## services-stop: stop the background s3rver and DynamoDB Local that `make services` started
services-stop:
	bash scripts/services.sh stop

## db: metadata tables, demo schema `blog` with 300k rows, demo task rows
db: services build
	$(GOSHIFT) init-db -e $(ENV)
	$(MARIADB) < sql/demo/blog.sql
	$(MARIADB) goshift < sql/demo/tasks.sql

## build: compile TypeScript to dist/
build: install
	npx tsc -p tsconfig.json

## install: npm dependencies (from package-lock.json)
install: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## bench: goshift against its peers, side by side (not a test)
bench: services build
	bash scripts/bench-deps.sh
	node dist/bench/run.js $(BENCH_ARGS)

clean:
	rm -rf dist logs
