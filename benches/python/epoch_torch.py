"""The benchmark model in PyTorch on the CPU, written the usual way:
nn.Sequential of Linear + ReLU, Xavier-uniform weights and zero biases,
CrossEntropyLoss, torch.optim.RMSprop (alpha = β) with weight decay on the
weights only, float32; `--precision bf16` runs the forward pass and loss
under torch.autocast("cpu", dtype=torch.bfloat16), as epoch_torch_default.py
does for the default recipe."""

import torch
from torch import nn

import common


def new_model(batch):
    layers = []
    for fan_in, fan_out in zip(common.SIZES[:-1], common.SIZES[1:]):
        linear = nn.Linear(fan_in, fan_out)
        nn.init.xavier_uniform_(linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.ReLU()]
    net = nn.Sequential(*layers[:-1])
    weights = [p for name, p in net.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in net.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.RMSprop(
        [{"params": weights, "weight_decay": common.WEIGHT_DECAY}, {"params": biases, "weight_decay": 0.0}],
        lr=common.LEARNING_RATE,
        alpha=common.BETA,
        eps=common.EPSILON,
    )
    return net, optimizer


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


def main():
    args = parse_args()
    autocast = args.precision == "bf16"
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    (train_x, train_y), (val_x, val_y) = common.load(args.data_dir)
    train_x, train_y = torch.from_numpy(train_x), torch.from_numpy(train_y)
    val_x, val_y = torch.from_numpy(val_x), torch.from_numpy(val_y)
    loss_fn = nn.CrossEntropyLoss()

    def train_epoch(model, batch):
        net, optimizer = model
        net.train()
        order = torch.randperm(len(train_y))
        for start in range(0, len(order), batch):
            index = order[start : start + batch]
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                loss = loss_fn(net(train_x[index]), train_y[index])
            loss.backward()
            optimizer.step()

    def evaluate(model):
        net, _ = model
        net.eval()
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            return float((net(val_x).argmax(dim=1) == val_y).float().mean())

    common.run("pytorch" if args.precision == "f32" else "pytorch-bf16", args, new_model, train_epoch, evaluate)


if __name__ == "__main__":
    main()
