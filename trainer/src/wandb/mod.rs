//! wandb (in progress)
