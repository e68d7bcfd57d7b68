#!/bin/sh
# `program:` of the sweep YAMLs for `wandb agent`: runs ffn's native `train`
# with the agent's --key=value arguments, then uploads the offline run it wrote
# (`wandb sync`), so the sweep server gets the run's metrics when it ends.
#   FFN_TRAIN  the train binary (default: target/release/train of this repository)
# The agent sets WANDB_RUN_ID, WANDB_SWEEP_ID (read by train), WANDB_DIR, and
# WANDB_PROJECT / WANDB_ENTITY (passed on here unless the sweep sets them).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
train="${FFN_TRAIN:-$root/target/release/train}"
case " $* " in *" --wandb_project="*) ;; *) [ -n "${WANDB_PROJECT:-}" ] && set -- "$@" "--wandb_project=$WANDB_PROJECT" ;; esac
case " $* " in *" --wandb_entity="*) ;; *) [ -n "${WANDB_ENTITY:-}" ] && set -- "$@" "--wandb_entity=$WANDB_ENTITY" ;; esac
"$train" "$@"
code=$?
if [ -n "${WANDB_RUN_ID:-}" ]; then
    for run in "${WANDB_DIR:-.}"/wandb/offline-run-*-"$WANDB_RUN_ID"; do
        # A run the server never receives is a failure even when training went well.
        [ -d "$run" ] && { wandb sync "$run" || [ "$code" -ne 0 ] || code=1; }
    done
fi
exit "$code"
