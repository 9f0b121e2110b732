# LandmarkLab: `make demo` runs the main job, `make test` the tests, `make bench` the benchmarks,
# `make install` puts lmlab and the shipped configs under PREFIX (default /usr/local).
# Each target first installs the Debian packages it needs when they are missing.
SWIFT ?= swift
# Tests build in release (numeric kernels are 10-100x slower in debug) in their own folder.
TEST_SCRATCH ?= .build-test
# `make install`: PREFIX/bin/lmlab and PREFIX/share/lmlab/Experiments/*.yaml, where lmlab looks for
# its configs when run outside a checkout (Workbench/Configuration/ExperimentsFolder.swift).
# DESTDIR stages the install for packaging.
PREFIX ?= /usr/local

.PHONY: deps build demo test bench clean install

deps:
	@bash scripts/setup-deps.sh

build: deps
	$(SWIFT) build -c release --product lmlab
	@# Every key at its default, for reading (generated from the schema; not tracked).
	@.build/release/lmlab config defaults > Experiments/defaults.yaml

# The main job: the whole method on the synthetic default (resumable: run it again to continue).
demo: build
	.build/release/lmlab demo

test:
	@bash scripts/setup-deps.sh test
	TEST_SCRATCH=$(TEST_SCRATCH) bash scripts/run-tests.sh

bench: build
	.build/release/lmlab bench engine

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/lmlab/Experiments
	install -m 755 .build/release/lmlab $(DESTDIR)$(PREFIX)/bin/lmlab
	install -m 644 Experiments/*.yaml $(DESTDIR)$(PREFIX)/share/lmlab/Experiments/

clean:
	rm -rf .build $(TEST_SCRATCH)
