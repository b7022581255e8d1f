#!/usr/bin/env python3
"""Side-by-side benchmarks of wb against its peers (see docs/benchmarks.md).

Each round runs wb (one `wb-bench` process: warm-up, then best of R repetitions, timed in
process) and each peer (same: warm-up, best of R, in this process) alternately, A B A B …;
the table reports medians over the rounds and the ratios from this one run.
"""
import argparse, json, os, platform, statistics, subprocess, sys, time
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--bin", required=True)
p.add_argument("--rounds", type=int, default=9)
p.add_argument("--quick", action="store_true", help="small sizes, 3 rounds (smoke test)")
p.add_argument("--only", default="blur,hdf5,png")
args = p.parse_args()
if args.quick:
    args.rounds = 3

def wb(mode, **kw):
    cmd = [args.bin, mode] + sum([["--" + k, str(v)] for k, v in kw.items()], [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])

def best(fn, reps=3):
    fn()
    b = float("inf")
    for _ in range(reps):
        t = time.perf_counter(); fn(); b = min(b, time.perf_counter() - t)
    return b

def smooth(n, seed):
    rng = np.random.default_rng(seed)
    i = np.arange(n)[:, None]; j = np.arange(n)[None, :]
    return 0.5 + 0.3 * np.sin(i / 17) * np.cos(j / 23) + 0.05 * rng.standard_normal((n, n))

def med(xs): return statistics.median(xs)
rows = []
print(f"# wb benchmarks — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
      f"{os.cpu_count()} cores, numpy {np.__version__}", flush=True)

if "blur" in args.only:
    import scipy, scipy.fft
    sizes = [256] if args.quick else [512, 2048]
    for n in sizes:
        x = smooth(n, 1)
        fi = np.minimum(np.arange(n), n - np.arange(n))[:, None] / n
        fj = np.arange(n // 2 + 1)[None, :] / n
        h = np.exp(-2 * np.pi**2 * 9 * (fi**2 + fj**2))
        for threads in (1, 2):
            reps = 3 if n >= 2048 else 10
            a, b, c = [], [], []
            for _ in range(args.rounds):
                a.append(wb("blur", size=n, threads=threads, reps=reps)["seconds"])
                b.append(wb("fftw-pair", size=n, threads=threads, reps=reps)["seconds"])
                c.append(best(lambda: scipy.fft.irfft2(scipy.fft.rfft2(x, workers=threads) * h, s=x.shape, workers=threads), reps))
            rows.append((f"Gaussian blur {n}², {threads} thread{'s' if threads > 1 else ''}",
                         f"{med(a)*1e3:.2f} ms", f"bare FFTW r2c+c2r {med(b)*1e3:.2f} ms · scipy.fft {med(c)*1e3:.2f} ms",
                         f"{med(a)/med(b):.2f}× FFTW · {med(a)/med(c):.2f}× scipy"))
            print(rows[-1], flush=True)

if "hdf5" in args.only:
    import h5py
    frames, n = (4, 512) if args.quick else (16, 2048)
    os.makedirs(".build", exist_ok=True)
    raw = ".build/bench-stack.f32"
    rng = np.random.default_rng(3)
    base = smooth(n, 3).astype(np.float32)
    stack = np.stack([base + np.float32(0.02) * rng.standard_normal((n, n), dtype=np.float32) for _ in range(frames)])
    stack.tofile(raw)
    path = ".build/bench-h5py.h5"
    def h5w():
        with h5py.File(path, "w") as f:
            f.create_dataset("stack", data=stack, chunks=(1, n, n), compression="gzip", compression_opts=4, shuffle=True)
    def h5r():
        with h5py.File(path, "r") as f:
            return f["stack"][()]
    aw, ar, bw, br = [], [], [], []
    rounds = max(3, args.rounds - 2) if not args.quick else 3
    for _ in range(rounds):
        r = wb("hdf5", frames=frames, size=n, raw=raw, out=".build/bench-wb.h5", threads=2)
        aw.append(r["write_seconds"]); ar.append(r["read_seconds"])
        bw.append(best(h5w, 1)); br.append(best(h5r, 1))
    mb = stack.nbytes / 1e6
    rows.append((f"HDF5 write {frames}×{n}² float32, gzip 4 + shuffle (wb: 2 threads; h5py: 1, it has no threaded filters)", f"{med(aw):.2f} s ({mb/med(aw):.0f} MB/s)",
                 f"h5py {med(bw):.2f} s ({mb/med(bw):.0f} MB/s)", f"{med(aw)/med(bw):.2f}× h5py"))
    print(rows[-1], flush=True)
    rows.append((f"HDF5 read same stack", f"{med(ar):.2f} s ({mb/med(ar):.0f} MB/s)",
                 f"h5py {med(br):.2f} s ({mb/med(br):.0f} MB/s)", f"{med(ar)/med(br):.2f}× h5py"))
    print(rows[-1], flush=True)
    for f in (raw, path):
        if os.path.exists(f): os.remove(f)

if "png" in args.only:
    from PIL import Image
    sizes = [256] if args.quick else [1024, 2048]
    for n in sizes:
        x = np.clip(smooth(n, 2), 0, 1)
        u16 = np.rint(x * 65535).astype(np.uint16)
        path = ".build/bench-pillow.png"
        def pw(): Image.fromarray(u16).save(path)
        def pr():
            with Image.open(path) as im: return np.asarray(im)
        aw, ar, bw, br = [], [], [], []
        for _ in range(args.rounds):
            r = wb("png", size=n, reps=3, out=".build/bench-wb.png", threads=1)
            aw.append(r["write_seconds"]); ar.append(r["read_seconds"])
            bw.append(best(pw)); br.append(best(pr))
        rows.append((f"PNG 16-bit write {n}²", f"{med(aw)*1e3:.1f} ms", f"Pillow {med(bw)*1e3:.1f} ms", f"{med(aw)/med(bw):.2f}× Pillow"))
        print(rows[-1], flush=True)
        rows.append((f"PNG 16-bit read {n}²", f"{med(ar)*1e3:.1f} ms", f"Pillow {med(br)*1e3:.1f} ms", f"{med(ar)/med(br):.2f}× Pillow"))
        print(rows[-1], flush=True)
        if os.path.exists(path): os.remove(path)

print()
print("| benchmark | wb (median) | peers (median) | ratio (wb / peer; < 1 = wb faster) |")
print("|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
