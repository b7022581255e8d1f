#!/usr/bin/env python3
"""Issue 5 speed: one iteration of blind gain calibration (Algorithm 1 of
shared/specs/blind-calibration.md: gradients, exact block line search, projection onto
1ᵀγ = m with the box ‖γ − 1‖∞ ≤ 0.99) in NumPy against wb's `wb-bench calibration-iteration`,
n = m = 256, p = 16, dense Gaussian A_l stacked as one (p·m)×n matrix (the same layout and the
same BLAS calls as wb: A @ g and Aᵀ @ w per iteration, A ξ updated by linearity and refreshed
every 20 iterations). Rounds alternate wb and NumPy (A B A B …) at 1 and 2 threads
(wb --threads T; NumPy in a fresh process with OPENBLAS_NUM_THREADS=T); the table gives medians of
the per-round seconds per iteration, each round = median over 5 timed runs of (t(K) − t(0))/K.

Before timing, the NumPy iteration is checked to be the algorithm: it must recover a seeded
n = m = 64, p = 8 problem to ≤ 1e-6.

Usage (from the repository root): bash bench/run.sh --only calibration   [--rounds R]
"""
import argparse, json, os, platform, statistics, subprocess, sys, time
import numpy as np


def project(v, bound=0.99):
    """P_G: γ_i = clip(v_i − τ, 1 − ρ', 1 + ρ') with Σ γ = m (bisection when the box is active)."""
    m = v.size
    tau = v.mean() - 1
    lo, hi = 1 - bound, 1 + bound
    if np.all((v - tau >= lo) & (v - tau <= hi)):
        return v - tau
    a, b = v.min() - hi, v.max() - lo
    for _ in range(200):
        mid = 0.5 * (a + b)
        if np.clip(v - mid, lo, hi).sum() > m: a = mid
        else: b = mid
    return np.clip(v - 0.5 * (a + b), lo, hi)


def solve(A, y, p, m, iterations, tol=0.0, refresh=20):
    """The wb iteration in NumPy. A: (p·m)×n, y: (p, m). Returns ξ, γ, iterations done."""
    pm = p * m
    xi = (A.T @ y.ravel()) / pm
    gamma = np.ones(m)
    ax = (A @ xi).reshape(p, m)
    r = gamma * ax - y
    it = 0
    while it < iterations:
        w = gamma * r
        gg = (ax * r).sum(axis=0) / pm
        gx = (A.T @ w.ravel()) / pm
        gg -= gg.mean()
        ag = (A @ gx).reshape(p, m)
        ngx, ngg = gx @ gx, gg @ gg
        dx = ((gamma * ag) ** 2).sum()
        dg = ((gg * ax) ** 2).sum()
        mux = pm * ngx / dx if dx > 0 else 0.0
        mug = pm * ngg / dg if dg > 0 else 0.0
        xi = xi - mux * gx
        old = gamma
        gamma = gamma - mug * gg
        if (it + 1) % refresh == 0:
            ax = (A @ xi).reshape(p, m)
            gamma = gamma - gamma.mean() + 1
        else:
            ax -= mux * ag
        gamma = project(gamma)
        r = gamma * ax - y
        it += 1
        change = max(mux * np.sqrt(ngx) / np.linalg.norm(xi), np.linalg.norm(gamma - old) / np.linalg.norm(gamma))
        if change < tol:
            break
    return xi, gamma, it


def problem(n, m, p, seed, rho=0.5):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    u = rng.uniform(-1, 1, m); u -= u.mean(); d = 1 + rho * u / np.abs(u).max()
    A = rng.standard_normal((p * m, n))
    y = d * (A @ x).reshape(p, m)
    return A, y, x, d


def peer(n, m, p, k, reps):
    """Seconds per iteration of the NumPy iteration (this process's OPENBLAS_NUM_THREADS)."""
    A, y, _, _ = problem(n, m, p, 1)
    solve(A, y, p, m, k)                          # warm-up
    per = []
    for _ in range(reps):
        t = time.perf_counter(); solve(A, y, p, m, 0); t0 = time.perf_counter() - t
        t = time.perf_counter(); solve(A, y, p, m, k); tk = time.perf_counter() - t
        per.append((tk - t0) / k)
    return statistics.median(per)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/wb-bench")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="calibration")
    ap.add_argument("--peer", action="store_true", help="internal: time the NumPy iteration once")
    ap.add_argument("--n", type=int, default=256); ap.add_argument("--m", type=int, default=256)
    ap.add_argument("--p", type=int, default=16); ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    if args.peer:
        print(json.dumps({"seconds_per_iteration": peer(args.n, args.m, args.p, args.iterations, args.reps)}))
        sys.exit(0)
    if args.quick:
        args.rounds = 2
    # Correctness of the peer: it must be the algorithm, i.e. recover a seeded problem.
    A, y, x, d = problem(64, 64, 8, 3)
    xi, gamma, it = solve(A, y, 8, 64, 5000, tol=1e-12)
    alpha = d.sum() / 64
    err = max(np.linalg.norm(xi - alpha * x) / np.linalg.norm(alpha * x), np.linalg.norm(gamma - d / alpha) / np.linalg.norm(d / alpha))
    assert err <= 1e-6, f"NumPy peer does not recover the check problem (error {err})"
    print(f"# Calibration iteration benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
          f"{os.cpu_count()} cores, numpy {np.__version__}; n = {args.n}, m = {args.m}, p = {args.p}; "
          f"NumPy peer check: n = m = 64, p = 8 recovered to {err:.1e} in {it} iterations", flush=True)
    runs = {(who, t): [] for who in ("wb", "numpy") for t in (1, 2)}
    for r in range(args.rounds):
        for t in (1, 2):
            out = subprocess.run([args.bin, "calibration-iteration", "--n", str(args.n), "--m", str(args.m), "--p", str(args.p),
                                  "--iterations", str(args.iterations), "--reps", str(args.reps), "--threads", str(t)],
                                 check=True, capture_output=True, text=True).stdout
            runs[("wb", t)].append(json.loads(out.strip().splitlines()[-1])["seconds_per_iteration"])
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t), MKL_NUM_THREADS=str(t))
            out = subprocess.run([sys.executable, __file__, "--peer", "--n", str(args.n), "--m", str(args.m), "--p", str(args.p),
                                  "--iterations", str(args.iterations), "--reps", str(args.reps)],
                                 check=True, capture_output=True, text=True, env=env).stdout
            runs[("numpy", t)].append(json.loads(out.strip().splitlines()[-1])["seconds_per_iteration"])
        print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{w} {t}T {runs[(w, t)][-1] * 1e3:.3f} ms" for (w, t) in runs), flush=True)
    print("\n| threads | wb ms/iteration | NumPy ms/iteration | NumPy / wb |")
    print("|---:|---:|---:|---:|")
    for t in (1, 2):
        w, p_ = statistics.median(runs[("wb", t)]), statistics.median(runs[("numpy", t)])
        lo_w, hi_w = min(runs[("wb", t)]), max(runs[("wb", t)])
        lo_p, hi_p = min(runs[("numpy", t)]), max(runs[("numpy", t)])
        print(f"| {t} | {w * 1e3:.3f} ({lo_w * 1e3:.3f}–{hi_w * 1e3:.3f}) | {p_ * 1e3:.3f} ({lo_p * 1e3:.3f}–{hi_p * 1e3:.3f}) | {p_ / w:.2f}× |")
