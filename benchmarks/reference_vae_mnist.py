#!/usr/bin/env python3
"""The PyTorch VAE example's MNIST run, as the reference for docs/results.md.

The same model and settings as `vae_train --model mlp` (the PyTorch example,
examples/vae/main.py): 784-400-20 MLP with ReLU, Bernoulli pixels (BCE summed
over pixels), Adam lr 1e-3, batch 128, pixels in [0, 1], 10 epochs; prints
the test loss (negative ELBO, nats per image) after each epoch and the wall
time. Reads the idx files that scripts/fetch-data.sh puts in data/mnist.

    /usr/bin/python3 benchmarks/reference_vae_mnist.py [data/mnist] [epochs] [seed] [threads]

Needs Debian's python3-torch and python3-numpy.
"""
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx_images(folder, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            count, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
            pixels = np.frombuffer(data, dtype=np.uint8, offset=16, count=count * rows * cols)
            return torch.from_numpy(pixels.astype(np.float32).reshape(count, rows * cols) / 255.0)
    sys.exit(f"reference_vae_mnist: {stem} not found in {folder} (run scripts/fetch-data.sh)")


class VAE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 400)
        self.fc21 = torch.nn.Linear(400, 20)
        self.fc22 = torch.nn.Linear(400, 20)
        self.fc3 = torch.nn.Linear(20, 400)
        self.fc4 = torch.nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.fc4(F.relu(self.fc3(z))), mu, logvar


def loss_function(logits, x, mu, logvar):
    # The example's BCE on sigmoid outputs, computed from logits (the same value, stabler).
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "data/mnist"
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
    torch.manual_seed(seed)
    train = read_idx_images(folder, "train-images-idx3-ubyte")
    test = read_idx_images(folder, "t10k-images-idx3-ubyte")
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.time()
    for epoch in range(1, epochs + 1):
        model.train()
        for batch in torch.randperm(train.shape[0]).split(128):
            x = train[batch]
            optimizer.zero_grad()
            logits, mu, logvar = model(x)
            loss_function(logits, x, mu, logvar).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits, mu, logvar = model(test)
            test_loss = loss_function(logits, test, mu, logvar).item() / test.shape[0]
        print(f"epoch {epoch}: test loss {test_loss:.2f} nats/image, {time.time() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
