//! `ffn-pool`: a small fork-join pool that runs the parts of ffn's training
//! steps on the cores, as an [`Executor`] for `ffn-core`.
//!
//! A training step is a chain of short phases (a batch-16 layer takes a few
//! microseconds), so spawning threads per call, or waking sleeping ones
//! through the OS, would cost more than the split saves. The helpers are
//! started once, with the pool, and spin on the job's claim word (which
//! carries the job's sequence number) for a few hundred microseconds before they park, so
//! back-to-back jobs hand over in about a microsecond and an idle process
//! does not keep a core busy. [`Pool::run_phases`] hands a chain of phases
//! over once, the threads meeting at a barrier between phases.
//!
//! Part `i` of a call has a home: the caller runs part 0 and helper `i − 1`
//! part `i`, so a plan that cuts every step the same way finds each part's
//! data in its own core's cache (the small-batch plan keeps each half of the
//! weights, their gradients and optimizer state on one core; when the first
//! helper to look claimed part 0 instead, that half moved between the cores).
//! Parts beyond the thread count go to whoever is free. A part whose helper
//! has not claimed it by the time the caller is done with its own is run by
//! the caller: when the machine is oversubscribed and a helper is not
//! running, waiting for it made two-thread runs many times slower (a
//! spinning helper claims its part before the caller is done). The figures
//! are in `benches/RESULTS.md`.
//!
//! Every part writes its own disjoint output, and the plans fix how every
//! value is summed, so results are bit-for-bit the same for every thread
//! count and whichever thread runs a part. A call made while the pool is busy
//! (another thread, or a nested call) runs its parts in turn.
//!
//! Hand-written, not rayon: rayon's work-stealing join wakes sleeping
//! workers through the OS and gives a part no home core, which is what these
//! microsecond phases cannot afford.

use ffn_core::exec::Executor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// How long an idle helper spins before it parks: longer than the longest
/// serial stretch of a training step (the optimizer update), short enough
/// that an idle process leaves the core alone.
const SPIN: Duration = Duration::from_micros(300);
/// Spins between looks at the clock.
const SPINS_PER_CHECK: u32 = 64;
/// How long the caller spins on a part a helper is running before it starts
/// yielding its core (the helper may have been preempted onto it). Yielding
/// any earlier, or in the helpers' idle loop, hands the core to whatever
/// else is runnable for a whole time slice: measured under load, helpers
/// that yielded while idle ran only a small share of the parts.
const WAIT_BEFORE_YIELD: Duration = Duration::from_micros(50);
/// The most threads a pool has (the caller and 15 helpers).
pub const MAX_THREADS: usize = 16;
/// Calls with more parts run them in turn on the caller (the claim word has a bit per part).
const MAX_PARTS: usize = 32;

/// The work of one call: parts `0..parts`, each run exactly once by some thread.
type Job<'a> = dyn Fn(usize) + Sync + 'a;

