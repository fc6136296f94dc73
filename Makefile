# goshift — the two commands a new user needs first: `make demo` and `make test`.
SHELL := /bin/bash
ENV ?= local
GOSHIFT := node bin/goshift
MARIADB := mariadb -h127.0.0.1 -uroot

.PHONY: demo test test-unit services db build install bench clean

## demo: start services, build, load demo data and tasks, run task 5 (MySQL -> MySQL) and task 7 (MySQL -> Redis)
demo: db
	$(GOSHIFT) plan -e $(ENV) -id 5 | head -n 12
	$(GOSHIFT) -e $(ENV) -id 5
	$(GOSHIFT) -e $(ENV) -id 7
	redis-cli -n 1 hgetall change:1
	$(GOSHIFT) tasks -e $(ENV)

## test: start services, build, run every jest suite (unit + integration)
test: services build
	npx tsc -p tsconfig.test.json
	npx jest --runInBand --forceExit $(JEST_ARGS)

## test-unit: unit tests only (no services needed)
test-unit: install
	npx jest test/unit $(JEST_ARGS)

## services: make sure MariaDB and Redis run locally (installs Debian packages when missing)
services:
	bash scripts/services.sh

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
