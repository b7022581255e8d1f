#!/usr/bin/env bash
# Benchmarks of issue 2 (docs/benchmarks.md): FFT blur vs bare FFTW and scipy.fft, HDF5 vs h5py,
# 16-bit PNG vs Pillow. Peers are installed into a virtual environment under .build/.
# Usage: bash bench/run.sh [--quick]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.build/bench-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
"$VENV/bin/pip" install -q numpy scipy h5py pillow scikit-image >/dev/null
swift build -c release --product wb-bench >/dev/null
swift build -c release --product wb >/dev/null
"$VENV/bin/python" bench/compare.py --bin .build/release/wb-bench "$@"