/// The threads' count from `FFN_THREADS`, else the cores the process may
/// use; at least 1, at most [`MAX_THREADS`].
pub fn default_threads() -> usize {
    std::env::var("FFN_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, MAX_THREADS)
}

/// A fork-join pool: the calling thread and `threads − 1` helpers started
/// with it, stopped and joined when it is dropped.
pub struct Pool {
    shared: Arc<Shared>,
    handles: Vec<JoinHandle<()>>,
}

/// What the caller and the helpers share.
struct Shared {
    /// The job the helpers watch for, on its own cache lines: they spin on
    /// `claim`, which the caller writes last, and find the rest beside it.
    job: Alone<JobSlot>,
    /// Parts run through [`work`] that have finished, ever (the caller knows
    /// how many to wait for, so nobody resets it).
    finished: Alone<AtomicUsize>,
    /// The caller's line: helpers write to it only when a part panics.
    caller: Alone<CallerSide>,
    helpers: Vec<Alone<Helper>>,
    /// Set when the pool is dropped: the helpers return.
    shutdown: AtomicBool,
}

/// On two cache lines of its own (the adjacent-line prefetcher fetches them
/// in pairs), so that what one thread writes shares no line with what
/// another spins on: each store to such a line costs the writer a round trip
/// to the other core.
#[repr(align(128))]
struct Alone<T>(T);

impl<T> core::ops::Deref for Alone<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

struct JobSlot {
    /// `job_sequence << 32 | one bit per claimed part`.
    claim: AtomicU64,
    /// Parts of the current job.
    parts: AtomicUsize,
    /// The current job: a pointer to the caller's `&Job` (a thin pointer to
    /// the fat one, so one atomic word holds it with its provenance).
    job: AtomicPtr<&'static Job<'static>>,
}

struct CallerSide {
    /// Held by the one caller that uses the helpers at a time.
    busy: Mutex<()>,
    panicked: AtomicBool,
    /// What `finished` reaches when the current job's parts run through [`work`] are done.
    finished_target: AtomicUsize,
}

struct Helper {
    sleeping: AtomicBool,
    thread: OnceLock<Thread>,
}

impl Pool {
    /// A pool of `threads` threads (clamped to `1..=MAX_THREADS`): this one
    /// and `threads − 1` helpers, which inherit this thread's floating-point
    /// settings (so call `ffn_core::kernels::flush_subnormals` first).
    pub fn new(threads: usize) -> Pool {
        let wanted = threads.clamp(1, MAX_THREADS);
        let shared = Arc::new(Shared {
            job: Alone(JobSlot {
                claim: AtomicU64::new(0),
                parts: AtomicUsize::new(0),
                job: AtomicPtr::new(std::ptr::null_mut()),
            }),
            finished: Alone(AtomicUsize::new(0)),
            caller: Alone(CallerSide {
                busy: Mutex::new(()),
                panicked: AtomicBool::new(false),
                finished_target: AtomicUsize::new(0),
            }),
            helpers: (1..wanted)
                .map(|_| Alone(Helper { sleeping: AtomicBool::new(false), thread: OnceLock::new() }))
                .collect(),
            shutdown: AtomicBool::new(false),
        });
        let mut handles = Vec::new();
        for index in 0..shared.helpers.len() {
            let for_helper = Arc::clone(&shared);
            let spawned =
                thread::Builder::new().name(format!("ffn-pool-{index}")).spawn(move || helper_loop(&for_helper, index));
            // Without a thread behind it a helper never claims a part, and the
            // caller runs every part itself.
            if let Ok(handle) = spawned {
                let _ = shared.helpers[index].thread.set(handle.thread().clone());
                handles.push(handle);
            }
        }
        Pool { shared, handles }
    }

    /// Threads that run parts (this one and the helpers).
    pub fn threads(&self) -> usize {
        self.shared.helpers.len() + 1
    }

    /// Runs `job(0)`, …, `job(parts - 1)`, spread over the pool, and returns
    /// when all are done. A panic in a part is re-raised here.
    pub fn run(&self, parts: usize, job: &Job<'_>) {
        let pool = &*self.shared;
        let Some(_guard) = lock_helpers(pool, parts) else {
            (0..parts).for_each(job);
            return;
        };
        let slot = job;
        let sequence = publish(pool, parts, &slot);
        guarded(pool, || job(0));
        work(pool, sequence, 0, true);
        wait_finished(pool, parts - 1);
    }

    /// Runs `job(phase, part)` for every phase in order and every part of
    /// it, each part's phases on one thread, every part of a phase done
    /// before any part of the next starts, and returns when all are done.
    ///
    /// One hand-over for the whole call: the threads that run the parts meet
    /// at a barrier between phases (each publishes its phase count on its own
    /// cache line) instead of a fork and a join per phase, which would cost
    /// a training step's few-microsecond phases a sizeable share each. A part
    /// whose helper has not claimed it by the time the caller has run its own
    /// first phase is the caller's for every phase, as in [`Pool::run`]. When
    /// the pool's threads run the parts, a part that panics runs its later
    /// phases all the same (their inputs are plain numbers, however wrong) so
    /// that the others never wait for it, and the panic is re-raised here;
    /// when one thread runs them in turn, the panic stops the call at once.
    pub fn run_phases(&self, parts: usize, phases: usize, job: &PhasedJob<'_>) {
        let pool = &*self.shared;
        let guard = if phases > 0 && parts <= pool.helpers.len() + 1 { lock_helpers(pool, parts) } else { None };
        let Some(_guard) = guard else {
            (0..phases).for_each(|phase| (0..parts).for_each(|part| job(phase, part)));
            return;
        };
        let barrier = Barrier::default();
        let helper_part = |part: usize| {
            for phase in 0..phases {
                guarded(pool, || job(phase, part));
                barrier.arrive(part, phase + 1);
                if phase + 1 < phases {
                    barrier.wait_for_others(part, parts, phase + 1);
                }
            }
        };
        let slot: &Job<'_> = &helper_part;
        let sequence = publish(pool, parts, &slot);
        guarded(pool, || job(0, 0));
        // Parts no helper has claimed by now are the caller's.
        let mut adopted = 0u64;
        while let Some(part) = claim(pool, sequence, 0, true) {
            adopted |= 1 << part;
            guarded(pool, || job(0, part));
        }
        barrier.adopted.store(adopted, Ordering::Relaxed);
        let callers_parts = || core::iter::once(0).chain((1..parts).filter(move |part| adopted & 1 << part != 0));
        for phase in 0..phases {
            if phase > 0 {
                callers_parts().for_each(|part| guarded(pool, || job(phase, part)));
            }
            if phase + 1 < phases {
                barrier.arrive(0, phase + 1);
                barrier.wait_for_others(0, parts, phase + 1);
            }
        }
        wait_finished(pool, parts - 1 - adopted.count_ones() as usize);
    }
}

impl Executor for Pool {
    fn threads(&self) -> usize {
        Pool::threads(self)
    }

    fn run(&self, parts: usize, job: &(dyn Fn(usize) + Sync)) {
        Pool::run(self, parts, job);
    }

    fn run_phases(&self, parts: usize, phases: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        Pool::run_phases(self, parts, phases, job);
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        for helper in &self.shared.helpers {
            if let Some(thread) = helper.thread.get() {
                thread.unpark();
            }
        }
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}

impl core::fmt::Debug for Pool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pool").field("threads", &self.threads()).finish()
    }
}

