#!/bin/sh
# `program:` of the sweep YAMLs for `wandb agent`: runs ffn's native `train`
# with the agent's --key=value arguments, then uploads the offline run it wrote
# (`wandb sync`), so the sweep server gets the run's metrics when it ends.
#   FFN_TRAIN  the train binary (default: target/release/train of this repository)
#   wandb      from PATH: start the agent from the virtual environment that has it
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
        [ -d "$run" ] || continue
        wandb sync "$run"
        # `wandb sync` exits 0 even when the server rejects the run; the marker
        # it writes after a complete upload is the only sign of success. A run
        # the server never receives is a failure even when training went well.
        if [ ! -e "$run/run-$WANDB_RUN_ID.wandb.synced" ]; then
            echo "wandb-train.sh: $run was not uploaded (no run-$WANDB_RUN_ID.wandb.synced); retry with: wandb sync $run" >&2
            [ "$code" -ne 0 ] || code=1
        fi
    done
fi
exit "$code"
