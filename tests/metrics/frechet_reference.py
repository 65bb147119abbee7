#!/usr/bin/env python3
"""The Fréchet distance as pytorch-fid computes it (numpy + scipy.linalg.sqrtm),
on two float64 feature files written by tests/metrics/frechet_scipy_main.cpp.

    frechet_reference.py FEATURES_1 FEATURES_2 DIM   prints d^2 (repr)

Exits 77 (CTest: skipped) when numpy or scipy cannot be imported.
"""
import sys

try:
    import numpy as np
    import scipy.linalg
except ImportError as error:
    print(f"skipped: {error}")
    sys.exit(77)


def frechet(x, y):
    mu1, mu2 = x.mean(axis=0), y.mean(axis=0)
    sigma1, sigma2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def main():
    dim = int(sys.argv[3])
    x = np.fromfile(sys.argv[1], dtype="<f8").reshape(-1, dim)
    y = np.fromfile(sys.argv[2], dtype="<f8").reshape(-1, dim)
    print(repr(float(frechet(x, y))))


if __name__ == "__main__":
    main()
