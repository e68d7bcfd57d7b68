"""A clean, vectorised NumPy float32 version of the benchmark model: the
same maths as ffn (ReLU hidden layers, softmax + cross-entropy, L2 decay on
weights only, rmsprop), written the way a NumPy user would, without tricks."""

import numpy as np
from threadpoolctl import threadpool_limits

import common


class Model:
    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        self.weights, self.biases = [], []
        for fan_in, fan_out in zip(common.SIZES[:-1], common.SIZES[1:]):
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            self.weights.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
            self.biases.append(np.zeros(fan_out, dtype=np.float32))
        self.params = self.weights + self.biases
        self.mean_squares = [np.zeros_like(p) for p in self.params]
        self.rng = rng

    def forward(self, x):
        activations = [x]
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = activations[-1] @ w + b
            if layer + 1 < len(self.weights):
                np.maximum(z, 0.0, out=z)
            activations.append(z)
        logits = activations[-1]
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return activations

    def step(self, x, y):
        activations = self.forward(x)
        delta = activations[-1]
        delta[np.arange(len(y)), y] -= 1.0
        delta /= np.float32(len(y))
        grads_w, grads_b = [None] * len(self.weights), [None] * len(self.weights)
        for layer in reversed(range(len(self.weights))):
            a = activations[layer]
            grads_w[layer] = a.T @ delta + np.float32(common.WEIGHT_DECAY) * self.weights[layer]
            grads_b[layer] = delta.sum(axis=0)
            if layer > 0:
                delta = (delta @ self.weights[layer].T) * (a > 0)
        beta, lr, eps = np.float32(common.BETA), np.float32(common.LEARNING_RATE), np.float32(common.EPSILON)
        for p, g, v in zip(self.params, grads_w + grads_b, self.mean_squares):
            v *= beta
            v += (1 - beta) * g * g
            p -= lr * g / (np.sqrt(v) + eps)


def main():
    args = common.parse_args(__doc__)
    (train_x, train_y), (val_x, val_y) = common.load(args.data_dir)

    def train_epoch(model, batch):
        order = model.rng.permutation(len(train_y))
        for start in range(0, len(order), batch):
            index = order[start : start + batch]
            model.step(train_x[index], train_y[index])

    def evaluate(model):
        probs = model.forward(val_x)[-1]
        return float((probs.argmax(axis=1) == val_y).mean())

    with threadpool_limits(limits=args.threads):
        common.run("numpy", args, lambda batch: Model(args.seed), train_epoch, evaluate)


if __name__ == "__main__":
    main()
