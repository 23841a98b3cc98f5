# Two commands do everything on a fresh Debian 12 machine:
#   make run    installs what is missing, builds, boots the C++ hello example in ehyve
#   make test   the same set-up, then every test
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup configure build run test bench clean

all: build

setup:
	@scripts/setup.sh

$(BUILD)/build.ninja: | setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

configure: setup $(BUILD)/build.ninja

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/ehyve $(BUILD)/examples/hello-cxx one two three

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: build
	@bench/boot/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
