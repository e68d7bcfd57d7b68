//! A small fork-join pool that splits one kernel call over the cores.
//!
//! A training step is a chain of short kernels (a batch-16 GEMM takes a few
//! microseconds), so spawning threads per call, or waking sleeping ones
//! through the OS, would cost more than the split saves. The helpers are
//! started once and spin on a sequence number between jobs for [`SPIN`]
//! before they park, so back-to-back kernels hand over in about a
//! microsecond and an idle process does not keep a core busy.
//!
//! Part `i` of a call has a home: the caller runs part 0 and helper `i − 1`
//! part `i`, so a kernel that is called every step with the same split finds
//! its part's data in its own core's cache (the split training step keeps
//! each half of the weights on one core; when the first helper to look
//! claimed part 0 instead, 8–11 % of its hand-overs, that half's weights,
//! gradients and optimizer state moved between the cores). Parts beyond the
//! thread count go to whoever is free. A part whose helper has not claimed it
//! by the time the caller is done with its own is run by the caller: when the
//! machine is oversubscribed and a helper is not running, waiting for it made
//! two-thread runs 20× slower (a spinning helper claims its part within a
//! microsecond, before the caller is done).
//!
//! Every part writes its own disjoint output, and the split never changes how
//! any single output value is computed, so results are bit-for-bit the same
//! for every thread count and whichever thread runs a part. The thread count
//! comes from `FFN_THREADS` (default: the available cores); `FFN_THREADS=1`
//! turns splitting off. A call made while the pool is busy (another thread,
//! or a nested call) runs its parts in turn.

use std::boxed::Box;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};
use std::vec::Vec;

/// How long an idle helper spins before it parks: longer than the longest
/// serial stretch of a training step (the optimizer update), short enough
/// that an idle process leaves the core alone.
const SPIN: Duration = Duration::from_micros(300);
/// Spins between looks at the clock.
const SPINS_PER_CHECK: u32 = 64;
/// How long the caller spins on a part a helper is running before it starts
/// yielding its core (the helper may have been preempted onto it). Yielding
/// any earlier, or in the helpers' idle loop, hands the core to whatever
/// else is runnable for a whole time slice: measured under load, helpers that
/// yielded while idle ran under 5 % of the parts.
const WAIT_BEFORE_YIELD: Duration = Duration::from_micros(50);
const MAX_THREADS: usize = 16;
/// Calls with more parts run them in turn on the caller (the claim word has a bit per part).
const MAX_PARTS: usize = 32;

/// The work of one call: parts `0..parts`, each run exactly once by some thread.
type Job<'a> = dyn Fn(usize) + Sync + 'a;

struct Pool {
    /// Held by the one caller that uses the helpers at a time.
    busy: Mutex<()>,
    /// `job_sequence << 32 | one bit per claimed part`.
    claim: AtomicU64,
    /// Parts of the current job.
    parts: AtomicUsize,
    /// Parts of the current job that have finished.
    finished: AtomicUsize,
    panicked: AtomicBool,
    /// The current job's `*const Job` as its two words.
    job: [AtomicUsize; 2],
    /// Bumped once per job, to wake the helpers.
    sequence: AtomicU64,
    helpers: Vec<Helper>,
}

struct Helper {
    sleeping: AtomicBool,
    thread: OnceLock<Thread>,
}

static POOL: OnceLock<&'static Pool> = OnceLock::new();

/// Threads a kernel may be split over (1 = no splitting).
pub fn threads() -> usize {
    let pool = pool();
    match LIMIT.load(Ordering::Relaxed) {
        0 => pool.helpers.len() + 1,
        limit => limit.min(pool.helpers.len() + 1),
    }
}

/// 0 = every thread of the pool.
static LIMIT: AtomicUsize = AtomicUsize::new(0);

/// Use at most `n` threads from now on (benchmarks compare 1 and 2 threads in
/// one process; results do not depend on it); returns the count in force.
pub fn set_threads(n: usize) -> usize {
    LIMIT.store(n.max(1), Ordering::Relaxed);
    threads()
}

fn pool() -> &'static Pool {
    POOL.get_or_init(|| {
        let wanted = std::env::var("FFN_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, MAX_THREADS);
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            busy: Mutex::new(()),
            claim: AtomicU64::new(0),
            parts: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            job: [AtomicUsize::new(0), AtomicUsize::new(0)],
            sequence: AtomicU64::new(0),
            helpers: (1..wanted)
                .map(|_| Helper { sleeping: AtomicBool::new(false), thread: OnceLock::new() })
                .collect(),
        }));
        for (index, helper) in pool.helpers.iter().enumerate() {
            let spawned = thread::Builder::new()
                .name(std::format!("ffn-kernel-{index}"))
                .spawn(move || helper_loop(pool, index, helper));
            // Without a thread behind it a helper never claims a part, and the
            // caller runs every part itself.
            if let Ok(handle) = spawned {
                let _ = helper.thread.set(handle.thread().clone());
            }
        }
        pool
    })
}

