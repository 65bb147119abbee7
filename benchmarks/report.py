#!/usr/bin/python3
"""Writes docs/performance.md from a results folder of scripts/bench.sh.

Two commands (Python's standard library only):

  report.py context --build-dir DIR [--threads N] > RESULTS/context.json
      records the machine (CPU model, cores, ISA flags), the compiler and its
      flags (from DIR/CMakeCache.txt), the thread count, the environment
      variables that change the figures (OMP_*, OPENBLAS_*, MKL_*) as they are,
      the git commit and the load average: call it when the run starts.
  report.py render RESULTS [--output docs/performance.md]
      reads RESULTS/context.json, every RESULTS/bench_*.json (Google
      Benchmark's JSON) and RESULTS/pytorch.json (benchmarks/compare_pytorch.py)
      and writes the report: the machine, the issue's targets marked met / not
      met, then each family's figures beside their references (the copy of
      the same bytes in the same binary, Eigen, PyTorch in the same
      invocation) with the ratios, the notes of benchmarks/performance_notes.md
      (hand-written analysis: causes of missed targets, profiles) when that
      file exists, then every figure of every program.

Pairing ours with PyTorch's: compare_pytorch.py names its figures as the
bench_* programs do (e.g. bench_batch_norm's BM_batch_norm_forward/n:64/c:128/hw:16),
so a pair is the same (program, name) once Google Benchmark's suffixes
(/real_time, /iterations:N, ...) are dropped. Convolution layers are named
  conv2d_<direction>/n:<N>/cin:<Cin>/cout:<Cout>/hw:<input size>
  conv_transpose2d_<direction>/n:<N>/cin:<Cin>/cout:<Cout>/hw:<input size>
with direction forward, backward_data or backward_weight: a bench_conv2d /
bench_conv_transpose2d figure named that way is paired automatically;
ALIASES below maps the older single-layer names.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ENV_PREFIXES = ("OMP_", "GOMP_", "KMP_", "OPENBLAS_", "MKL_", "ZENGEN_")
ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl",
             "avx512_vnni", "avx512_bf16", "amx_tile")

# Older zengen benchmark names -> the layer they time.
ALIASES = {
    ("bench_conv2d", "BM_conv2d_kernel_forward/32"): "conv2d_forward/n:64/cin:64/cout:128/hw:32",
    ("bench_conv2d", "BM_conv2d_kernel_backward_data/32"): "conv2d_backward_data/n:64/cin:64/cout:128/hw:32",
    ("bench_conv2d", "BM_conv2d_kernel_backward_weight/32"): "conv2d_backward_weight/n:64/cin:64/cout:128/hw:32",
    ("bench_conv_transpose2d", "BM_conv_transpose2d_forward/32"): "conv_transpose2d_forward/n:64/cin:128/cout:64/hw:16",
}
# The per-layer programs (BM_conv2d_layer, BM_conv_transpose2d_layer): argument
# `layer` indexes their tables of layers (benchmarks/conv2d.cpp's
# kDiscriminator, conv_transpose2d.cpp's kGenerator: (batch, cin, cout, input
# size), in order), `dir` the direction, and `eigen:1` is the Eigen-GEMM bar
# (not paired with PyTorch).
_DIRECTIONS = ("forward", "backward_data", "backward_weight")
_CONV_LAYERS = [(64, 3, 64, 64), (64, 64, 128, 32), (64, 128, 256, 16), (64, 256, 512, 8),
                (64, 3, 32, 32), (64, 32, 64, 16), (64, 64, 128, 8), (1, 64, 128, 32), (256, 64, 128, 32)]
_CONV_TRANSPOSE_LAYERS = [(64, 100, 512, 1), (64, 512, 256, 4), (64, 256, 128, 8), (64, 128, 64, 16), (64, 64, 3, 32),
                          (64, 100, 128, 1), (64, 128, 64, 4), (64, 64, 32, 8), (64, 32, 3, 16),
                          (1, 128, 64, 16), (256, 128, 64, 16)]
for _i, (_n, _cin, _cout, _hw) in enumerate(_CONV_LAYERS):
    for _d, _direction in enumerate(_DIRECTIONS):
        ALIASES[("bench_conv2d", f"BM_conv2d_layer/layer:{_i}/dir:{_d}/eigen:0")] = \
            f"conv2d_{_direction}/n:{_n}/cin:{_cin}/cout:{_cout}/hw:{_hw}"
for _i, (_n, _cin, _cout, _hw) in enumerate(_CONV_TRANSPOSE_LAYERS):
    for _d, _direction in enumerate(_DIRECTIONS):
        ALIASES[("bench_conv_transpose2d", f"BM_conv_transpose2d_layer/layer:{_i}/dir:{_d}/eigen:0")] = \
            f"conv_transpose2d_{_direction}/n:{_n}/cin:{_cin}/cout:{_cout}/hw:{_hw}"

SUFFIX = re.compile(r"/(iterations:\d+|real_time|manual_time|min_time:[0-9.]+s?|repeats:\d+|threads:\d+)")
LAYER = re.compile(r"^(conv2d|conv_transpose2d)_(forward|backward_data|backward_weight)/n:(\d+)/cin:(\d+)/cout:(\d+)/hw:(\d+)$")


def clean(name):
    return SUFFIX.sub("", name)


# ---- context ------------------------------------------------------------------

def cmake_cache(build_dir):
    values = {}
    path = Path(build_dir) / "CMakeCache.txt"
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            m = re.match(r"^([A-Za-z0-9_]+):[A-Z]+=(.*)$", line)
            if m:
                values[m.group(1)] = m.group(2)
    return values


def command_output(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_info():
    model, flags, logical = "", set(), 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name" and not model:
                model = value.strip()
            elif key == "flags" and not flags:
                flags = set(value.split())
            elif key == "processor":
                logical += 1
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return {"model": model or platform.processor(), "logical_cpus": logical or os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "isa": [f for f in ISA_FLAGS if f in flags], "memory": memory}


def context(args):
    cache = cmake_cache(args.build_dir)
    compiler = cache.get("CMAKE_CXX_COMPILER", "c++")
    build_type = cache.get("CMAKE_BUILD_TYPE", "")
    flags = " ".join(f for f in (cache.get("CMAKE_CXX_FLAGS", ""),
                                 cache.get(f"CMAKE_CXX_FLAGS_{build_type.upper()}", "")) if f)
    native = cache.get("ZENGEN_NATIVE", "").upper() in ("ON", "TRUE", "1")
    root = Path(__file__).resolve().parent.parent
    out = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "cpu": cpu_info(),
        "kernel": platform.release(),
        "compiler": command_output([compiler, "--version"]).splitlines()[0:1],
        "build_type": build_type,
        "flags": (flags + (" -march=native" if native else "")).strip(),
        "threads": args.threads,
        "environment": {k: v for k, v in sorted(os.environ.items()) if k.startswith(ENV_PREFIXES)},
        "commit": command_output(["git", "-C", str(root), "describe", "--always", "--dirty"]),
        "quick": args.quick,
        "filter": args.filter,
        "steps": args.steps,
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


# ---- loading results -------------------------------------------------------------

class Figure:
    def __init__(self, program, name, ms, counters):
        self.program, self.name, self.ms, self.counters = program, name, ms, counters

    def get(self, counter):
        return self.counters.get(counter)


def to_ms(value, unit):
    return value * {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}.get(unit, 1.0)


def load_google_benchmark(path):
    """{name: Figure} of one bench_* program (medians when it ran repetitions)."""
    program = path.stem
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        sys.stderr.write(f"report.py: skipping {path.name}: {e}\n")
        return program, {}, {}
    figures = {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = clean(b.get("run_name", b["name"]))
        if name in figures and b.get("run_type") != "aggregate":
            continue  # a repetition: the median aggregate (or the first run) stands for it
        skip = {"name", "run_name", "run_type", "family_index", "per_family_instance_index", "repetitions",
                "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
                "aggregate_name", "aggregate_unit", "error_occurred", "error_message", "label"}
        counters = {k: v for k, v in b.items() if k not in skip and isinstance(v, (int, float))}
        figures[name] = Figure(program, name, to_ms(b["real_time"], b.get("time_unit", "ns")), counters)
    return program, figures, data.get("context", {})


def load(results):
    results = Path(results)
    ours, contexts = {}, {}
    for path in sorted(results.glob("bench_*.json")):
        program, figures, ctx = load_google_benchmark(path)
        ours[program] = figures
        contexts[program] = ctx
    theirs, torch_context = {}, None
    path = results / "pytorch.json"
    if path.exists():
        data = json.loads(path.read_text())
        torch_context = data.get("context")
        for row in data.get("benchmarks", []):
            theirs[(row["program"], row["name"])] = Figure(row["program"], row["name"], row["median_ms"],
                                                           row.get("counters", {}))
    ctx_path = results / "context.json"
    ctx = json.loads(ctx_path.read_text()) if ctx_path.exists() else {}
    skipped = (results / "pytorch.skipped").read_text().strip() if (results / "pytorch.skipped").exists() else None
    return ctx, ours, contexts, theirs, torch_context, skipped


# ---- rendering ----------------------------------------------------------------------

def fmt(v, digits=1):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.{digits}f}" if abs(v) >= 1 or v == 0 else f"{v:.3g}"


def fmt_ratio(v):
    """Ratios with two decimals (three significant digits below 0.01)."""
    if v is None:
        return "—"
    return f"{v:.2f}" if abs(v) >= 0.01 else f"{v:.3g}"


def gbs(f):
    """GB/s of a figure: its GB/s counter, or Google Benchmark's bytes_per_second."""
    if f is None:
        return None
    if f.get("GB/s"):
        return f.get("GB/s")
    return f.get("bytes_per_second") / 1e9 if f.get("bytes_per_second") else None


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def verdict(value, goal, at_least=True):
    if value is None:
        return "no data"
    ok = value >= goal if at_least else value <= goal
    return "**met**" if ok else "not met"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


