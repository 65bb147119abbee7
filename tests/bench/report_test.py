#!/usr/bin/python3
"""benchmarks/report.py on a made-up results folder: it must pair our figures
with their references (the copy in the same program, PyTorch's by name),
compute the ratios and mark the issue's targets met / not met.

    report_test.py <path to benchmarks/report.py>
"""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPORT = None


def gbench(*entries):
    """Google Benchmark JSON with one iteration entry per (name, real_time ms, counters)."""
    return {"context": {}, "benchmarks": [
        dict({"name": name, "run_name": name, "run_type": "iteration", "iterations": 1, "real_time": ms,
              "cpu_time": ms, "time_unit": "ms"}, **counters) for name, ms, counters in entries]}


def render(folder):
    out = subprocess.run([sys.executable, REPORT, "render", str(folder)], capture_output=True, text=True, check=True)
    return out.stdout


def row(text, *cells):
    """The table line that holds every cell, in order."""
    for line in text.splitlines():
        if line.startswith("|"):
            parts = [p.strip() for p in line.strip("|").split("|")]
            at = 0
            for c in cells:
                try:
                    at = parts.index(c, at) + 1
                except ValueError:
                    break
            else:
                return parts
    raise AssertionError(f"no table row with {cells}")


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        (self.dir / "context.json").write_text(json.dumps({
            "date": "2026-01-01 00:00 UTC", "loadavg_start": [3.0, 2.0, 1.0], "threads": 2,
            "cpu": {"model": "Test CPU", "logical_cpus": 2, "usable_cpus": 2, "isa": ["avx2", "fma"]},
            "environment": {"OPENBLAS_CORETYPE": "Haswell"}, "compiler": ["g++ 12"], "flags": "-O3"}))
        self.write("bench_train_step", gbench(
            ("train_step/dcgan32/iterations:40/manual_time", 55.0,
             {"median_ms": 50.0, "steps/s": 20.0, "cache_misses/step": 0.0}),
            ("train_step/mlp_vae/iterations:200/manual_time", 5.0,
             {"median_ms": 4.0, "steps/s": 250.0, "cache_misses/step": 0.0})))
        self.write("bench_leaky_relu", gbench(
            ("zengen::bench::BM_copy_memcpy/real_time", 10.0, {"GB/s": 8.0}),
            ("zengen::bench::BM_copy_openmp/real_time", 10.0, {"GB/s": 10.0}),
            ("BM_leaky_relu_forward_op/real_time", 10.0, {"GB/s": 9.0}),
            ("BM_leaky_relu_backward_op/real_time", 10.0, {"GB/s": 8.0})))
        self.write("bench_conv2d", gbench(
            ("BM_conv2d_kernel_forward/32/real_time", 10.0, {"GFLOP/s": 30.0}),
            ("conv2d_backward_data/n:64/cin:64/cout:128/hw:32/real_time", 10.0, {"GFLOP/s": 10.0}),
            # batch 1 by the layer table's index (kDiscriminator[7]): a scaling row
            ("BM_conv2d_layer/layer:7/dir:0/eigen:0/real_time", 10.0, {"GFLOP/s": 5.0})))
        self.write("pytorch", {"context": {"torch": "1.13", "threads": 2, "mkldnn": True}, "benchmarks": [
            {"program": "bench_train_step", "name": "train_step/dcgan32", "median_ms": 100.0, "counters": {}},
            {"program": "bench_train_step", "name": "train_step/mlp_vae", "median_ms": 4.0, "counters": {}},
            {"program": "bench_conv2d", "name": "conv2d_forward/n:64/cin:64/cout:128/hw:32", "median_ms": 1.0,
             "counters": {"GFLOP/s": 20.0}},
            {"program": "bench_conv2d", "name": "conv2d_backward_data/n:64/cin:64/cout:128/hw:32",
             "median_ms": 1.0, "counters": {"GFLOP/s": 20.0}},
            {"program": "bench_conv2d", "name": "conv2d_forward/n:1/cin:64/cout:128/hw:32",
             "median_ms": 1.0, "counters": {"GFLOP/s": 10.0}},
            {"program": "bench_leaky_relu", "name": "BM_leaky_relu_forward_op", "median_ms": 1.0,
             "counters": {"GB/s": 4.5}}]})

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        (self.dir / f"{name}.json").write_text(json.dumps(data))

    def test_end_to_end_ratio_and_target(self):
        text = render(self.dir)
        self.assertEqual(row(text, "dcgan32")[1:6], ["50.0", "20.00", "100", "0.50", "**met**"])
        self.assertEqual(row(text, "mlp_vae")[3:6], ["4.0", "1.00", "not met"])  # 1.0 > 0.8
        self.assertEqual(row(text, "end-to-end step dcgan64: time at most 0.8x PyTorch's")[1:], ["—", "no data"])

    def test_convolutions_pair_by_alias_and_by_name(self):
        text = render(self.dir)
        forward = row(text, "conv2d", "forward", "64", "64->128", "32x32")
        self.assertEqual(forward[5:10], ["30.0", "20.0", "1.50", ">= 1.0", "**met**"])
        data = row(text, "conv2d", "backward-data", "64", "64->128")
        self.assertEqual(data[5:10], ["10.0", "20.0", "0.50", ">= 1.0", "not met"])
        # Batch 1 is shown for scaling, outside the target's count.
        scaling = row(text, "conv2d", "forward", "1", "64->128", "32x32")
        self.assertEqual(scaling[5:10], ["5.0", "10.0", "0.50", "scaling", "—"])
        self.assertEqual(row(text, "conv2d forward / backward-data / backward-weight on every DCGAN layer "
                                   "(batch 64): at least PyTorch's GFLOP/s")[1:], ["1 of 2 figures", "not met"])

    def test_memory_bound_against_the_faster_copy(self):
        text = render(self.dir)
        self.assertEqual(row(text, "leaky_relu", "BM_leaky_relu_forward_op")[3:9],
                         ["9.0", "10.0", "0.90", "**met**", "4.5", "2.00"])
        self.assertEqual(row(text, "leaky_relu", "BM_leaky_relu_backward_op")[3:7], ["8.0", "10.0", "0.80", "not met"])
        self.assertEqual(row(text, "LeakyReLU forward and backward (the ops): at least 85% of the copy bandwidth "
                                   "(worst figure)")[1:], ["0.80", "not met"])

    def test_context_and_missing_pytorch(self):
        (self.dir / "pytorch.json").unlink()
        (self.dir / "pytorch.skipped").write_text("no torch here")
        text = render(self.dir)
        self.assertIn("`OPENBLAS_CORETYPE=Haswell`", text)
        self.assertIn("(no AVX-512)", text)
        self.assertIn("not run (no torch here)", text)
        self.assertEqual(row(text, "dcgan32")[3:6], ["—", "—", "no data"])


if __name__ == "__main__":
    REPORT = sys.argv.pop(1)
    unittest.main()