/// Claims a part of the job `sequence` for `thread` (0 = the caller, `h + 1`
/// = helper `h`): its home part, else one beyond the thread count, else, if
/// `steal`, any; `None` when there is none (or the job is over).
fn claim(pool: &Pool, sequence: u64, thread: usize, steal: bool) -> Option<usize> {
    loop {
        let claim = pool.claim.load(Ordering::Acquire);
        if claim >> 32 != sequence & 0xFFFF_FFFF {
            return None;
        }
        let parts = pool.parts.load(Ordering::Relaxed);
        let homes = parts.min(pool.helpers.len() + 1);
        let free = !claim & ((1u64 << parts) - 1);
        let part = if thread < homes && free & (1 << thread) != 0 {
            thread
        } else if free >> homes != 0 {
            homes + (free >> homes).trailing_zeros() as usize
        } else if steal && free != 0 {
            free.trailing_zeros() as usize
        } else {
            return None;
        };
        if pool.claim.compare_exchange_weak(claim, claim | 1 << part, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            return Some(part);
        }
    }
}

/// Runs the parts of the job `sequence` that [`claim`] gives `thread`.
fn work(pool: &Pool, sequence: u64, thread: usize, steal: bool) {
    while let Some(part) = claim(pool, sequence, thread, steal) {
        let words = [pool.job[0].load(Ordering::Relaxed), pool.job[1].load(Ordering::Relaxed)];
        // SAFETY: the claim succeeded for this job, whose caller wrote the job
        // words before publishing the claim word (release, and acquire by the
        // exchange in `claim`) and does not return, nor reuse the words, before
        // `finished` counts this part.
        let job: &Job<'static> = unsafe { core::mem::transmute::<[usize; 2], &Job<'static>>(words) };
        if catch_unwind(AssertUnwindSafe(|| job(part))).is_err() {
            pool.panicked.store(true, Ordering::Relaxed);
        }
        pool.finished.fetch_add(1, Ordering::Release);
    }
}

fn helper_loop(pool: &'static Pool, index: usize, helper: &'static Helper) {
    let mut seen = 0u64;
    loop {
        let started = Instant::now();
        let mut spins = 0u32;
        seen = loop {
            let now = pool.sequence.load(Ordering::Acquire);
            if now != seen {
                break now;
            }
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(SPINS_PER_CHECK) || started.elapsed() < SPIN {
                core::hint::spin_loop();
            } else {
                helper.sleeping.store(true, Ordering::SeqCst);
                if pool.sequence.load(Ordering::SeqCst) == seen {
                    thread::park();
                }
                helper.sleeping.store(false, Ordering::SeqCst);
            }
        };
        work(pool, seen, index + 1, false);
    }
}

/// Runs `job(0)`, …, `job(parts - 1)`, spread over the pool, and returns when
/// all are done. A panic in a part is re-raised here.
pub fn run(parts: usize, job: &Job<'_>) {
    let pool = pool();
    let guard =
        if parts > 1 && parts <= MAX_PARTS && !pool.helpers.is_empty() { pool.busy.try_lock().ok() } else { None };
    let Some(_guard) = guard else {
        (0..parts).for_each(job);
        return;
    };
    let sequence = pool.sequence.load(Ordering::Relaxed) + 1;
    // SAFETY: a fat reference is two words; they are turned back into a
    // reference only by a thread that claimed a part of this job, and this
    // call waits below until every part has finished.
    let words = unsafe { core::mem::transmute::<&Job<'_>, [usize; 2]>(job) };
    pool.job[0].store(words[0], Ordering::Relaxed);
    pool.job[1].store(words[1], Ordering::Relaxed);
    pool.parts.store(parts, Ordering::Relaxed);
    pool.finished.store(0, Ordering::Relaxed);
    pool.claim.store((sequence & 0xFFFF_FFFF) << 32, Ordering::Release);
    pool.sequence.store(sequence, Ordering::SeqCst);
    for helper in &pool.helpers {
        if helper.sleeping.load(Ordering::SeqCst)
            && let Some(thread) = helper.thread.get()
        {
            thread.unpark();
        }
    }
    work(pool, sequence, 0, true);
    let mut spins = 0u32;
    let mut waiting_since: Option<Instant> = None;
    while pool.finished.load(Ordering::Acquire) < parts {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(SPINS_PER_CHECK)
            && waiting_since.get_or_insert_with(Instant::now).elapsed() > WAIT_BEFORE_YIELD
        {
            thread::yield_now();
        } else {
            core::hint::spin_loop();
        }
    }
    if pool.panicked.swap(false, Ordering::Relaxed) {
        panic!("a kernel part panicked on a helper thread");
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread::{self, ThreadId};
    use std::vec::Vec;

    /// Every part runs once, whatever the count (beyond the thread count, and
    /// beyond the claim word's bits), and part 0 on the caller: its home.
    #[test]
    fn every_part_runs_once_and_part_zero_on_the_caller() {
        let caller = thread::current().id();
        for parts in [1, 2, 3, 5, 16, 32, 33, 40] {
            for _ in 0..200 {
                let runs: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
                let first: Mutex<Option<ThreadId>> = Mutex::new(None);
                run(parts, &|part| {
                    runs[part].fetch_add(1, Ordering::Relaxed);
                    if part == 0 {
                        *first.lock().unwrap() = Some(thread::current().id());
                    }
                });
                assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1), "{parts} parts");
                assert_eq!(*first.lock().unwrap(), Some(caller), "{parts} parts");
            }
        }
    }

    /// After an idle spell the helpers are parked and wake slower than the
    /// caller's part takes: the caller takes their parts, each still once.
    #[test]
    fn parts_of_parked_helpers_run_once() {
        for _ in 0..20 {
            thread::sleep(std::time::Duration::from_millis(1));
            let runs: Vec<AtomicUsize> = (0..2).map(|_| AtomicUsize::new(0)).collect();
            run(2, &|part| {
                runs[part].fetch_add(1, Ordering::Relaxed);
            });
            assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1));
        }
    }
}
