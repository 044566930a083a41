# journeyd — two commands: `make run` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CONFIG ?= etc/journeyd.yaml

.PHONY: all deps build run test test-asan bench clean format deb

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p var
	$(BUILD)/journeyd serve --config $(CONFIG)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j 1

test-asan: deps
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJOURNEYD_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j 1

# The Debian package: $(BUILD)/deb/journeyd_VERSION_ARCH.deb (docs/operations.md, "Install the Debian package").
deb: deps
	@scripts/build-deb.sh $(BUILD)/deb $(JOBS)

bench: build
	@cmake --build $(BUILD) -j $(JOBS) --target $(patsubst bench/%.cpp,bench_%,$(wildcard bench/*.cpp))

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) build-asan