/// Claims a part of the job `sequence` for `thread` (0 = the caller, `h + 1`
/// = helper `h`): its home part, else one beyond the thread count, else, if
/// `steal`, any; `None` when there is none (or the job is over).
fn claim(pool: &Shared, sequence: u32, thread: usize, steal: bool) -> Option<usize> {
    loop {
        let claim = pool.job.claim.load(Ordering::Acquire);
        if claim >> 32 != u64::from(sequence) {
            return None;
        }
        let parts = pool.job.parts.load(Ordering::Relaxed);
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
        if pool.job.claim.compare_exchange_weak(claim, claim | 1 << part, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            return Some(part);
        }
    }
}

/// Runs the parts of the job `sequence` that [`claim`] gives `thread`.
fn work(pool: &Shared, sequence: u32, thread: usize, steal: bool) {
    while let Some(part) = claim(pool, sequence, thread, steal) {
        let slot = pool.job.job.load(Ordering::Relaxed);
        // SAFETY: the claim succeeded for this job, whose caller stored the
        // pointer to its job reference before publishing the claim word
        // (release, and acquire by the exchange in `claim`), and neither
        // returns nor lets the reference go before `finished` counts this part.
        let job: &Job<'_> = unsafe { *slot };
        guarded(pool, || job(part));
        pool.finished.fetch_add(1, Ordering::Release);
    }
}

fn helper_loop(pool: &Shared, index: usize) {
    let helper = &pool.helpers[index];
    let mut seen = 0u32;
    let sequence = |order| (pool.job.claim.load(order) >> 32) as u32;
    loop {
        let started = Instant::now();
        let mut spins = 0u32;
        seen = loop {
            let now = sequence(Ordering::Acquire);
            if now != seen {
                break now;
            }
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(SPINS_PER_CHECK) {
                core::hint::spin_loop();
            } else if pool.shutdown.load(Ordering::Relaxed) {
                return;
            } else if started.elapsed() < SPIN {
                core::hint::spin_loop();
            } else {
                helper.sleeping.store(true, Ordering::SeqCst);
                if sequence(Ordering::SeqCst) == seen && !pool.shutdown.load(Ordering::SeqCst) {
                    thread::park();
                }
                helper.sleeping.store(false, Ordering::SeqCst);
            }
        };
        work(pool, seen, index + 1, false);
    }
}

/// The work of a phased call: `(phase, part)`.
type PhasedJob<'a> = dyn Fn(usize, usize) + Sync + 'a;

/// Where the threads of a [`Pool::run_phases`] call say how many phases
/// their part has done; each count on its own pair of cache lines (the
/// adjacent-line prefetcher pairs them).
#[derive(Default)]
struct Barrier {
    done: [PhaseCount; MAX_THREADS],
    /// The parts besides 0 that the caller runs (written before its first count).
    adopted: AtomicU64,
}

#[derive(Default)]
#[repr(align(128))]
struct PhaseCount(AtomicUsize);

impl Barrier {
    /// `part` has done `phases` phases (and the caller, when `part` is 0, all
    /// of its adopted parts' too).
    fn arrive(&self, part: usize, phases: usize) {
        self.done[part].0.store(phases, Ordering::Release);
    }

