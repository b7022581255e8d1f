"""Reference numbers for the spec tv-foe-bilevel A.3 check (Tests/InverseTests/SkimageReferenceTests.swift).

scikit-image's denoise_tv_chambolle(image, weight=w) minimises
    sum_i |grad u_i| + (1/(2w)) |f - u|^2,
i.e. (multiplying by w) 1/2 |u - f|^2 + w TV(u): wb's lambda is exactly skimage's weight.
Both use forward differences with a zero last difference (Neumann boundary) and the isotropic
norm, so the objectives are the same function.

The noisy image is made by wb itself (seeded generator, `wb noise --sigma 0.1 --seed 7`), so the
Swift test regenerates it bit for bit and only the numbers printed here need to be stored.

Usage (from the repository root, after `swift build -c release`):
    python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-image h5py
    /tmp/skvenv/bin/python bench/reference/skimage_tv_camera.py [path/to/wb]
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import skimage
from skimage.restoration import denoise_tv_chambolle

WEIGHT = 0.1
SIGMA = 0.1
SEED = 7


def tv(u):
    """Isotropic TV with forward differences, last difference 0 (wb's Gradient)."""
    gy = np.zeros_like(u)
    gx = np.zeros_like(u)
    gy[:-1, :] = u[1:, :] - u[:-1, :]
    gx[:, :-1] = u[:, 1:] - u[:, :-1]
    return np.sqrt(gy**2 + gx**2).sum()


def objective(u, f):
    return 0.5 * ((u - f) ** 2).sum() + WEIGHT * tv(u)


def psnr(u, clean):
    return 10 * np.log10(1.0 / np.mean((u - clean) ** 2))


def main():
    wb = sys.argv[1] if len(sys.argv) > 1 else ".build/release/wb"
    with tempfile.TemporaryDirectory() as d:
        clean_h5, noisy_h5 = os.path.join(d, "clean.h5"), os.path.join(d, "noisy.h5")
        subprocess.run([wb, "convert", "-q", "data/images/camera.png", clean_h5], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([wb, "noise", "-q", "--sigma", str(SIGMA), "--seed", str(SEED), "data/images/camera.png", noisy_h5],
                       check=True, stdout=subprocess.DEVNULL)
        with h5py.File(clean_h5) as f:
            clean = np.array(f["/entry/" + f["/entry"].attrs["default"] + "/data"], dtype=np.float64)
        with h5py.File(noisy_h5) as f:
            noisy = np.array(f["/entry/" + f["/entry"].attrs["default"] + "/data"], dtype=np.float64)
    print(f"scikit-image {skimage.__version__}, image {noisy.shape}, noisy PSNR {psnr(noisy, clean):.6f} dB")
    previous = None
    for iterations in [200, 1000, 3000, 6000]:  # 6000: ≈ 100 s
        u = denoise_tv_chambolle(noisy, weight=WEIGHT, eps=0.0, max_num_iter=iterations)
        e = objective(u, noisy)
        change = "" if previous is None else f"  |u - u_prev|_max {np.abs(u - previous).max():.3e}"
        print(f"max_num_iter={iterations:6d}: PSNR {psnr(u, clean):.6f} dB  objective {e:.9f}{change}")
        previous = u


if __name__ == "__main__":
    main()
