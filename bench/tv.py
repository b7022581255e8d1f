#!/usr/bin/env python3
"""Issue 3 §4: TV (ROF) denoising, wb against scikit-image's denoise_tv_chambolle, PyProximal TV
and BART rof, on the 512² camera image, σ = 0.1 (wb's seeded generator, seed 0), λ = 0.1.

Every solver's output is scored with the same function, wb's objective
    E(u) = ½‖u − y‖² + λ Σ_pixels √(dy² + dx²),  forward differences, last difference 0 (Neumann),
which is exactly the function scikit-image's Chambolle iteration minimises (its `weight` is λ, see
bench/reference/skimage_tv_camera.py). Rounds alternate wb (one `wb-bench tv` process per thread
count, timed in process) and scikit-image (timed here), A B A B …; the table gives medians.

Usage (from the repository root): bash bench/run.sh --only tv   [--rounds R]
"""
import argparse, json, os, platform, shutil, statistics, subprocess, tempfile, time
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--bin", required=True)
p.add_argument("--rounds", type=int, default=5)
p.add_argument("--quick", action="store_true", help="2 rounds (smoke test)")
p.add_argument("--only", default="tv")
args = p.parse_args()
if args.quick:
    args.rounds = 2

LAMBDA, SIGMA, SEED, N_ITER = 0.1, 0.1, 0, 200
os.makedirs(".build", exist_ok=True)
clean_path, noisy_path = ".build/bench-tv-clean.f64", ".build/bench-tv-noisy.f64"


def wb(mode, **kw):
    cmd = [args.bin, mode] + sum([["--" + k.rstrip("_").replace("_", "-"), str(v)] for k, v in kw.items()], [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1].replace(":inf", ":Infinity"))   # Swift prints inf


info = wb("tv-input", sigma=SIGMA, seed=SEED, clean=clean_path, noisy=noisy_path)
shape = (info["height"], info["width"])
clean = np.fromfile(clean_path).reshape(shape)
noisy = np.fromfile(noisy_path).reshape(shape)


def tv(u):
    gy = np.zeros_like(u); gx = np.zeros_like(u)
    gy[:-1, :] = u[1:, :] - u[:-1, :]
    gx[:, :-1] = u[:, 1:] - u[:, :-1]
    return np.sqrt(gy**2 + gx**2).sum()


def objective(u):
    return 0.5 * ((u - noisy) ** 2).sum() + LAMBDA * tv(u)


def psnr(u):
    return 10 * np.log10(1.0 / np.mean((u - clean) ** 2))


def med(xs): return statistics.median(xs)


import skimage
from skimage.restoration import denoise_tv_chambolle


def skimage_run(n):
    t = time.perf_counter()
    u = denoise_tv_chambolle(noisy, weight=LAMBDA, max_num_iter=n, eps=0.0)
    return time.perf_counter() - t, u


print(f"# TV denoising benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
      f"{os.cpu_count()} cores, numpy {np.__version__}, scikit-image {skimage.__version__}", flush=True)
_, u_sk = skimage_run(N_ITER)          # warm-up; the output is deterministic
target = float(objective(u_sk))
print(f"scikit-image {N_ITER} iterations: objective {target:.6f}, PSNR {psnr(u_sk):.3f} dB", flush=True)

sk_t, wb_runs = [], {1: [], 2: []}
for r in range(args.rounds):
    t, _ = skimage_run(N_ITER)
    sk_t.append(t)
    for threads in (1, 2):
        wb_runs[threads].append(wb("tv", threads=threads, noisy=noisy_path, clean=clean_path, lambda_=LAMBDA,
                                   target=repr(float(target)), budget=t, gap_every=5, reps=3, iterations=100,
                                   generic=1 if r == 0 else 0))
    print(f"round {r + 1}: scikit-image {t:.3f} s, wb to target {wb_runs[1][-1]['seconds_to_target']*1e3:.1f} ms (1 thread) "
          f"{wb_runs[2][-1]['seconds_to_target']*1e3:.1f} ms (2 threads)", flush=True)
T_sk = med(sk_t)


def wbm(threads, key): return med([x[key] for x in wb_runs[threads]])


# scikit-image at equal time to wb: the iterations that fit into wb's (2-thread) time to the target.
per_iter_sk = T_sk / N_ITER
n_eq = max(1, int(wbm(2, "seconds_to_target") / per_iter_sk))
_, u_eq = skimage_run(n_eq)

rows = []
for threads in (1, 2):
    s = wbm(threads, "seconds_to_target")
    rows.append((f"time to scikit-image's {N_ITER}-iteration objective {target:.3f}, wb {threads} thread{'s' if threads > 1 else ''}",
                 f"{s*1e3:.1f} ms ({wb_runs[threads][0]['iterations_to_target']} its, certified gap {wb_runs[threads][0]['gap_at_target']:.2f} "
                 f"every 5 its, PSNR {wb_runs[threads][0]['psnr_at_target']:.3f} dB)",
                 f"scikit-image {T_sk:.2f} s ({N_ITER} its, PSNR {psnr(u_sk):.3f} dB)",
                 f"{s/T_sk:.4f} (wb {T_sk/s:.0f}× faster)"))
