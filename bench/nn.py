#!/usr/bin/env python3
"""Issue 6: NN training throughput, wb's NN kit against PyTorch on the CPU (float32 on both sides).

Models (nn-kit.md "Acceptance"), one optimiser step = forward + loss + all backward passes + Adam:
  (a) lpn   1-D LPN ICNN (learned-proximal-networks.md §1.2a: d = 1, width 32, 3 layers, softplus
            β = 10), batch 500, loss ‖∇ₓψ(y) − x‖²/B (double backprop: torch.autograd.grad with
            create_graph=True; wb: forward, input gradient, tangent, tangentBackward), clamp ≥ 0.
  (b) mlp   Fourier features (3-D points, learned ω_c, ω_s = 2⁰…2⁴ → 33 features) + 7 hidden layers
            of width 64 with LeakyReLU(0.01) + linear output, BCE with logits, batch 16 384.
  (c) conv  Conv3×3 1→16, LeakyReLU, Conv3×3 16→16, LeakyReLU, Conv3×3 16→1 ("same", zero padding,
            bias), MSE, batch 16 of 32×32.
Rounds alternate wb (one `wb-bench nn` process, timed in process: best of R runs of S steps after a
warm-up) and PyTorch (same, in this process), at 1 and 2 threads; medians and ratios are printed.
Also: OpenBLAS sgemm rate for the dominant GEMM shapes and the rate wb's Dense/Conv2D reach on them.

Usage (from the repository root): bash bench/run.sh --only nn   [--rounds R] [--quick]
"""
import argparse, json, os, platform, statistics, subprocess, time

p = argparse.ArgumentParser()
p.add_argument("--bin", required=True)
p.add_argument("--rounds", type=int, default=5)
p.add_argument("--quick", action="store_true", help="2 rounds, fewer steps (smoke test)")
p.add_argument("--only", default="nn")
p.add_argument("--models", default="lpn,mlp,conv")
p.add_argument("--steps", default="", help="override steps per timed run, e.g. lpn=10,mlp=1,conv=4")
p.add_argument("--reps", type=int, default=3, help="timed runs per measurement (best is kept)")
args = p.parse_args()
if args.quick:
    args.rounds = 2

import numpy as np
import torch
import torch.nn as nn

STEPS = {"lpn": 50, "mlp": 5, "conv": 20}
if args.quick:
    STEPS = {k: max(2, v // 5) for k, v in STEPS.items()}
for kv in filter(None, args.steps.split(",")):
    k, v = kv.split("=")
    STEPS[k] = int(v)
REPS = args.reps


class LPN(nn.Module):
    """exps/laplacian/network.py: z1 = s(A0 x); z_{k+1} = s(W_k z_k + U_k x + c_k); ψ = wᵀz + uᵀx + c0."""

    def __init__(self, d=1, hidden=32, layers=3, beta=10.0):
        super().__init__()
        self.A0 = nn.Linear(d, hidden, bias=False)
        self.W = nn.ModuleList([nn.Linear(hidden, hidden, bias=False) for _ in range(layers)])
        self.U = nn.ModuleList([nn.Linear(d, hidden) for _ in range(layers)])
        self.w = nn.Linear(hidden, 1, bias=False)
        self.u = nn.Linear(d, 1)
        self.act = nn.Softplus(beta=beta)
        with torch.no_grad():
            for m in list(self.W) + [self.w]:
                m.weight.copy_(torch.exp(torch.randn_like(m.weight) * 0.1 - 10))

    def psi(self, x):
        z = self.act(self.A0(x))
        for W, U in zip(self.W, self.U):
            z = self.act(W(z) + U(x))
        return self.w(z) + self.u(x)

    def clamp(self):
        with torch.no_grad():
            for m in list(self.W) + [self.w]:
                m.weight.clamp_(0)


class Fourier(nn.Module):
    def __init__(self, d=3, freqs=(1, 2, 4, 8, 16)):
        super().__init__()
        self.wc = nn.Parameter(torch.tensor(freqs, dtype=torch.float32))
        self.ws = nn.Parameter(torch.tensor(freqs, dtype=torch.float32))

    def forward(self, x):
        B = x.shape[0]
        c = torch.cos(x[:, :, None] * self.wc).reshape(B, -1)
        s = torch.sin(x[:, :, None] * self.ws).reshape(B, -1)
        return torch.cat([x, c, s], dim=1)


def make(model, seed=0):
    torch.manual_seed(seed)
    g = np.random.default_rng(seed)
    if model == "lpn":
        net = LPN()
        x = torch.tensor(g.laplace(0, 1, (500, 1)), dtype=torch.float32)
        y = x + torch.tensor(g.standard_normal((500, 1)), dtype=torch.float32)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)

        def step():
            yy = y.clone().requires_grad_(True)
            psi = net.psi(yy)
            f, = torch.autograd.grad(psi.sum(), yy, create_graph=True)
            loss = ((f - x) ** 2).sum() / 500
            opt.zero_grad(set_to_none=False)
            loss.backward()
            opt.step()
            net.clamp()
            return loss
    elif model == "mlp":
        layers = [Fourier(), nn.Linear(33, 64), nn.LeakyReLU(0.01)]
        for _ in range(6):
            layers += [nn.Linear(64, 64), nn.LeakyReLU(0.01)]
        layers += [nn.Linear(64, 1)]
        net = nn.Sequential(*layers)
        x = torch.tensor(g.uniform(-1, 1, (16384, 3)), dtype=torch.float32)
        t = (x.norm(dim=1, keepdim=True) > 0.7).float()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        lossf = nn.BCEWithLogitsLoss()

        def step():
            loss = lossf(net(x), t)
            opt.zero_grad(set_to_none=False)
            loss.backward()
            opt.step()
            return loss
    else:
        net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.LeakyReLU(0.01),
                            nn.Conv2d(16, 16, 3, padding=1), nn.LeakyReLU(0.01),
                            nn.Conv2d(16, 1, 3, padding=1))
        x = torch.tensor(g.standard_normal((16, 1, 32, 32)), dtype=torch.float32)
        t = torch.tensor(g.standard_normal((16, 1, 32, 32)), dtype=torch.float32)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        lossf = nn.MSELoss()

        def step():
            loss = lossf(net(x), t)
            opt.zero_grad(set_to_none=False)
            loss.backward()
            opt.step()
            return loss
    return step


