#!/usr/bin/env bash
# Benchmarks of issues 2 and 3 (docs/benchmarks.md): FFT blur vs bare FFTW and scipy.fft, HDF5 vs h5py,
# 16-bit PNG vs Pillow (bench/compare.py); TV denoising vs scikit-image, PyProximal and BART rof
# (bench/tv.py, `--only tv`); blind-calibration iteration vs NumPy (bench/calibration.py, `--only calibration`). Peers are installed into a virtual environment under .build/
# (BART is the Debian package `bart`: apt-get install bart; the TV table says when it is missing).
# NN training vs PyTorch CPU (bench/nn.py, `--only nn`; torch 2.13.0+cpu in its own venv .build/torch-venv).
# Usage: bash bench/run.sh [--quick] [--only blur,hdf5,png | --only tv | --only calibration | --only nn]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " == *" --only nn "* ]]; then
  TORCH_VENV=.build/torch-venv
  if [ ! -x "$TORCH_VENV/bin/python" ]; then
    python3 -m venv "$TORCH_VENV"
  fi
  "$TORCH_VENV/bin/pip" install -q "torch==2.13.0+cpu" numpy >/dev/null
  swift build -c release --product wb-bench >/dev/null
  exec "$TORCH_VENV/bin/python" bench/nn.py --bin .build/release/wb-bench "$@"
fi
VENV=.build/bench-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
"$VENV/bin/pip" install -q numpy scipy h5py pillow scikit-image pyproximal >/dev/null
swift build -c release --product wb-bench >/dev/null
swift build -c release --product wb >/dev/null
if [[ " $* " == *" --only calibration "* ]]; then
  "$VENV/bin/python" bench/calibration.py --bin .build/release/wb-bench "$@"
elif [[ " $* " == *" --only tv "* ]]; then
  "$VENV/bin/python" bench/tv.py --bin .build/release/wb-bench "$@"
else
  "$VENV/bin/python" bench/compare.py --bin .build/release/wb-bench "$@"
fi
