#!/usr/bin/python3
"""PyTorch's side of bench_conv2d and bench_conv_transpose2d.

Times the same layers (DCGAN discriminator conv 64->128, 32x32->16x16, k4 s2
p1; the matching generator ConvTranspose2d 128->64, 16x16->32x32; a small
conv) in PyTorch on the CPU and prints GFLOP/s with the same flop count as
the C++ benchmarks: 2 N Cout Cin kh kw Ho Wo per direction, where for the
transposed layer Ho Wo is its (smaller) input size; forward + backward
counts three directions.

Run with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 benchmarks/compare_pytorch_conv.py            # 2 threads, oneDNN on
    /usr/bin/python3 benchmarks/compare_pytorch_conv.py --threads 1
    /usr/bin/python3 benchmarks/compare_pytorch_conv.py --no-mkldnn  # PyTorch's own im2col + BLAS path
    /usr/bin/python3 benchmarks/compare_pytorch_conv.py --layers     # every DCGAN layer, per direction
next to
    OMP_NUM_THREADS=2 build/benchmarks/bench_conv2d
    OMP_NUM_THREADS=2 build/benchmarks/bench_conv_transpose2d
    (--layers: next to --benchmark_filter=_layer on both)

Times are medians over the timed iterations (wall clock), so a burst of load
from other processes moves them less than a mean would; cpu_ms is the
process CPU time per iteration (all threads together).

Both programs use libgomp: run both under the same OMP_WAIT_POLICY. On a
machine shared with other work, the default policy (spin, then sleep) can
make each parallel region cost milliseconds; OMP_WAIT_POLICY=passive avoids
that for both.
"""
import argparse
import os
import statistics
import time

import torch


def flops(n, cin, cout, k, ho, wo):
    return 2.0 * n * cout * cin * k * k * ho * wo


