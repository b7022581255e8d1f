# wb — two commands on a fresh Debian 12 machine (as root): `make demo` and `make test`.
SHELL := /bin/bash
APT_PACKAGES := libfftw3-dev libhdf5-dev zlib1g-dev libpng-dev libopenblas-dev pkg-config hdf5-tools
SWIFT ?= swift
CONFIG ?= release
OUT ?= out

.PHONY: all deps build demo test bench clean

all: build

# Install the system libraries wb links against, when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "Missing system packages:$$missing"; \
	    echo "Run as root:  apt-get update && apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

demo: build
	@mkdir -p $(OUT)
	$(SWIFT) run -c $(CONFIG) --skip-build wb run --force data/pipelines/demo.yaml
	@echo
	@echo "Demo results are in $(OUT)/: demo.h5 (NeXus; open with h5py, silx or h5dump) and the PNGs beside it."

# swift test builds with testable imports (also in release) and runs every suite.
test: deps
	$(SWIFT) test -c $(CONFIG)

bench: build
	bash bench/run.sh

clean:
	rm -rf .build $(OUT)