    /// Waits until every part run by a thread other than `part`'s has done
    /// `phases` phases.
    fn wait_for_others(&self, part: usize, parts: usize, phases: usize) {
        let reached = |other: usize| self.done[other].0.load(Ordering::Acquire) >= phases;
        if part != 0 {
            wait_until(|| reached(0));
        }
        // Final once the caller has counted a phase (it claimed every part before).
        let adopted = self.adopted.load(Ordering::Relaxed);
        for other in (1..parts).filter(|&other| other != part && adopted & 1 << other == 0) {
            wait_until(|| reached(other));
        }
    }
}

/// The pool's helpers for one call of `parts` parts, unless there are none,
/// the call has one part or too many for the claim word, or another call
/// holds them (this one then runs its parts in turn).
fn lock_helpers(pool: &Shared, parts: usize) -> Option<std::sync::MutexGuard<'_, ()>> {
    if parts <= 1 || parts > MAX_PARTS || pool.helpers.is_empty() {
        return None;
    }
    match pool.caller.busy.try_lock() {
        Ok(guard) => Some(guard),
        // A call that re-raised a part's panic held the lock; the pool itself is intact.
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// Publishes the job that `slot` refers to, with its part 0 claimed by the
/// caller, wakes parked helpers, and returns the job's sequence number.
///
/// Only plain stores, no fence: the caller goes on with its part while they
/// reach the helpers' core. A helper parking at that moment may miss the
/// wake-up (its `sleeping` not yet seen here); the caller then runs that
/// helper's part itself (see [`Pool::run`] and [`Pool::run_phases`]), and
/// the next job wakes it.
fn publish(pool: &Shared, parts: usize, slot: &&Job<'_>) -> u32 {
    let sequence = ((pool.job.claim.load(Ordering::Relaxed) >> 32) as u32).wrapping_add(1);
    // Only a thread that claimed a part of this job reads the slot, and the
    // caller waits in `wait_finished` until every claimed part has finished,
    // so `slot` (on the caller's stack) outlives every use; the lifetimes are
    // erased to store it.
    let pointer = (slot as *const &Job<'_>).cast::<&'static Job<'static>>().cast_mut();
    pool.job.job.store(pointer, Ordering::Relaxed);
    pool.job.parts.store(parts, Ordering::Relaxed);
    pool.job.claim.store(u64::from(sequence) << 32 | 1, Ordering::Release);
    for helper in &pool.helpers {
        if helper.sleeping.load(Ordering::Relaxed)
            && let Some(thread) = helper.thread.get()
        {
            thread.unpark();
        }
    }
    sequence
}

/// Runs `f`, recording a panic for `wait_finished` to re-raise: the caller
/// must not unwind while helpers may still use its job.
fn guarded(pool: &Shared, f: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(f)).is_err() {
        pool.caller.panicked.store(true, Ordering::Relaxed);
    }
}

/// Waits until `parts` more parts run by [`work`] (the current job's, on
/// any thread) have finished, then re-raises a panic of any part.
fn wait_finished(pool: &Shared, parts: usize) {
    let target = pool.caller.finished_target.load(Ordering::Relaxed).wrapping_add(parts);
    pool.caller.finished_target.store(target, Ordering::Relaxed);
    wait_until(|| pool.finished.load(Ordering::Acquire) == target);
    if pool.caller.panicked.load(Ordering::Relaxed) {
        pool.caller.panicked.store(false, Ordering::Relaxed);
        panic!("a part panicked on a helper thread");
    }
}

/// Spins until `done()`, yielding the core after [`WAIT_BEFORE_YIELD`] (the
/// thread waited for may have been preempted onto it).
fn wait_until(done: impl Fn() -> bool) {
    let mut spins = 0u32;
    let mut waiting_since: Option<Instant> = None;
    while !done() {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(SPINS_PER_CHECK)
            && waiting_since.get_or_insert_with(Instant::now).elapsed() > WAIT_BEFORE_YIELD
        {
            thread::yield_now();
        } else {
            core::hint::spin_loop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pool;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread::{self, ThreadId};

    /// Every part runs once, whatever the count (beyond the thread count, and
    /// beyond the claim word's bits), and part 0 on the caller: its home.
    #[test]
    fn every_part_runs_once_and_part_zero_on_the_caller() {
        let pool = Pool::new(2);
        let caller = thread::current().id();
        for parts in [1, 2, 3, 5, 16, 32, 33, 40] {
            for _ in 0..200 {
                let runs: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
                let first: Mutex<Option<ThreadId>> = Mutex::new(None);
                pool.run(parts, &|part| {
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

    /// A nested call runs its parts in turn on the thread that makes it.
    #[test]
    fn every_part_runs_once_even_nested() {
        let pool = Pool::new(2);
        let counts: Vec<AtomicUsize> = (0..4).map(|_| AtomicUsize::new(0)).collect();
        pool.run(4, &|part| {
            counts[part].fetch_add(1, Ordering::Relaxed);
            pool.run(2, &|_| {
                counts[part].fetch_add(10, Ordering::Relaxed);
            });
        });
        assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 21));
    }

    /// After an idle spell the helpers are parked and wake slower than the
    /// caller's part takes: the caller takes their parts, each still once.
    #[test]
    fn parts_of_parked_helpers_run_once() {
        let pool = Pool::new(2);
        for _ in 0..20 {
            thread::sleep(std::time::Duration::from_millis(1));
            let runs: Vec<AtomicUsize> = (0..2).map(|_| AtomicUsize::new(0)).collect();
            pool.run(2, &|part| {
                runs[part].fetch_add(1, Ordering::Relaxed);
            });
            assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1));
        }
    }

    /// Every part of every phase runs once, and only after every part of the
    /// phase before has finished: with as many parts as threads, fewer, more
    /// (run in turn), and after idle spells that park the helpers.
    #[test]
    fn phases_run_in_order_and_each_part_once() {
        let pool = Pool::new(2);
        for parts in [1, 2, 3, 17] {
            for phases in [1, 2, 7] {
                for round in 0..100 {
                    if round % 25 == 0 {
                        thread::sleep(std::time::Duration::from_millis(1));
                    }
                    let done: Vec<AtomicUsize> = (0..parts * phases).map(|_| AtomicUsize::new(0)).collect();
                    pool.run_phases(parts, phases, &|phase, part| {
                        if phase > 0 {
                            let before = &done[(phase - 1) * parts..phase * parts];
                            assert!(
                                before.iter().all(|d| d.load(Ordering::Acquire) == 1),
                                "phase {phase} started early"
                            );
                        }
                        done[phase * parts + part].fetch_add(1, Ordering::Release);
                    });
                    assert!(done.iter().all(|d| d.load(Ordering::Relaxed) == 1), "{parts} parts, {phases} phases");
                }
            }
        }
    }

    /// A part that panics in a middle phase: the call re-raises the panic,
    /// after both parts have run the last phase, and the pool works afterwards.
    #[test]
    fn a_panic_in_a_phase_is_raised_after_all_parts_finish() {
        let pool = Pool::new(2);
        for panicking_part in [0, 1] {
            let last_phase_runs = AtomicUsize::new(0);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.run_phases(2, 3, &|phase, part| {
                    if (phase, part) == (1, panicking_part) {
                        panic!("part {part} fails");
                    }
                    if phase == 2 {
                        last_phase_runs.fetch_add(1, Ordering::Relaxed);
                    }
                })
            }));
            assert!(outcome.is_err());
            assert_eq!(last_phase_runs.load(Ordering::Relaxed), 2);
            assert!(helpers_still_take_parts(&pool), "the pool ran everything on the caller after a panic");
        }
    }

    /// Whether a helper runs part 1 of some two-part call within two seconds.
    fn helpers_still_take_parts(pool: &Pool) -> bool {
        let caller = thread::current().id();
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(2) {
            let elsewhere = Mutex::new(false);
            pool.run(2, &|part| {
                if part == 1 {
                    *elsewhere.lock().unwrap() = thread::current().id() != caller;
                }
            });
            if elsewhere.into_inner().unwrap() {
                return true;
            }
        }
        false
    }

    /// A pool of one thread runs everything on the caller; dropping a pool
    /// stops and joins its helpers, parked or spinning.
    #[test]
    fn one_thread_runs_on_the_caller_and_a_dropped_pool_joins_its_helpers() {
        let single = Pool::new(1);
        assert_eq!(single.threads(), 1);
        let caller = thread::current().id();
        single.run(3, &|_| assert_eq!(thread::current().id(), caller));
        for idle in [false, true] {
            let pool = Pool::new(3);
            assert_eq!(pool.threads(), 3);
            pool.run(3, &|_| {});
            if idle {
                thread::sleep(std::time::Duration::from_millis(5));
            }
            drop(pool);
        }
    }
}
