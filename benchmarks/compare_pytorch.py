#!/usr/bin/python3
"""PyTorch's side of zengen's benchmarks, printed as JSON.

Runs in Debian's PyTorch (python3-torch 1.13, CPU, oneDNN) the same work as
the bench_* programs, named as they name it, so that benchmarks/report.py can
put each figure beside ours:

  train_step   one DCGAN step at 64x64x3 (ngf = ndf = 64) and 32x32x3
               (ngf = ndf = 32), batch 64; one MLP-VAE step (784-400-20,
               batch 128, Bernoulli) and one conv-VAE step (1x28x28, base 32,
               latent 16, batch 128), all with Adam: the networks of
               src/models/dcgan.cpp and src/models/vae_builders.cpp layer by
               layer (bias-free convolutions and BatchNorm in DCGAN, the GAN
               step of models/gan.hpp, the VAE loss of models/vae.hpp)
  conv         the DCGAN layers at batch 64 (64x64: 3->64, 64->128, 128->256,
               256->512, kernel 4, stride 2, padding 1; 32x32 with width 32),
               the generators' transposed convolutions (100->512 from 1x1 to
               4x4, 512->256, 256->128, 128->64, 64->3; 32x32: 100->128,
               128->64, 64->32, 32->3), and 64->128 / 128->64 at batch 1 and
               256: forward, backward-data and backward-weight each alone
               (aten::convolution_backward, what autograd calls), in GFLOP/s
               of 2 N Cout Cin kh kw Ho Wo per direction (the transposed
               layers count the conv2d they are the adjoint of)
  matmul       sgemm n x n x n (torch.mm; the system BLAS), GFLOP/s
  leaky_relu   forward and backward on 16M float32, GB/s of bytes touched
  batch_norm   BatchNorm2d training forward and backward on DCGAN's
               activation shapes, GB/s
  losses       forward (mean) and backward on 16M elements, GB/s
  optim        Adam's (and SGD with momentum's) step on one 16M parameter
  copy         a plain copy of 16M float32 (dst.copy_(src)), GB/s

Times are medians of the timed calls (wall clock), after two warm-up calls.
This supersedes compare_pytorch_conv.py (its layers are among these).

  /usr/bin/python3 benchmarks/compare_pytorch.py > pytorch.json
  /usr/bin/python3 benchmarks/compare_pytorch.py --quick --filter 'train_step|conv2d'

Run it right after the bench_* programs, in the same environment (the same
OMP_WAIT_POLICY; OPENBLAS_CORETYPE as it is, reported in the context).
"""
import argparse
import json
import os
import re
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # bench.sh checks for this and notes the skip
    sys.stderr.write("compare_pytorch.py: torch is not installed (apt-get install python3-torch)\n")
    sys.exit(3)

ELEMENTS = 1 << 24
FLOAT_BYTES = 4


# ---- timing ---------------------------------------------------------------

def measure(fn, min_time, min_calls=3, max_calls=None):
    """Median wall time of fn() in seconds, and the number of timed calls."""
    for _ in range(2):
        fn()
    walls = []
    start = time.perf_counter()
    while len(walls) < min_calls or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        if max_calls and len(walls) >= max_calls:
            break
    return statistics.median(walls), len(walls)


class Results:
    def __init__(self, args):
        self.args = args
        self.rows = []
        self.pattern = re.compile(args.filter) if args.filter else None

    def wanted(self, program, name):
        return self.pattern is None or self.pattern.search(f"{program}:{name}")

    def add(self, program, name, fn, flops=None, bytes_=None, min_time=None, max_calls=None, min_calls=3):
        if not self.wanted(program, name):
            return
        seconds, calls = measure(fn, self.args.min_time if min_time is None else min_time,
                                 min_calls=min_calls, max_calls=max_calls)
        counters = {}
        if flops is not None:
            counters["GFLOP/s"] = flops / seconds / 1e9
        if bytes_ is not None:
            counters["GB/s"] = bytes_ / seconds / 1e9
        row = {"program": program, "name": name, "median_ms": seconds * 1e3, "calls": calls, "counters": counters}
        self.rows.append(row)
        shown = " ".join(f"{k} {v:.1f}" for k, v in counters.items())
        sys.stderr.write(f"  {program}:{name:<58} {seconds * 1e3:10.3f} ms  {shown}\n")


