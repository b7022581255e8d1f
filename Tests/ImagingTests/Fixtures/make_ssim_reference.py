#!/usr/bin/env python3
"""Reference values for MetricsTests from real scikit-image (the tests never run Python).

    python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-image
    /tmp/skvenv/bin/python Tests/ImagingTests/Fixtures/make_ssim_reference.py

Writes `ssim_reference.json` next to this script. Inputs are reproducible bit for bit in Swift:
    hash(shape, salt)[k] = ((k·2654435761 + salt·40503) mod 2³²) / 2³²   (k = row-major flat index)
    ref = hash(shape, s1)          (or camera.png / 255 when "image" is given)
    x   = a·ref + b + c·(hash(shape, s2) − 0.5)
and the metrics are
    structural_similarity(ref, x, data_range=R, gaussian_weights=True, sigma=1.5,
                          use_sample_covariance=False)
    peak_signal_noise_ratio(ref, x, data_range=R), normalized_root_mse(ref, x)  ("euclidean").
"""
import json
import os

import numpy as np
import skimage
from skimage.metrics import normalized_root_mse, peak_signal_noise_ratio, structural_similarity

HERE = os.path.dirname(os.path.abspath(__file__))
CAMERA = os.path.join(HERE, "..", "..", "..", "data", "images", "camera.png")


def hashgrid(shape, salt):
    k = np.arange(int(np.prod(shape)), dtype=np.int64)
    return (((k * 2654435761 + salt * 40503) % 2**32) / 2.0**32).reshape(shape)


CASES = [
    dict(name="noise2d", shape=[32, 40], s1=1, s2=2, a=1.0, b=0.0, c=0.2, R=1.0),
    dict(name="affine2d", shape=[24, 17], s1=3, s2=4, a=0.5, b=0.3, c=0.05, R=2.0),
    dict(name="volume3d", shape=[12, 13, 14], s1=5, s2=6, a=0.9, b=0.05, c=0.1, R=1.0),
    dict(name="camera", shape=[512, 512], image="camera", s1=0, s2=7, a=0.8, b=0.1, c=0.1, R=1.0),
]


def main():
    out = {"skimage_version": skimage.__version__, "cases": []}
    for case in CASES:
        shape = tuple(case["shape"])
        if case.get("image") == "camera":
            from PIL import Image
            ref = np.asarray(Image.open(CAMERA), dtype=np.float64) / 255.0
            assert ref.shape == shape
        else:
            ref = hashgrid(shape, case["s1"])
        x = case["a"] * ref + case["b"] + case["c"] * (hashgrid(shape, case["s2"]) - 0.5)
        R = case["R"]
        result = dict(case)
        result["ssim"] = float(structural_similarity(ref, x, data_range=R, gaussian_weights=True,
                                                     sigma=1.5, use_sample_covariance=False))
        result["psnr"] = float(peak_signal_noise_ratio(ref, x, data_range=R))
        result["nrmse"] = float(normalized_root_mse(ref, x))
        out["cases"].append(result)
    with open(os.path.join(HERE, "ssim_reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
