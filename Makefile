# The two commands of the README, and the pieces they are made of.
#   make run    install what is missing, build, serve http://127.0.0.1:8080
#   make test   install what is missing, build, run every test suite

PYTHON := /usr/bin/python3
BUILD := build
ASAN_BUILD := build-asan

.PHONY: all bootstrap build build-asan run test unit e2e lint bench clean

all: build

bootstrap:
	@bash scripts/bootstrap

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized -Dwerror=true

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Dwerror=true -Dtestable=true \
		-Db_sanitize=address,undefined -Db_lundef=false

build: bootstrap $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: bootstrap $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

run: build
	@mkdir -p data
	@echo "kura: serving http://127.0.0.1:8080 — the initial root password is in ./data/initial_root_password"
	KURA_DATA_DIR=./data $(BUILD)/kura serve

# Unit tests and the whole e2e suite run against the sanitizer build; the
# summary line counts every test of every suite.
test: build build-asan
	@bash scripts/run-tests

lint:
	@bash scripts/lint

bench: build
	@bash bench/run

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
