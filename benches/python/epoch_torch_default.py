"""ffn's default recipe in PyTorch on the CPU: 784-768-768-10 ReLU, dropout
0.2 after each hidden layer, Xavier-uniform weights and zero biases,
cross-entropy with label smoothing 0.1, adam (lr 1e-3, betas 0.9/0.999,
eps 1e-8, no weight decay) with ffn's schedule (linear warm-up over the
first 2 % of the steps, then cosine to 0 over 30 epochs), batch 256, on
Fashion-MNIST. --precision bf16 runs forward and loss under
torch.autocast("cpu", dtype=torch.bfloat16), the usual way to train in
mixed precision on a CPU (master weights, gradients and adam's state stay
float32). Prints one JSON line per batch size, like the other benchmarks."""

import math

import torch
from torch import nn

import common

HIDDEN = [768, 768]
DROPOUT = 0.2
LABEL_SMOOTHING = 0.1
LEARNING_RATE = 1e-3
WARMUP = 0.02
EPOCHS_OF_THE_SCHEDULE = 30


def parse_args():
    import argparse
    import sys

    # common.parse_args owns the shared flags; --precision is this script's.
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--precision", choices=["f32", "bf16"], default="f32")
    known, rest = extra.parse_known_args()
    sys.argv = [sys.argv[0]] + rest
    args = common.parse_args(__doc__)
    args.precision = known.precision
    return args


def lr_factor(step, total):
    """ffn's schedule (trainer/src/run/schedule.rs): warm-up, then cosine."""
    warmup_steps = round(WARMUP * total)
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(total - warmup_steps, 1)
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    (train_x, train_y), (val_x, val_y) = common.load(args.data_dir)
    train_x, train_y = torch.from_numpy(train_x), torch.from_numpy(train_y)
    val_x, val_y = torch.from_numpy(val_x), torch.from_numpy(val_y)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=LABEL_SMOOTHING)
    autocast = args.precision == "bf16"

    def new_model(batch):
        sizes = [784] + HIDDEN + [10]
        layers = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            linear = nn.Linear(fan_in, fan_out)
            nn.init.xavier_uniform_(linear.weight)
            nn.init.zeros_(linear.bias)
            layers += [linear, nn.ReLU(), nn.Dropout(DROPOUT)]
        net = nn.Sequential(*layers[:-2])
        optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)
        steps_per_epoch = math.ceil(len(train_y) / batch)
        total = steps_per_epoch * EPOCHS_OF_THE_SCHEDULE
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, total))
        return net, optimizer, schedule

    def train_epoch(model, batch):
        net, optimizer, schedule = model
        net.train()
        order = torch.randperm(len(train_y))
        for start in range(0, len(order), batch):
            index = order[start : start + batch]
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                loss = loss_fn(net(train_x[index]), train_y[index])
            loss.backward()
            optimizer.step()
            schedule.step()

    def evaluate(model):
        net = model[0]
        net.eval()
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            return float((net(val_x).argmax(dim=1) == val_y).float().mean())

    common.run(f"pytorch-{args.precision}", args, new_model, train_epoch, evaluate, recipe="default")


if __name__ == "__main__":
    main()
