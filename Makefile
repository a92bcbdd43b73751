# Thin wrapper over CMake so the README's commands stay short.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all test bench deps deps-dev deps-check fuzz lint clean train

# LF_WERROR=ON in the environment (as .ci/run sets it) makes warnings errors.
all:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(if $(LF_WERROR),-DLF_WERROR=$(LF_WERROR))
	cmake --build $(BUILD) -j $(JOBS)

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: all
	$(BUILD)/lf_bench

# Debian packages the build, the tests and the default data need.
deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  build-essential cmake pkg-config libopenblas-openmp-dev libcmocka-dev zlib1g-dev libcjson-dev \
	  dataset-fashion-mnist python3-numpy

# Also PyTorch 1.13, for regenerating test fixtures (tests/gen_fixtures_*.py) and for bench/.
deps-dev: deps
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch

# The main job: the default model on Fashion-MNIST, ending in test accuracy and a plot.
train: all
	$(BUILD)/lossforge train --data fashion-mnist --model mlp:256,256 --loss ce \
	  --optim adamw:lr=1e-3 --epochs 5 --seed 1 --out runs/default --force

# The checking tools .ci/run uses beyond `make test`: clang and its sanitizer runtimes (fuzzing),
# valgrind, cppcheck, clang-tidy.
deps-check: deps
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  clang libclang-rt-14-dev valgrind cppcheck clang-tidy

# libFuzzer harnesses (tests/fuzz): built with clang and ASan/UBSan into build-fuzz, each run
# FUZZ_SECONDS; prints executions and corpus sizes, fails on a crash (tests/fuzz/run.sh).
FUZZ_SECONDS ?= 60
fuzz:
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DLF_FUZZ=ON -DLF_OPENMP=OFF \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS) --target fuzzers
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# cppcheck and clang-tidy (bugprone-*, cert-*) over src/ and cli/: clean, or a line with its
# reason in .cppcheck-suppressions / .clang-tidy.
lint:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
	cppcheck -q -j $(JOBS) --std=c11 --enable=warning,portability,performance --inline-suppr \
	  --suppressions-list=.cppcheck-suppressions --error-exitcode=1 -I include -I src \
	  -D_POSIX_C_SOURCE=200809L -DLF_HAVE_BLAS=1 src cli
	ls src/*/*.c cli/*.c | xargs -P $(JOBS) -n 8 clang-tidy -p $(BUILD) --quiet 2>/dev/null

clean:
	rm -rf $(BUILD)