class Report:
    def __init__(self, results):
        (self.ctx, self.ours, self.contexts, self.theirs, self.torch_ctx, self.torch_skipped) = load(results)
        self.targets = []  # (target, figure, value, goal text, verdict)
        self.out = []

    def our(self, program, name):
        return self.ours.get(program, {}).get(name)

    def copy_bar(self, program):
        """The faster of the program's plain copies of 16M float32 (GB/s)."""
        figures = self.ours.get(program, {})
        rates = [gbs(f) for n, f in figures.items()
                 if n.split("::")[-1] in ("BM_copy_memcpy", "BM_copy_openmp", "copy_memcpy", "copy_openmp")]
        rates = [r for r in rates if r]
        return max(rates) if rates else None

    def emit(self, text=""):
        self.out.append(text)

    # -- sections --

    def header(self):
        c = self.ctx
        cpu = c.get("cpu", {})
        load = c.get("loadavg_start")
        cores = cpu.get("usable_cpus") or 1
        self.emit("# zengen performance")
        self.emit()
        self.emit("Generated by `scripts/bench.sh` (figures from `benchmarks/`, report by "
                  "`benchmarks/report.py`); do not edit by hand: rerun the script.")
        self.emit()
        self.emit(f"- **Run:** {c.get('date', '?')}, commit `{c.get('commit', '?')}`"
                  + (", quick mode (fewer shapes, short timings)" if c.get("quick") else "")
                  + (f", filter `{c['filter']}`" if c.get("filter") else "")
                  + (f", {c['steps']} timed training steps per model" if c.get("steps") else ""))
        if load:
            busy = load[0] > 0.5 * cores
            self.emit(f"- **Load:** load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the start "
                      f"on {cores} usable CPUs"
                      + (" — **the machine was busy with other work: figures are noisy; ratios measured side "
                         "by side in one run are more telling than absolute figures**" if busy else " (quiet)"))
        self.emit(f"- **CPU:** {cpu.get('model', '?')}, {cpu.get('logical_cpus', '?')} logical CPUs "
                  f"({cores} usable), {cpu.get('memory', '?')}; ISA: {', '.join(cpu.get('isa', [])) or '?'}"
                  + ("" if any(f.startswith("avx512") for f in cpu.get("isa", [])) else " (no AVX-512)"))
        compiler = c.get("compiler") or ["?"]
        self.emit(f"- **Compiler:** {compiler[0]}; build type {c.get('build_type') or '?'}; flags "
                  f"`{c.get('flags') or '(none)'}`")
        self.emit(f"- **Threads:** {c.get('threads', '?')} (OMP_NUM_THREADS for zengen, torch.set_num_threads "
                  "for PyTorch)")
        env = c.get("environment", {})
        shown = ", ".join(f"`{k}={v}`" for k, v in env.items()) or "none set"
        self.emit(f"- **Environment (as it was):** {shown}; unset: "
                  + ", ".join(f"`{k}`" for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_CORETYPE")
                              if k not in env))
        if self.torch_ctx:
            t = self.torch_ctx
            self.emit(f"- **PyTorch:** {t.get('torch')} (Debian python3-torch), {t.get('threads')} threads, "
                      f"oneDNN {'on' if t.get('mkldnn') else 'off'}; run by `benchmarks/compare_pytorch.py` "
                      "right after the zengen programs")
        else:
            self.emit(f"- **PyTorch:** not run ({self.torch_skipped or 'no pytorch.json'}); "
                      "the PyTorch columns are empty")
        self.emit()

    def train_steps(self):
        rows = []
        for model, target in (("dcgan64", True), ("dcgan32", True), ("mlp_vae", True), ("conv_vae", False)):
            name = f"train_step/{model}"
            o = self.our("bench_train_step", name)
            t = self.theirs.get(("bench_train_step", name))
            ours_ms = o.get("median_ms") if o else None
            torch_ms = t.ms if t else None
            r = ratio(ours_ms, torch_ms)
            v = verdict(r, 0.8, at_least=False) if target else "(no target)"
            if target:
                self.targets.append((f"end-to-end step {model}: time at most 0.8x PyTorch's", fmt_ratio(r), v))
            rows.append([model, fmt(ours_ms), fmt(o.get("steps/s") if o else None, 2), fmt(torch_ms),
                         fmt_ratio(r), v if target else "—",
                         fmt(o.get("buffers/step") if o else None), fmt(o.get("sys_allocs/step") if o else None),
                         fmt(o.get("cache_misses/step") if o else None, 2),
                         fmt(o.get("heap_allocs/step") if o else None), fmt(o.get("live_MiB") if o else None)])
        self.emit("## End-to-end training steps")
        self.emit()
        self.emit("Median step time (`bench_train_step`; PyTorch: the same networks and step in "
                  "`compare_pytorch.py`). Target: at most 0.8x PyTorch's time. Per step: tensor buffers "
                  "allocated, those taken from the system (small ones always are), blocks of a cached size "
                  "the caching allocator could not serve (0 in a steady state), C++ heap allocations; MiB "
                  "of tensor memory live between steps (parameters, gradients, Adam's state, the batch).")
        self.emit()
        self.emit(table(["step", "ours ms", "ours steps/s", "PyTorch ms", "ours / PyTorch", "target <= 0.8",
                         "buffers", "sys allocs", "cache misses", "heap allocs", "live MiB"], rows))
        misses = [self.our("bench_train_step", f"train_step/{m}") for m in ("dcgan64", "dcgan32", "mlp_vae",
                                                                             "conv_vae")]
        misses = [f.get("cache_misses/step") for f in misses if f and f.get("cache_misses/step") is not None]
        self.targets.append(("no memory growth: no large block from the system in a steady step "
                             "(and the CTest check `models: no memory growth from 100 to 1000 training steps`)",
                             fmt(max(misses), 2) if misses else "—",
                             ("**met**" if max(misses) == 0 else "not met") if misses else "no data"))
        self.emit()

    def convolutions(self):
        ours_by_layer = {}
        for program in ("bench_conv2d", "bench_conv_transpose2d"):
            for name, f in self.ours.get(program, {}).items():
                layer = ALIASES.get((program, name), name)
                if LAYER.match(layer):
                    ours_by_layer[layer] = f
        layers = sorted({n for (p, n) in self.theirs if LAYER.match(n)} | set(ours_by_layer),
                        key=lambda n: (LAYER.match(n).group(1), [int(x) for x in LAYER.match(n).groups()[2:]],
                                       LAYER.match(n).group(2)))
        rows, met, counted = [], {"conv2d": 0, "conv_transpose2d": 0}, {"conv2d": 0, "conv_transpose2d": 0}
        for layer in layers:
            m = LAYER.match(layer)
            op, direction, n, cin, cout, hw = m.groups()
            o, t = ours_by_layer.get(layer), self.theirs.get(
                ("bench_conv2d" if op == "conv2d" else "bench_conv_transpose2d", layer))
            ours_g = o.get("GFLOP/s") if o else None
            torch_g = t.get("GFLOP/s") if t else None
            r = ratio(ours_g, torch_g)
            goal = 1.0 if op == "conv2d" else 1.5
            # The targets are the DCGAN layers at batch 64; batch 1 and 256
            # are shown for scaling.
            if n != "64":
                rows.append([op, direction.replace("_", "-"), f"{n}", f"{cin}->{cout}", f"{hw}x{hw}", fmt(ours_g),
                             fmt(torch_g), fmt_ratio(r), "scaling", "—"])
                continue
            v = verdict(r, goal)
            if r is not None:
                counted[op] += 1
                met[op] += r >= goal
            rows.append([op, direction.replace("_", "-"), f"{n}", f"{cin}->{cout}", f"{hw}x{hw}", fmt(ours_g),
                         fmt(torch_g), fmt_ratio(r), f">= {goal}", v])
        for op, goal in (("conv2d", "at least PyTorch's GFLOP/s"), ("conv_transpose2d", "at least 1.5x PyTorch's")):
            self.targets.append((f"{op} forward / backward-data / backward-weight on every DCGAN layer (batch 64): {goal}",
                                 f"{met[op]} of {counted[op]} figures", "no data" if not counted[op] else
                                 ("**met**" if met[op] == counted[op] else "not met")))
        self.emit("## Convolutions")
        self.emit()
        self.emit("GFLOP/s of 2 N Cout Cin kh kw Ho Wo per direction (a transposed layer counts the conv2d it "
                  "is the adjoint of). Layer names follow `conv2d_<direction>/n:/cin:/cout:/hw:` (see "
                  "`benchmarks/report.py`); a dash means the program did not time that layer under that name.")
        self.emit()
        self.emit(table(["op", "direction", "batch", "channels", "input", "ours GFLOP/s", "PyTorch GFLOP/s",
                         "ours / PyTorch", "target", ""], rows))
        self.emit()

    def matmul(self):
        figures = self.ours.get("bench_matmul", {})
        sizes = sorted({int(n.rsplit("/", 1)[1]) for n in figures if re.search(r"/\d+$", n)})
        rows = []
        for n in sizes:
            ours = figures.get(f"zengen_matmul/{n}")
            eigen = figures.get(f"eigen_direct/{n}")
            blas = next((f for name, f in figures.items() if "blas" in name.lower() and name.endswith(f"/{n}")), None)
            torch = self.theirs.get(("bench_matmul", f"sgemm/{n}"))
            g = lambda f: (f.get("GFLOP/s") or (f.get("FLOPS") / 1e9 if f.get("FLOPS") else None)) if f else None
            bar = g(blas) if blas else g(torch)
            r = ratio(g(ours), bar)
            if n == 2048:
                self.targets.append(("matmul 2048: at least 0.9x OpenBLAS's SGEMM" +
                                     ("" if blas else " (PyTorch's torch.mm stands in: no OpenBLAS figure in "
                                                      "bench_matmul)"), fmt_ratio(r), verdict(r, 0.9)))
            rows.append([n, fmt(g(ours)), fmt(g(eigen)), fmt(g(blas)), fmt(g(torch)), fmt_ratio(r)])
        self.emit("## Matrix product (float32, n x n x n)")
        self.emit()
        self.emit("GFLOP/s. Target: at least 0.9x OpenBLAS's SGEMM (bench_matmul's own OpenBLAS figure when it has "
                  "one, PyTorch's `torch.mm` otherwise).")
        self.emit()
        self.emit(table(["n", "zengen", "Eigen", "OpenBLAS", "PyTorch torch.mm", "zengen / OpenBLAS"], rows))
        self.emit()

    def memory_bound(self):
        rows = []
        torch_copy = self.theirs.get(("copy", "copy"))
        families = (("bench_leaky_relu", lambda n: n.startswith(("BM_leaky_relu_", "BM_bias_leaky_relu_")), True),
                    ("bench_losses", lambda n: n.startswith(("BM_forward/", "BM_backward/")), True),
                    ("bench_optim", lambda n: n.startswith("BM_") and "copy" not in n, False),
                    ("bench_elementwise", lambda n: n.startswith("zengen_"), False))
        worst = {}
        for program, wanted, _ in families:
            bar = self.copy_bar(program)
            for name, f in sorted(self.ours.get(program, {}).items()):
                if not wanted(name):
                    continue
                rate = gbs(f)
                r = ratio(rate, bar)
                t = self.theirs.get((program, name))
                target = (program == "bench_leaky_relu" and name.startswith("BM_leaky_relu_") and name.endswith("_op")) \
                    or program == "bench_losses" \
                    or name in ("BM_adam_step",)
                if target and r is not None:
                    key = program.replace("bench_", "")
                    worst[key] = min(worst.get(key, r), r)
                rows.append([program.replace("bench_", ""), name, fmt(f.ms, 2), fmt(rate), fmt(bar), fmt_ratio(r),
                             (verdict(r, 0.85) if target else "—"), fmt(gbs(t)), fmt_ratio(ratio(rate, gbs(t)))])
        for key, what in (("leaky_relu", "LeakyReLU forward and backward (the ops)"), ("losses", "the losses"),
                          ("optim", "Adam's update")):
            r = worst.get(key)
            self.targets.append((f"{what}: at least 85% of the copy bandwidth (worst figure)", fmt_ratio(r),
                                 verdict(r, 0.85)))
        self.emit("## Memory-bound kernels (16M float32)")
        self.emit()
        self.emit("GB/s of the bytes each must read and write, against the faster plain copy of 16M float32 in "
                  "the same program (memcpy or an OpenMP loop)"
                  + (f"; PyTorch's own copy ran at {fmt(torch_copy.get('GB/s'))} GB/s" if torch_copy else "")
                  + ". Target (marked rows): at least 0.85 of the copy.")
        self.emit()
        self.emit(table(["family", "benchmark", "ms", "GB/s", "copy GB/s", "/ copy", "target >= 0.85",
                         "PyTorch GB/s", "ours / PyTorch"], rows))
        self.emit()

    def batch_norm(self):
        figures = self.ours.get("bench_batch_norm", {})
        shapes = sorted({n.split("/", 1)[1] for n in figures if n.startswith("BM_copy_activation/")},
                        key=lambda s: [int(x.split(":")[1]) for x in s.split("/")])
        rows = []
        for shape in shapes:
            copy = figures.get(f"BM_copy_activation/{shape}")
            for direction in ("forward", "backward"):
                o = figures.get(f"BM_batch_norm_{direction}/{shape}")
                loop = figures.get(f"BM_batch_norm_{direction}_loop/{shape}")
                t = self.theirs.get(("bench_batch_norm", f"BM_batch_norm_{direction}/{shape}"))
                g = lambda f: f.get("GB/s") if f else None
                rows.append([shape.replace("/", " "), direction, fmt(g(o)), fmt(g(loop)), fmt(g(copy)),
                             fmt_ratio(ratio(g(o), g(copy))), fmt(g(t)), fmt_ratio(ratio(g(o), g(t)))])
        self.emit("## BatchNorm2d, training (DCGAN activation shapes)")
        self.emit()
        self.emit("GB/s of the bytes each direction must touch (forward: x, y; backward: grad, x, dx), beside a "
                  "copy of the same tensor and a fused two-pass loop written in the benchmark.")
        self.emit()
        self.emit(table(["shape", "direction", "ours GB/s", "fused loop GB/s", "copy GB/s", "ours / copy",
                         "PyTorch GB/s", "ours / PyTorch"], rows))
        self.emit()

    def targets_section(self):
        self.emit("## The issue's targets")
        self.emit()
        self.emit(table(["target", "figure", "status"], [list(t) for t in self.targets]))
        self.emit()

    def all_figures(self):
        self.emit("## Every figure")
        self.emit()
        for program, figures in sorted(self.ours.items()):
            counters = sorted({k for f in figures.values() for k in f.counters if k not in ("bytes_per_second",
                                                                                         "items_per_second")})
            rows = [[name, fmt(f.ms, 3)] + [fmt(f.counters.get(k), 2) for k in counters]
                    for name, f in figures.items()]
            self.emit(f"### {program}")
            self.emit()
            self.emit(table(["benchmark", "ms"] + counters, rows) if rows else "(no figures)")
            self.emit()
        if self.theirs:
            self.emit("### PyTorch (compare_pytorch.py)")
            self.emit()
            rows = [[p, n, fmt(f.ms, 3), ", ".join(f"{k} {fmt(v)}" for k, v in f.counters.items())]
                    for (p, n), f in self.theirs.items()]
            self.emit(table(["beside", "name", "median ms", "rate"], rows))
            self.emit()

    def render(self):
        self.header()
        body_start = len(self.out)
        self.train_steps()
        self.convolutions()
        self.matmul()
        self.memory_bound()
        self.batch_norm()
        body = self.out[body_start:]
        del self.out[body_start:]
        self.targets_section()
        self.out += body
        notes = Path(__file__).resolve().parent / "performance_notes.md"
        if notes.exists():
            self.emit(notes.read_text().rstrip())
            self.emit()
        self.all_figures()
        return "\n".join(self.out).rstrip() + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("context", help="print the run's context as JSON")
    c.add_argument("--build-dir", default="build")
    c.add_argument("--threads", type=int, default=2)
    c.add_argument("--quick", action="store_true")
    c.add_argument("--filter", default="")
    c.add_argument("--steps", type=int, default=0)
    r = sub.add_parser("render", help="write the report from a results folder")
    r.add_argument("results")
    r.add_argument("--output", default="-", help="file to write (default: stdout)")
    args = parser.parse_args()
    if args.command == "context":
        context(args)
        return
    text = Report(args.results).render()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        sys.stderr.write(f"report.py: wrote {args.output}\n")


if __name__ == "__main__":
    main()