# ---- end-to-end steps -------------------------------------------------------

def dcgan_init(module):
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def dcgan_generator(nz, ngf, size, channels):
    """src/models/dcgan.cpp's DCGANGenerator (sizes 32 and 64)."""
    mult = [8, 4, 2, 1] if size == 64 else [4, 2, 1]
    layers = [nn.ConvTranspose2d(nz, mult[0] * ngf, 4, 1, 0, bias=False), nn.BatchNorm2d(mult[0] * ngf), nn.ReLU()]
    for i in range(1, len(mult)):
        layers += [nn.ConvTranspose2d(mult[i - 1] * ngf, mult[i] * ngf, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(mult[i] * ngf), nn.ReLU()]
    layers += [nn.ConvTranspose2d(ngf, channels, 4, 2, 1, bias=False), nn.Tanh()]
    g = nn.Sequential(*layers)
    dcgan_init(g)
    return g


def dcgan_discriminator(ndf, size, channels):
    """src/models/dcgan.cpp's DCGANDiscriminator (sizes 32 and 64); logits [N]."""
    widths = [1, 2, 4, 8] if size == 64 else [1, 2, 4]
    layers = [nn.Conv2d(channels, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
    for i in range(1, len(widths)):
        layers += [nn.Conv2d(widths[i - 1] * ndf, widths[i] * ndf, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(widths[i] * ndf), nn.LeakyReLU(0.2)]
    layers += [nn.Conv2d(widths[-1] * ndf, 1, 4, 1, 0, bias=False), nn.Flatten(0)]
    d = nn.Sequential(*layers)
    dcgan_init(d)
    return d


def dcgan_step_fn(size, width, batch=64, nz=100):
    """models::GAN<>::train_step with NonSaturatingLoss and GANOptions' defaults."""
    g = dcgan_generator(nz, width, size, 3)
    d = dcgan_discriminator(width, size, 3)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, 3, size, size) * 2 - 1
    ones, zeros = torch.ones(batch), torch.zeros(batch)

    def step():
        with torch.no_grad():
            fake = g(torch.randn(batch, nz, 1, 1))
        opt_d.zero_grad()
        real_out, fake_out = d(real), d(fake)
        d_loss = (F.binary_cross_entropy_with_logits(real_out, ones) +
                  F.binary_cross_entropy_with_logits(fake_out, zeros))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        g_loss = F.binary_cross_entropy_with_logits(d(g(torch.randn(batch, nz, 1, 1))), ones)
        g_loss.backward()
        opt_g.step()
        d.zero_grad()
        return d_loss.item(), g_loss.item(), torch.sigmoid(real_out).mean().item(), torch.sigmoid(fake_out).mean().item()

    return step


class MLPEncoder(nn.Module):
    def __init__(self, inputs=784, hidden=400, latent=20):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(inputs, hidden), nn.ReLU())
        self.mu, self.logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), self.logvar(h)


class ConvEncoder(nn.Module):
    def __init__(self, channels=1, size=28, latent=16, base=32):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, base, 4, 2, 1), nn.ReLU(),
                                  nn.Conv2d(base, 2 * base, 4, 2, 1), nn.ReLU(), nn.Flatten())
        features = 2 * base * (size // 4) ** 2
        self.mu, self.logvar = nn.Linear(features, latent), nn.Linear(features, latent)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), self.logvar(h)


def mlp_decoder(inputs=784, hidden=400, latent=20):
    return nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, inputs), nn.Unflatten(1, (1, 28, 28)))


