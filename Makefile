# Top-level wrapper around CMake. `make run` and `make test` are the two commands of the README.
BUILD      ?= build
TEST_BUILD ?= build/test
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build run test test-build deps clean fuzz bench

all: build

deps:
	@bash scripts/deps

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# run: set up and run the platform on its embedded defaults (sample data under samples/).
run: deps build
	@bash scripts/run

# test: build with clang + ASan/UBSan (and the libFuzzer targets) and run every test.
test-build:
	CC=clang cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DREPUTE_SANITIZE=ON \
	  -DREPUTE_WERROR=ON -DREPUTE_FUZZ=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)

test: deps test-build
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

clean:
	rm -rf $(BUILD)
