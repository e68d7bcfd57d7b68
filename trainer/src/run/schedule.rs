//! Learning-rate schedules, as a factor of the base rate at a given step.

/// `--lr_schedule`: what the learning rate does after the warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    Constant,
    Cosine,
}

impl Schedule {
    pub const ALL: [Schedule; 2] = [Schedule::Constant, Schedule::Cosine];

    pub fn name(self) -> &'static str {
        match self {
            Schedule::Constant => "constant",
            Schedule::Cosine => "cosine",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Schedule::Constant => "the learning rate stays as given",
            Schedule::Cosine => "cosine decay from the learning rate to 0 at the last step",
        }
    }
}

/// Linear warm-up over the first `warmup` fraction of `total` steps, then
/// constant or cosine decay to 0 at the last step.
pub fn lr_factor(schedule: Schedule, warmup: f32, step: usize, total: usize) -> f32 {
    let total = total.max(1) as f32;
    let warmup_steps = (warmup * total).round();
    let t = step as f32;
    if t < warmup_steps {
        return (t + 1.0) / warmup_steps;
    }
    match schedule {
        Schedule::Cosine => {
            let progress = (t - warmup_steps) / (total - warmup_steps).max(1.0);
            0.5 * (1.0 + (std::f32::consts::PI * progress.min(1.0)).cos())
        }
        Schedule::Constant => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::{Schedule, lr_factor};

    #[test]
    fn warmup_then_cosine_reaches_zero() {
        assert!((lr_factor(Schedule::Cosine, 0.1, 0, 100) - 0.1).abs() < 1e-6);
        assert!((lr_factor(Schedule::Cosine, 0.1, 9, 100) - 1.0).abs() < 1e-6);
        assert!((lr_factor(Schedule::Cosine, 0.1, 10, 100) - 1.0).abs() < 1e-6);
        assert!(lr_factor(Schedule::Cosine, 0.1, 99, 100) < 0.01);
        assert_eq!(lr_factor(Schedule::Constant, 0.0, 50, 100), 1.0);
    }
}
