#!/usr/bin/python3
"""bench/train_torch.py MODEL THREADS [EPOCHS] -- the PyTorch side of bench/train.sh.

Trains MODEL ("mlp": 784-256-128-10 ReLU; "cnn": Conv2D(16,3)-MaxPool(2)-Conv2D(32,3)-MaxPool(2)
-Flatten-Dense(128)-Dense(10)) on Fashion-MNIST with Adam(1e-3), batch 64, shuffled, on THREADS
threads, the same way as bench/train_*.nabla. Prints the seconds of each epoch (training only,
data loading excluded), then the test accuracy as the last line: "acc 0.8812".
"""
import gzip, os, sys, time

import numpy as np
import torch
import torch.nn as nn

DATA = os.environ.get("NABLA_DATA", "/usr/share/datasets/fashion-mnist")


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def model_of(kind):
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    kind, threads = sys.argv[1], int(sys.argv[2])
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    xs = torch.from_numpy(idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    ys = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    yt = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    if kind == "cnn":
        xs, xt = xs.unsqueeze(1), xt.unsqueeze(1)
    model = model_of(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    n, batch = xs.shape[0], 64
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        model.train()
        for i in range(0, n, batch):
            j = perm[i:i + batch]
            loss = loss_fn(model(xs[j]), ys[j])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print("epoch %.3f" % (time.perf_counter() - t0), flush=True)
    model.eval()
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print("acc %.4f" % acc)


if __name__ == "__main__":
    main()
