# Thin wrapper over CMake so the README's commands stay short.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all test bench deps deps-dev clean train

all:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
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
	  --optim adamw:lr=1e-3 --epochs 5 --seed 1 --out runs/default

clean:
	rm -rf $(BUILD)
