# synod: the two commands the README promises, and a few more.
#   make run    set up, build (release) and run the main job
#   make test   set up, build (clang, address + undefined sanitizers, fuzzers) and run every test
#   make bench  build (release) and run the micro-benchmarks
JOBS ?= 2
RELEASE_DIR := build/release
TEST_DIR := build/test
FUZZ_SECONDS ?= 10

.PHONY: deps release test-build run test bench format clean

deps:
	@bash scripts/deps.sh

$(RELEASE_DIR)/build.ninja: | deps
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DSYNOD_TESTS=OFF

release: deps $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS)

$(TEST_DIR)/build.ninja: | deps
	cmake -S . -B $(TEST_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_CXX_FLAGS="-O1" -DSYNOD_SANITIZE=ON -DSYNOD_FUZZ=ON -DSYNOD_BENCH=OFF \
	  -DSYNOD_FUZZ_SECONDS=$(FUZZ_SECONDS)

test-build: deps $(TEST_DIR)/build.ninja
	cmake --build $(TEST_DIR) -j $(JOBS)

run: release
	bash scripts/run.sh $(RELEASE_DIR)

test: test-build
	cd $(TEST_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900

bench: release
	$(RELEASE_DIR)/bench/synod_microbench

format:
	find src apps bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf build
