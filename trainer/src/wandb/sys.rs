//! The bits of the host a run record names: host name, local wall-clock time
//! for the directory name, and a fresh run id.

use super::records::Environment;
use rand_core::{RngCore, SeedableRng};
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

pub fn host_name() -> String {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    from_kernel
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_default()
}

/// `YYYYMMDD_HHMMSS` in local time, as wandb names `offline-run-…` folders.
pub fn local_stamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let (y, mo, d, h, mi, s) = local_fields(secs);
    format!("{y:04}{mo:02}{d:02}_{h:02}{mi:02}{s:02}")
}

#[cfg(unix)]
fn local_fields(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let t: libc::time_t = secs as libc::time_t;
    // SAFETY: localtime_r only writes the `tm` we own; an all-zero tm is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return utc_fields(secs);
    }
    let f = |v: libc::c_int| i64::from(v);
    (f(tm.tm_year) + 1900, f(tm.tm_mon) + 1, f(tm.tm_mday), f(tm.tm_hour), f(tm.tm_min), f(tm.tm_sec))
}

#[cfg(not(unix))]
fn local_fields(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    utc_fields(secs)
}

/// Civil date from days since 1970 (Howard Hinnant's `civil_from_days`).
fn utc_fields(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// 8 characters of `[a-z0-9]`, like wandb's own ids. The seed mixes the
/// per-process random hasher keys with the clock, so parallel sweep workers
/// started in the same nanosecond still differ.
pub fn random_run_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.write_u32(std::process::id());
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(h.finish());
    (0..8).map(|_| ALPHABET[(rng.next_u32() % ALPHABET.len() as u32) as usize] as char).collect()
}

/// This process as wandb's environment record describes it.
pub fn environment(started_at: SystemTime) -> Environment {
    let mut args = std::env::args();
    let to_text = |p: std::io::Result<std::path::PathBuf>| p.map(|p| p.display().to_string()).unwrap_or_default();
    Environment {
        os: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        started_at: Some(started_at),
        program: args.next().unwrap_or_default(),
        args: args.collect(),
        root: to_text(std::env::current_dir()),
        host: host_name(),
        executable: to_text(std::env::current_exe()),
        cpu_count_logical: std::thread::available_parallelism().map_or(1, |n| n.get()) as u32,
    }
}

/// RFC 3339 UTC with microseconds, the form of `startedAt` in wandb-metadata.json.
pub fn iso_utc(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (y, mo, day, h, mi, s) = utc_fields(d.as_secs() as i64);
    format!("{y:04}-{mo:02}-{day:02}T{h:02}:{mi:02}:{s:02}.{:06}Z", d.subsec_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_civil_dates() {
        assert_eq!(utc_fields(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(utc_fields(1_764_138_020), (2025, 11, 26, 6, 20, 20));
        assert_eq!(utc_fields(951_782_400), (2000, 2, 29, 0, 0, 0));
    }

    #[test]
    fn run_ids_look_like_wandb_ids() {
        let a = random_run_id();
        assert_eq!(a.len(), 8);
        assert!(a.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(a, random_run_id());
    }

    #[test]
    fn stamp_has_the_folder_name_shape() {
        let s = local_stamp(SystemTime::now());
        assert_eq!(s.len(), 15);
        assert_eq!(&s[8..9], "_");
    }
}