def bench(fn, min_time, min_iters=3):
    for _ in range(2):  # warm up (allocator, oneDNN primitive cache)
        fn()
    walls, cpus = [], []
    start = time.perf_counter()
    while len(walls) < min_iters or time.perf_counter() - start < min_time:
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), len(walls)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-time", type=float, default=2.0, help="seconds per benchmark")
    parser.add_argument("--no-mkldnn", action="store_true", help="disable oneDNN (MKL-DNN) convolutions")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--layers", action="store_true",
                        help="every DCGAN layer, each direction alone (as BM_conv2d_layer and "
                             "BM_conv_transpose2d_layer), instead of the default set")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.backends.mkldnn.enabled = not args.no_mkldnn
    dtype = getattr(torch, args.dtype)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, dtype {args.dtype}, "
          f"mkldnn {'on' if torch.backends.mkldnn.enabled else 'off'}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}")

    rows = []

    def run(name, fn, fl):
        wall, cpu, iters = bench(fn, args.min_time)
        rows.append((name, wall * 1e3, cpu * 1e3, iters, fl / wall / 1e9))

    if args.layers:
        layer_directions(run, dtype)
        print_rows(rows)
        return

    # conv2d: the DCGAN discriminator layer.
    n, cin, cout, size, k = 64, 64, 128, 32, 4
    conv = torch.nn.Conv2d(cin, cout, k, stride=2, padding=1).to(dtype)
    x = torch.randn(n, cin, size, size, dtype=dtype)
    fl = flops(n, cin, cout, k, size // 2, size // 2)
    with torch.no_grad():
        run("conv2d_forward", lambda: conv(x), fl)
    xg = x.clone().requires_grad_()
    gy = torch.randn(n, cout, size // 2, size // 2, dtype=dtype)

    def conv_fwd_bwd():
        xg.grad = None
        conv.zero_grad(set_to_none=True)
        conv(xg).backward(gy)

    run("conv2d_forward_backward", conv_fwd_bwd, 3 * fl)

    # conv_transpose2d: the matching generator layer, 16x16 -> 32x32.
    n, cin, cout, size = 64, 128, 64, 16
    tconv = torch.nn.ConvTranspose2d(cin, cout, k, stride=2, padding=1).to(dtype)
    x = torch.randn(n, cin, size, size, dtype=dtype)
    fl = flops(n, cout, cin, k, size, size)
    with torch.no_grad():
        run("conv_transpose2d_forward", lambda: tconv(x), fl)
    xg = x.clone().requires_grad_()
    gy = torch.randn(n, cout, 2 * size, 2 * size, dtype=dtype)

    def tconv_fwd_bwd():
        xg.grad = None
        tconv.zero_grad(set_to_none=True)
        tconv(xg).backward(gy)

    run("conv_transpose2d_forward_backward", tconv_fwd_bwd, 3 * fl)

    # The same transposed convolution computed as conv2d's input gradient,
    # which PyTorch runs through its conv backward (oneDNN when enabled)
    # rather than ConvTranspose2d's own path (im2col + the system BLAS).
    with torch.no_grad():
        run("conv_transpose2d_forward_as_conv_grad",
            lambda: torch.nn.grad.conv2d_input((n, cout, 2 * size, 2 * size), tconv.weight, x, stride=2, padding=1),
            fl)

    # The small shapes of the reference benchmarks.
    small = torch.nn.Conv2d(16, 32, 4, stride=2, padding=1).to(dtype)
    xs = torch.randn(4, 16, 16, 16, dtype=dtype)
    with torch.no_grad():
        run("conv2d_small_forward", lambda: small(xs), flops(4, 16, 32, 4, 8, 8))
    tsmall = torch.nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1).to(dtype)
    xt = torch.randn(4, 32, 8, 8, dtype=dtype)
    with torch.no_grad():
        run("conv_transpose2d_small_forward", lambda: tsmall(xt), flops(4, 16, 32, 4, 8, 8))

    print_rows(rows)


def print_rows(rows):
    print(f"{'benchmark':<44}{'median ms':>11}{'cpu ms':>10}{'iters':>7}{'GFLOP/s':>10}")
    for name, wall_ms, cpu_ms, iters, gflops in rows:
        print(f"{name:<44}{wall_ms:>11.2f}{cpu_ms:>10.2f}{iters:>7}{gflops:>10.1f}")


# The DCGAN layers at batch 64: (in, out, input size, kernel, stride, padding).
DISCRIMINATOR = [(3, 64, 64, 4, 2, 1), (64, 128, 32, 4, 2, 1), (128, 256, 16, 4, 2, 1), (256, 512, 8, 4, 2, 1)]
GENERATOR = [(100, 512, 1, 4, 1, 0), (512, 256, 4, 4, 2, 1), (256, 128, 8, 4, 2, 1), (128, 64, 16, 4, 2, 1),
             (64, 3, 32, 4, 2, 1)]


def layer_directions(run, dtype, n=64):
    """Each direction alone through aten::convolution_backward with one output
    mask bit (the backend forward uses, oneDNN when enabled), so the three
    directions are timed as separately as zengen's kernels are."""
    conv_backward = torch.ops.aten.convolution_backward
    for transposed, layers in ((False, DISCRIMINATOR), (True, GENERATOR)):
        for cin, cout, size, k, s, p in layers:
            x = torch.randn(n, cin, size, size, dtype=dtype)
            w = torch.randn(*((cin, cout) if transposed else (cout, cin)), k, k, dtype=dtype)
            with torch.no_grad():
                y = (torch.nn.functional.conv_transpose2d if transposed else torch.nn.functional.conv2d)(
                    x, w, stride=s, padding=p)
            gy = torch.randn_like(y)
            # Flops of the conv2d (the adjoint, for a transposed layer): 2 N Cout Cin k k Ho Wo of its smaller side.
            small = size if transposed else y.shape[-1]
            fl = flops(n, cin, cout, k, small, small)
            kind = "conv_transpose2d" if transposed else "conv2d"
            name = f"{kind} {cin}->{cout}@{size}x{size}"

            def fwd():
                with torch.no_grad():
                    if transposed:
                        torch.nn.functional.conv_transpose2d(x, w, stride=s, padding=p)
                    else:
                        torch.nn.functional.conv2d(x, w, stride=s, padding=p)

            def bwd(mask):
                return lambda: conv_backward(gy, x, w, None, [s, s], [p, p], [1, 1], transposed, [0, 0], 1, mask)

            run(f"{name} forward", fwd, fl)
            run(f"{name} backward_data", bwd([True, False, False]), fl)
            run(f"{name} backward_weight", bwd([False, True, False]), fl)


if __name__ == "__main__":
    main()
