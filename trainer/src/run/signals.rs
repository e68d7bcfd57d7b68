//! Ctrl-C / SIGTERM: the training loop polls these flags between batches so it
//! can stop cleanly (checkpoint kept, wandb run closed) instead of dying.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Clone, Default)]
pub struct Signals {
    interrupt: Arc<AtomicBool>,
    terminate: Arc<AtomicBool>,
}

impl Signals {
    pub fn install() -> Self {
        let signals = Signals::default();
        // A second Ctrl-C while stopping kills at once, as users expect.
        for (sig, flag, code) in [
            (signal_hook::consts::SIGINT, &signals.interrupt, 130),
            (signal_hook::consts::SIGTERM, &signals.terminate, 143),
        ] {
            let _ = signal_hook::flag::register_conditional_shutdown(sig, code, Arc::clone(flag));
            let _ = signal_hook::flag::register(sig, Arc::clone(flag));
        }
        signals
    }

    /// The exit code to stop with, if a signal arrived (130 = SIGINT, 143 = SIGTERM).
    pub fn pending(&self) -> Option<i32> {
        if self.interrupt.load(Ordering::Relaxed) {
            Some(130)
        } else if self.terminate.load(Ordering::Relaxed) {
            Some(143)
        } else {
            None
        }
    }
}
