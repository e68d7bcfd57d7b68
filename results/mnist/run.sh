#!/usr/bin/env bash
# Question 10: three configurations carried over from the Fashion-MNIST sweeps to MNIST
# (the first is `train -d mnist`'s defaults, MNIST's recipe with ±1-pixel shifts
# since issue 24; re-run when they change).
# T: the release train binary.
set -u
T=${T:-target/release/train}
O=${O:-/work/sweeps/mnist/runs}
common="-d mnist --threads 1 --wandb_group mnist-transfer"
$T $common -nhl 2 -sz 768 -o adam -lr 0.001 -b 256 -w_d 0 --lr_schedule cosine --warmup 0.02 --label_smoothing 0.1 --dropout 0.05 --shift 1 -e 30 --run_name mnist_ffn_default --output_dir $O/mnist_ffn_default
$T $common -nhl 4 -sz 128 -o rmsprop -lr 0.0001 -b 16 -w_d 0.0005 -e 10 --dropout 0 --run_name mnist_course_best --output_dir $O/mnist_course_best
$T $common -nhl 3 -sz 512 -o nadam -lr 0.001 -b 128 -w_d 0 --lr_schedule cosine --warmup 0.02 --label_smoothing 0.1 -e 30 --dropout 0 --run_name mnist_deep_nadam_30ep --output_dir $O/mnist_deep_nadam_30ep