for threads in (1, 2):
    rows.append((f"objective in scikit-image's {N_ITER}-iteration time ({T_sk:.2f} s), wb {threads} thread{'s' if threads > 1 else ''}",
                 f"{wbm(threads, 'objective_in_budget'):.4f} ({int(wbm(threads, 'iterations_in_budget'))} its, PSNR {wbm(threads, 'psnr_in_budget'):.3f} dB)",
                 f"scikit-image {target:.4f}", f"{wbm(threads, 'objective_in_budget') - target:+.4f} (difference)"))
rows.append((f"objective in wb's time to target ({wbm(2, 'seconds_to_target')*1e3:.0f} ms, 2 threads)",
             f"{wb_runs[2][0]['objective_at_target']:.4f}",
             f"scikit-image {objective(u_eq):.4f} ({n_eq} its, PSNR {psnr(u_eq):.3f} dB)",
             f"{wb_runs[2][0]['objective_at_target'] - objective(u_eq):+.4f} (difference)"))
f1, f2 = wbm(1, "fused_seconds_per_iteration"), wbm(2, "fused_seconds_per_iteration")
g1, g2 = wbm(1, "fused_gap_seconds_per_iteration"), wbm(2, "fused_gap_seconds_per_iteration")
gen1, gen2 = wb_runs[1][0]["generic_seconds_per_iteration"], wb_runs[2][0]["generic_seconds_per_iteration"]
rows.append(("wb time per iteration, fused ROFPrimalDual (no gap / gap every iteration), 1 → 2 threads",
             f"{f1*1e3:.2f} / {g1*1e3:.2f} ms → {f2*1e3:.2f} / {g2*1e3:.2f} ms",
             f"scikit-image {per_iter_sk*1e3:.1f} ms (1 thread, NumPy)",
             f"2-thread speed-up {f1/f2:.2f}× (no gap), {g1/g2:.2f}× (gap)"))
rows.append(("wb time per iteration, generic PrimalDual (before), 1 → 2 threads",
             f"{gen1*1e3:.2f} → {gen2*1e3:.2f} ms", "", f"fused is {gen1/f1:.1f}× / {gen2/f2:.1f}× faster"))

# PyProximal: TV(dims, sigma=λ, niter=200).prox(y, 1) (Beck–Teboulle FGP on the dual), rtol=0 so
# that it does all 200 iterations.
try:
    import pyproximal
    tvp = pyproximal.TV(dims=shape, sigma=LAMBDA, niter=N_ITER, rtol=0.0)
    tvp.prox(noisy.ravel(), 1.0)
    ts = []
    for _ in range(args.rounds):
        t = time.perf_counter(); u = tvp.prox(noisy.ravel(), 1.0).reshape(shape); ts.append(time.perf_counter() - t)
    e_pp = float(objective(u))
    w = [wb("tv", threads=threads, noisy=noisy_path, clean=clean_path, lambda_=LAMBDA, target=repr(e_pp), budget=0,
            gap_every=5, reps=3, iterations=10, generic=0) for threads in (2,) for _ in range(args.rounds)]
    s = med([x["seconds_to_target"] for x in w])
    rows.append((f"time to PyProximal {pyproximal.__version__}'s objective (TV prox, {N_ITER} its, rtol=0), wb 2 threads",
                 f"{s*1e3:.1f} ms ({w[0]['iterations_to_target']} its, PSNR {w[0]['psnr_at_target']:.3f} dB)",
                 f"PyProximal {med(ts):.2f} s, objective {e_pp:.4f}, PSNR {psnr(u):.3f} dB",
                 f"{s/med(ts):.4f} (wb {med(ts)/s:.0f}× faster)"))
except ImportError as e:
    rows.append(("PyProximal", "", f"not installed ({e})", ""))

# BART rof <λ> <flags> in out: complex float32 .cfl files; the whole command is timed.
bart = shutil.which("bart")
if bart:
    with tempfile.TemporaryDirectory() as d:
        inp, out = os.path.join(d, "in"), os.path.join(d, "out")
        with open(inp + ".hdr", "w") as f:
            f.write(f"# Dimensions\n{shape[1]} {shape[0]} 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n")
        noisy.astype(np.complex64).tofile(inp + ".cfl")   # C order = BART's column-major with dims swapped
        ts = []
        for _ in range(args.rounds):
            t = time.perf_counter(); subprocess.run([bart, "rof", str(LAMBDA), "3", inp, out], check=True, capture_output=True)
            ts.append(time.perf_counter() - t)
        u = np.fromfile(out + ".cfl", dtype=np.complex64).real.astype(np.float64).reshape(shape)
        ver = subprocess.run([bart, "version"], capture_output=True, text=True).stdout.strip()
    rows.append((f"BART {ver} rof λ = {LAMBDA} (its own iteration count; whole command incl. file I/O)", "",
                 f"{med(ts):.2f} s, objective {objective(u):.4f}, PSNR {psnr(u):.3f} dB",
                 f"objective {objective(u) - target:+.4f} vs scikit-image's {N_ITER}-its"))
else:
    rows.append(("BART rof", "", "not installed", ""))

print()
print("| benchmark | wb (median) | peers (median) | ratio / difference |")
print("|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
for f in (clean_path, noisy_path):
    if os.path.exists(f): os.remove(f)