def torch_rate(model, threads):
    torch.set_num_threads(threads)
    step = make(model)
    n = STEPS[model]
    step()
    best = float("inf")
    for _ in range(REPS):
        t = time.perf_counter()
        for _ in range(n):
            step()
        best = min(best, time.perf_counter() - t)
    return n / best


def wb(mode, **kw):
    cmd = [args.bin, mode] + sum([["--" + k, str(v)] for k, v in kw.items()], [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def med(xs): return statistics.median(xs)


NAMES = {"lpn": "(a) 1-D LPN ICNN, width 32, 3 layers, batch 500, double backprop",
         "mlp": "(b) Fourier features + MLP 7×64 LeakyReLU, batch 16 384, BCE",
         "conv": "(c) conv net 1→16→16→1, 3×3, batch 16 × 32×32, MSE"}

print(f"# NN training, wb vs PyTorch {torch.__version__} (float32 both) — "
      f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, {os.cpu_count()} cores, "
      f"{args.rounds} rounds, best of {REPS} × steps {STEPS}", flush=True)
rows = []
for model in args.models.split(","):
    for threads in (1, 2):
        a, b = [], []
        for _ in range(args.rounds):
            a.append(wb("nn", model=model, threads=threads, steps=STEPS[model], reps=REPS)["steps_per_second"])
            b.append(torch_rate(model, threads))
        # Median over rounds, and best round (interference only slows a run down, so the best
        # rounds are the least disturbed measurement of each side).
        rows.append((f"{NAMES[model]}, {threads} thread{'s' if threads > 1 else ''}",
                     f"{med(a):.3g} steps/s (best {max(a):.3g})", f"PyTorch {med(b):.3g} steps/s (best {max(b):.3g})",
                     f"{med(a) / med(b):.2f}× (best/best {max(a) / max(b):.2f}×)"))
        print(rows[-1], flush=True)

gemm_rows = []
for threads in (1, 2):
    r = wb("nn-gemm", threads=threads, reps=max(REPS, 3))
    for case in r["cases"]:
        gemm_rows.append((f"{case['name']}, {threads} thread{'s' if threads > 1 else ''}",
                          f"{case['layer_gflops']:.2f} GFLOP/s", f"sgemm {case['gemm_gflops']:.2f} GFLOP/s",
                          f"{case['layer_gflops'] / case['gemm_gflops'] * 100:.0f} %"))
        print(gemm_rows[-1], flush=True)

print()
print("| training steps per second | wb median (best round) | PyTorch median (best round) | ratio of medians (of bests); > 1 = wb faster |")
print("|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("| GEMM-bound layer pass | wb layer | OpenBLAS sgemm, same shapes | fraction of GEMM rate |")
print("|---|---|---|---|")
for r in gemm_rows:
    print("| " + " | ".join(r) + " |")
