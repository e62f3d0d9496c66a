# Hearth: the two set-up commands are `make demo` and `make test`.
# Everything else here is what they are made of.

BUILD_DIR ?= build
FUZZ_DIR ?= build-fuzz
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 20
CMAKE_FLAGS ?=
HEARTH := $(BUILD_DIR)/src/app/hearth

# ccache: hash paths relative to the checkout so a fresh clone elsewhere (CI) hits the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps configure build demo test unit integration fuzz fuzz-build bench clean format

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DHEARTH_WERROR=ON $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Runs the hub on two simulated cameras in a fresh data directory.
demo: build
	@$(HEARTH) demo $(if $(DATA_DIR),--data-dir $(DATA_DIR)) $(if $(LISTEN),--listen $(LISTEN))

# Every test: unit, integration (real GStreamer, ffprobe, ffmpeg) and short fuzz runs.
test: build fuzz
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

integration: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L integration

fuzz-build: deps
	@CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_DIR) -G Ninja -DHEARTH_FUZZ=ON \
	    -DHEARTH_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS)

# Each fuzzer runs FUZZ_SECONDS from its seed corpus (a scratch copy, so runs stay hermetic).
fuzz: fuzz-build
	@scripts/run-fuzzers.sh $(FUZZ_DIR)/tests/fuzz tests/fuzz/corpus $(FUZZ_SECONDS)

bench: build
	@bench/run.sh $(BUILD_DIR)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_DIR)