def conv_decoder(channels=1, size=28, latent=16, base=32):
    return nn.Sequential(nn.Linear(latent, 2 * base * (size // 4) ** 2), nn.ReLU(),
                         nn.Unflatten(1, (2 * base, size // 4, size // 4)),
                         nn.ConvTranspose2d(2 * base, base, 4, 2, 1), nn.ReLU(),
                         nn.ConvTranspose2d(base, channels, 4, 2, 1))


def vae_step_fn(encoder, decoder, batch=128):
    """models::VAE<>::train_step with BernoulliLikelihood and beta 1."""
    opt = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-3)
    x = torch.rand(batch, 1, 28, 28)

    def step():
        opt.zero_grad()
        mu, logvar = encoder(x)
        z = mu + torch.exp(logvar * 0.5) * torch.randn_like(mu)
        logits = decoder(z)
        nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none").reshape(batch, -1).sum(1)
        kl = -0.5 * (1 + logvar - mu.square() - logvar.exp()).sum(1)
        loss = (nll + kl).mean()
        loss.backward()
        opt.step()
        with torch.no_grad():
            return loss.item(), nll.mean().item(), kl.mean().item()

    return step


def run_train_steps(r, quick, count=0):
    """Times `count` steps of each model (0: bench_train_step's defaults; 3 in quick mode)."""
    steps = {"dcgan64": 10, "dcgan32": 40, "mlp_vae": 200, "conv_vae": 40}
    if count or quick:
        steps = {name: count or 3 for name in steps}
    makers = {
        "dcgan64": lambda: dcgan_step_fn(64, 64),
        "dcgan32": lambda: dcgan_step_fn(32, 32),
        "mlp_vae": lambda: vae_step_fn(MLPEncoder(), mlp_decoder()),
        "conv_vae": lambda: vae_step_fn(ConvEncoder(), conv_decoder()),
    }
    for name, make in makers.items():
        full = f"train_step/{name}"
        if not r.wanted("bench_train_step", full):
            continue
        torch.manual_seed(5)
        r.add("bench_train_step", full, make(), min_time=0.0, min_calls=steps[name], max_calls=steps[name])


# ---- layers -----------------------------------------------------------------

def conv_layers(quick):
    """(n, cin, cout, hw, kernel, stride, padding) of the DCGAN discriminators' convolutions."""
    layers = [(64, 3, 64, 64), (64, 64, 128, 32), (64, 128, 256, 16), (64, 256, 512, 8),
              (64, 3, 32, 32), (64, 32, 64, 16), (64, 64, 128, 8),
              (1, 64, 128, 32), (256, 64, 128, 32)]
    if quick:
        layers = [layers[1]]
    return [(n, cin, cout, hw, 4, 2, 1) for n, cin, cout, hw in layers]


def conv_transpose_layers(quick):
    """(n, cin, cout, hw, kernel, stride, padding) of the DCGAN generators' transposed convolutions."""
    layers = [(64, 100, 512, 1, 4, 1, 0), (64, 512, 256, 4), (64, 256, 128, 8), (64, 128, 64, 16), (64, 64, 3, 32),
              (64, 100, 128, 1, 4, 1, 0), (64, 128, 64, 4), (64, 64, 32, 8), (64, 32, 3, 16),
              (1, 128, 64, 16), (256, 128, 64, 16)]
    if quick:
        layers = [layers[3]]
    return [l if len(l) == 7 else l + (4, 2, 1) for l in layers]


def layer_name(op, direction, n, cin, cout, hw):
    return f"{op}_{direction}/n:{n}/cin:{cin}/cout:{cout}/hw:{hw}"


def run_convs(r, quick):
    aten_backward = torch.ops.aten.convolution_backward
    for transposed, program, layers in ((False, "bench_conv2d", conv_layers(quick)),
                                        (True, "bench_conv_transpose2d", conv_transpose_layers(quick))):
        op = "conv_transpose2d" if transposed else "conv2d"
        for n, cin, cout, hw, k, s, p in layers:
            x = torch.randn(n, cin, hw, hw)
            if transposed:
                w = torch.randn(cin, cout, k, k) * 0.05
                out = (hw - 1) * s - 2 * p + k
                y = torch.randn(n, cout, out, out)
                flops = 2.0 * n * cin * cout * k * k * hw * hw
                forward = lambda x=x, w=w, s=s, p=p: F.conv_transpose2d(x, w, None, s, p)
            else:
                w = torch.randn(cout, cin, k, k) * 0.05
                out = (hw + 2 * p - k) // s + 1
                y = torch.randn(n, cout, out, out)
                flops = 2.0 * n * cin * cout * k * k * out * out
                forward = lambda x=x, w=w, s=s, p=p: F.conv2d(x, w, None, s, p)

            def backward(mask, x=x, w=w, y=y, s=s, p=p, transposed=transposed):
                return aten_backward(y, x, w, None, [s, s], [p, p], [1, 1], transposed, [0, 0], 1, mask)

            with torch.no_grad():
                r.add(program, layer_name(op, "forward", n, cin, cout, hw), forward, flops=flops)
                r.add(program, layer_name(op, "backward_data", n, cin, cout, hw),
                      lambda b=backward: b([True, False, False]), flops=flops)
                r.add(program, layer_name(op, "backward_weight", n, cin, cout, hw),
                      lambda b=backward: b([False, True, False]), flops=flops)


def run_matmul(r, quick):
    for n in ([2048] if quick else [256, 1024, 2048]):
        a, b = torch.randn(n, n), torch.randn(n, n)
        c = torch.empty(n, n)
        r.add("bench_matmul", f"sgemm/{n}", lambda a=a, b=b, c=c: torch.mm(a, b, out=c), flops=2.0 * n ** 3)


def run_memory_bound(r, quick):
    src, dst = torch.randn(ELEMENTS), torch.empty(ELEMENTS)
    r.add("copy", "copy", lambda: dst.copy_(src), bytes_=2 * FLOAT_BYTES * ELEMENTS)

    x, g = torch.randn(ELEMENTS), torch.randn(ELEMENTS)
    with torch.no_grad():
        r.add("bench_leaky_relu", "BM_leaky_relu_forward_op", lambda: F.leaky_relu(x, 0.2),
              bytes_=2 * FLOAT_BYTES * ELEMENTS)
        r.add("bench_leaky_relu", "BM_leaky_relu_backward_op",
              lambda: torch.ops.aten.leaky_relu_backward(g, x, 0.2, False), bytes_=3 * FLOAT_BYTES * ELEMENTS)

    # Losses: the same inputs and byte counts as benchmarks/losses.cpp.
    classes = 1024
    rows = ELEMENTS // classes
    probs = torch.rand(ELEMENTS) * 0.98 + 0.01
    target = torch.rand(ELEMENTS)
    labels = torch.randint(0, classes, (rows,))

    def gaussian_kl(mu, logvar):  # mean over elements of 0.5 (mu^2 + exp(logvar) - 1 - logvar)
        return (0.5 * (mu.square() + logvar.exp() - 1 - logvar)).mean()

    losses = {
        "mse_loss": (lambda a, b: F.mse_loss(a, b), lambda: (torch.randn(ELEMENTS), torch.randn(ELEMENTS)), 2, 3),
        "l1_loss": (lambda a, b: F.l1_loss(a, b), lambda: (torch.randn(ELEMENTS), torch.randn(ELEMENTS)), 2, 3),
        "binary_cross_entropy": (lambda a, b: F.binary_cross_entropy(a, b), lambda: (probs.clone(), target), 2, 3),
        "binary_cross_entropy_with_logits": (lambda a, b: F.binary_cross_entropy_with_logits(a, b),
                                             lambda: (torch.randn(ELEMENTS), target), 2, 3),
        "gaussian_kl": (gaussian_kl, lambda: (torch.randn(rows, classes), torch.randn(rows, classes)), 2, 4),
        "cross_entropy": (lambda a, b: F.cross_entropy(a, b), lambda: (torch.randn(rows, classes), labels), 1, 2),
    }
    for name, (fn, make, forward_streams, backward_streams) in losses.items():
        if quick and name not in ("mse_loss", "binary_cross_entropy_with_logits"):
            continue
        a, b = make()
        with torch.no_grad():
            r.add("bench_losses", f"BM_forward/{name}", lambda fn=fn, a=a, b=b: fn(a, b),
                  bytes_=forward_streams * FLOAT_BYTES * ELEMENTS)
        a = a.detach().requires_grad_()
        wrt = [a]
        if name == "gaussian_kl":
            b = b.detach().requires_grad_()
            wrt.append(b)
        if not r.wanted("bench_losses", f"BM_backward/{name}"):
            continue
        out = fn(a, b)
        r.add("bench_losses", f"BM_backward/{name}",
              lambda out=out, wrt=wrt: torch.autograd.grad(out, wrt, retain_graph=True),
              bytes_=backward_streams * FLOAT_BYTES * ELEMENTS)

    # Optimizer steps on one 16M parameter, as benchmarks/optim.cpp counts them.
    def optimizer_step(make, streams, name):
        if not r.wanted("bench_optim", name):
            return
        w = torch.randn(ELEMENTS, requires_grad=True)
        w.grad = torch.randn(ELEMENTS) * 1e-3
        opt = make([w])
        opt.step()
        r.add("bench_optim", name, opt.step, bytes_=streams * FLOAT_BYTES * ELEMENTS)

    optimizer_step(lambda p: torch.optim.Adam(p, lr=1e-4), 7, "BM_adam_step")
    if not quick:
        optimizer_step(lambda p: torch.optim.AdamW(p, lr=1e-4), 7, "BM_adamw_step")
        optimizer_step(lambda p: torch.optim.SGD(p, lr=1e-4, momentum=0.9), 5, "BM_sgd_momentum_step")


def batch_norm_shapes(quick):
    shapes = [(64, 512, 4), (64, 256, 8), (64, 128, 16), (64, 64, 32), (64, 128, 4), (64, 64, 8), (64, 32, 16),
              (1, 128, 16), (256, 128, 16)]
    return [(64, 128, 16)] if quick else shapes


def run_batch_norm(r, quick):
    for n, c, hw in batch_norm_shapes(quick):
        suffix = f"n:{n}/c:{c}/hw:{hw}"
        bn = nn.BatchNorm2d(c).train()
        x = torch.randn(n, c, hw, hw, requires_grad=True)
        elements = n * c * hw * hw
        r.add("bench_batch_norm", f"BM_batch_norm_forward/{suffix}", lambda bn=bn, x=x: bn(x),
              bytes_=2 * FLOAT_BYTES * elements)
        if r.wanted("bench_batch_norm", f"BM_batch_norm_backward/{suffix}"):
            y = bn(x)
            g = torch.randn_like(y)
            wrt = [x, bn.weight, bn.bias]
            r.add("bench_batch_norm", f"BM_batch_norm_backward/{suffix}",
                  lambda y=y, g=g, wrt=wrt: torch.autograd.grad(y, wrt, g, retain_graph=True),
                  bytes_=3 * FLOAT_BYTES * elements)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds per layer figure (default 1.0)")
    parser.add_argument("--quick", action="store_true", help="one shape per family, fewer steps, 0.2 s per figure")
    parser.add_argument("--filter", default="", help="regex on 'program:name' (e.g. 'train_step|conv2d_forward')")
    parser.add_argument("--steps", type=int, default=0,
                        help="timed training steps per model (default: as bench_train_step; 3 with --quick)")
    parser.add_argument("--no-mkldnn", action="store_true", help="disable oneDNN convolutions")
    args = parser.parse_args()
    if args.quick and args.min_time == parser.get_default("min_time"):
        args.min_time = 0.2

    torch.set_num_threads(args.threads)
    torch.backends.mkldnn.enabled = not args.no_mkldnn
    torch.manual_seed(0)
    context = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.enabled,
        "cpu_capability": torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else None,
        "environment": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OMP_PROC_BIND",
                                                          "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS",
                                                          "MKL_NUM_THREADS")},
        "quick": args.quick,
        "min_time": args.min_time,
        "filter": args.filter,
        "steps": args.steps,
    }
    sys.stderr.write(f"compare_pytorch.py: torch {context['torch']}, {context['threads']} threads, "
                     f"oneDNN {'on' if context['mkldnn'] else 'off'}\n")
    r = Results(args)
    run_train_steps(r, args.quick, args.steps)
    run_convs(r, args.quick)
    run_matmul(r, args.quick)
    run_memory_bound(r, args.quick)
    run_batch_norm(r, args.quick)
    json.dump({"context": context, "benchmarks": r.rows}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
