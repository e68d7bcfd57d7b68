//! One offline run being written: record numbering, history steps, the running
//! summary, side files, and reopening a run after a crash.

use super::files;
use super::framing;
use super::media;
use super::proto::Msg;
use super::pyjson::dumps;
use super::records::{self, RunInfo};
use super::{WandbError, WandbSettings, sys};
use serde_json::{Map, Value};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

const RESERVED: [&str; 3] = ["_step", "_runtime", "_timestamp"];

/// The `.wandb` file, opened for appending and written one whole record per
/// `write`, so a kill can only cut the last record short.
struct LogFile {
    file: File,
    path: PathBuf,
    offset: u64,
}

impl LogFile {
    fn append(&mut self, payload: &[u8]) -> Result<(), WandbError> {
        let mut bytes = Vec::with_capacity(payload.len() + 16);
        let end = framing::frame_record(self.offset, payload, &mut bytes);
        if let Err(e) = self.file.write_all(&bytes).and_then(|()| self.file.flush()) {
            // A partial record (disk full) would shift the framing of every later
            // one: cut it off so the log stays valid up to the last whole record.
            let _ = self.file.set_len(self.offset);
            return Err(write_err(&self.path, e));
        }
        self.offset = end;
        Ok(())
    }
}

fn write_err(path: &Path, source: std::io::Error) -> WandbError {
    WandbError::Write { path: path.to_path_buf(), source }
}

/// Temp file + fsync + rename, so a crash never leaves half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WandbError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| write_err(path, e))
}

fn valid_run_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn unix_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn producer() -> String {
    format!("ffn-trainer {}", env!("CARGO_PKG_VERSION"))
}

/// An offline run being written. Dropping it without [`WandbRun::finish`]
/// leaves a log without an exit record, which `wandb sync` shows as failed.
pub struct WandbRun {
    dir: PathBuf,
    info: RunInfo,
    log: LogFile,
    output: File,
    num: i64,
    step: u64,
    /// Active seconds before this process took over the run (see `resume`).
    runtime_offset: f64,
    started: Instant,
    config: Map<String, Value>,
    summary: Map<String, Value>,
}

impl WandbRun {
    /// Creates `<base_dir>/wandb/offline-run-<local time>-<id>/` with the log
    /// (header and run record, flushed) and `files/output.log`.
    pub fn create(settings: WandbSettings) -> Result<WandbRun, WandbError> {
        let run_id = match settings.run_id {
            Some(id) => id,
            None => std::env::var("WANDB_RUN_ID").ok().filter(|s| !s.is_empty()).unwrap_or_else(sys::random_run_id),
        };
        if !valid_run_id(&run_id) {
            return Err(WandbError::InvalidRunId(run_id));
        }
        let start = SystemTime::now();
        let root = settings.base_dir.join("wandb");
        let dir = root.join(format!("offline-run-{}-{run_id}", sys::local_stamp(start)));
        let mkdir =
            |p: &Path| std::fs::create_dir(p).map_err(|e| WandbError::CreateDir { path: p.to_path_buf(), source: e });
        std::fs::create_dir_all(&root).map_err(|e| WandbError::CreateDir { path: root.clone(), source: e })?;
        mkdir(&dir)?;
        mkdir(&dir.join("files"))?;

        let info = RunInfo {
            run_id: run_id.clone(),
            entity: settings.entity,
            project: settings.project,
            config: settings.config.iter().map(|(k, v)| (k.clone(), dumps(v))).collect(),
            group: settings.group.unwrap_or_default(),
            job_type: settings.job_type.unwrap_or_default(),
            display_name: settings.display_name,
            tags: settings.tags,
            sweep_id: settings.sweep_id.unwrap_or_default(),
            host: sys::host_name(),
            start_time: Some(start),
        };
        let path = dir.join(format!("run-{run_id}.wandb"));
        let mut file = OpenOptions::new().append(true).create_new(true).open(&path).map_err(|e| write_err(&path, e))?;
        file.write_all(&framing::FILE_HEADER).map_err(|e| write_err(&path, e))?;
        let output = open_append(&dir.join("files").join(files::OUTPUT_LOG))?;
        let mut run = WandbRun {
            log: LogFile { file, path, offset: framing::FILE_HEADER.len() as u64 },
            dir,
            info,
            output,
            num: 0,
            step: 0,
            runtime_offset: 0.0,
            started: Instant::now(),
            config: settings.config,
            summary: Map::new(),
        };
        run.emit(records::HEADER, records::header(&producer()))?;
        run.emit(records::RUN, records::run(&run.info))?;
        run.emit(records::ENVIRONMENT, records::environment(&sys::environment(start)))?;
        link_latest(&root, &run.dir);
        Ok(run)
    }

    fn emit(&mut self, kind: u32, body: Msg) -> Result<(), WandbError> {
        self.num += 1;
        self.log.append(&records::record(self.num, kind, body, &self.info.run_id))
    }

    fn runtime(&self) -> f64 {
        self.runtime_offset + self.started.elapsed().as_secs_f64()
    }

    /// One history row (`_step` 0, 1, 2, … plus `_runtime` and `_timestamp`),
    /// followed by a summary record with the row's values, as wandb does offline.
    pub fn log(&mut self, row: &Map<String, Value>) -> Result<(), WandbError> {
        if let Some(k) = row.keys().find(|k| RESERVED.contains(&k.as_str())) {
            return Err(WandbError::ReservedKey(k.clone()));
        }
        let mut full = row.clone();
        let runtime = self.runtime();
        full.insert("_step".into(), self.step.into());
        full.insert("_runtime".into(), finite(runtime));
        full.insert("_timestamp".into(), finite(unix_secs(SystemTime::now())));
        // User keys first, then the reserved ones, like wandb's own rows.
        let items: Vec<(String, String)> =
            row.keys().map(String::as_str).chain(RESERVED).map(|k| (k.to_owned(), dumps(&full[k]))).collect();
        let pairs = || items.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        self.emit(records::HISTORY, records::history(pairs(), self.step))?;
        self.emit(records::SUMMARY, records::updates(pairs()))?;
        self.summary.extend(full);
        self.step += 1;
        Ok(())
    }

    /// Summary values beyond the last history row, e.g. `best_val_accuracy`.
    pub fn update_summary(&mut self, values: &Map<String, Value>) -> Result<(), WandbError> {
        if values.is_empty() {
            return Ok(());
        }
        let items: Vec<(&str, String)> = values.iter().map(|(k, v)| (k.as_str(), dumps(v))).collect();
        self.emit(records::SUMMARY, records::updates(items.iter().map(|(k, v)| (*k, v.as_str()))))?;
        self.summary.extend(values.clone());
        Ok(())
    }

    /// Deletes summary keys an earlier record set (a resumed run's old
    /// `reason`, say); keys the summary does not hold are left alone, so a
    /// fresh run gets no record.
    pub fn remove_summary(&mut self, keys: &[&str]) -> Result<(), WandbError> {
        let present: Vec<&str> = keys.iter().copied().filter(|k| self.summary.contains_key(*k)).collect();
        if present.is_empty() {
            return Ok(());
        }
        self.emit(records::SUMMARY, records::removals(present.iter().copied()))?;
        for k in present {
            self.summary.remove(k);
        }
        Ok(())
    }

    /// A console line: an `OutputRawRecord` and a line of `files/output.log`.
    pub fn output_line(&mut self, line: &str) -> Result<(), WandbError> {
        let text = if line.ends_with('\n') { line.to_owned() } else { format!("{line}\n") };
        self.emit(records::OUTPUT_RAW, records::output_raw(SystemTime::now(), &text))?;
        let path = self.dir.join("files").join(files::OUTPUT_LOG);
        self.output.write_all(text.as_bytes()).map_err(|e| write_err(&path, e))
    }

    /// Final summary, side files and their `FilesRecord`, the runtime summary
    /// wandb writes before exiting, exit record (`exit_code`, runtime) and the
    /// legacy `FinalRecord`; returns the run folder.
    pub fn finish(mut self, exit_code: i32) -> Result<PathBuf, WandbError> {
        let runtime = self.runtime().floor() as i64;
        self.summary.insert("_runtime".into(), runtime.into());
        let items: Vec<(String, String)> = self.summary.iter().map(|(k, v)| (k.clone(), dumps(v))).collect();
        if !items.is_empty() {
            self.emit(records::SUMMARY, records::updates(items.iter().map(|(k, v)| (k.as_str(), v.as_str()))))?;
        }
        // The exit record matters more than the side files: write it even when
        // they fail (disk full), then report their error.
        let side = self.write_side_files(runtime);
        if side.is_ok() {
            let names = [files::CONFIG_YAML, files::SUMMARY_JSON, files::METADATA_JSON, files::OUTPUT_LOG];
            self.emit(records::FILES, records::files(&names, records::FILE_WANDB))?;
        }
        self.emit(records::SUMMARY, records::runtime_summary(runtime))?;
        let runtime32 = i32::try_from(runtime).unwrap_or(i32::MAX);
        self.emit(records::EXIT, records::exit(exit_code, runtime32))?;
        self.emit(records::FINAL, Msg::new())?;
        self.log.file.sync_all().map_err(|e| write_err(&self.log.path, e))?;
        side?;
        Ok(self.dir)
    }

    fn write_side_files(&mut self, runtime: i64) -> Result<(), WandbError> {
        let fdir = self.dir.join("files");
        let encode = |what, e: &dyn std::fmt::Display| WandbError::Encode { what, reason: e.to_string() };
        let yaml = files::config_yaml(&self.config).map_err(|e| encode("config.yaml", &e))?;
        write_atomic(&fdir.join(files::CONFIG_YAML), yaml.as_bytes())?;
        let json = |v: &Value| serde_json::to_vec_pretty(v).map_err(|e| encode("a JSON side file", &e));
        write_atomic(&fdir.join(files::SUMMARY_JSON), &json(&files::summary_json(&self.summary, runtime))?)?;
        let start = self.info.start_time.unwrap_or(UNIX_EPOCH);
        let meta = files::metadata_json(&sys::environment(start), &producer());
        write_atomic(&fdir.join(files::METADATA_JSON), &json(&meta)?)?;
        let out_path = fdir.join(files::OUTPUT_LOG);
        self.output.sync_all().map_err(|e| write_err(&out_path, e))
    }

    /// Stores a PNG under `files/media/images/` the way `wandb.Image` does and
    /// returns the value to put under `key` in the next [`WandbRun::log`] row
    /// (or in [`WandbRun::update_summary`]); the W&B UI shows it as an image.
    pub fn image_png(&mut self, key: &str, png: &[u8], caption: Option<&str>) -> Result<Value, WandbError> {
        let (width, height) = media::png_size(png).ok_or_else(|| WandbError::Encode {
            what: "an image",
            reason: format!("the bytes given for {key:?} are not a PNG file"),
        })?;
        let rel = media::image_path(key, self.step, png);
        let path = self.dir.join("files").join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| WandbError::CreateDir { path: parent.to_path_buf(), source: e })?;
        }
        write_atomic(&path, png)?;
        self.emit(records::FILES, records::files(&[rel.as_str()], records::FILE_OTHER))?;
        Ok(media::image_value(&rel, png, width, height, caption))
    }

    /// Reopens an offline run so a restarted process can go on logging.
    ///
    /// Keeps the records before history step `keep_steps` (the rows of epochs a
    /// checkpoint covers) and drops that row and everything after it, as well as
    /// earlier exit/final records; the log is rewritten atomically, and
    /// `files/output.log` is rebuilt from the kept console records. Numbering
    /// goes on from the last kept row, so no step appears twice. A log cut short
    /// by a kill is fine; a damaged record in the middle is an error.
    /// Log each row before saving the checkpoint that covers it, so the log never
    /// has fewer rows than the checkpoint ([`WandbRun::next_step`] tells).
    pub fn resume(run_dir: &Path, keep_steps: u64) -> Result<WandbRun, WandbError> {
        let path = find_log(run_dir)?;
        let corrupt = |reason: String| WandbError::Corrupt { path: path.clone(), reason };
        let bytes = std::fs::read(&path).map_err(|e| WandbError::Read { path: path.clone(), source: e })?;
        let decoded = framing::decode_log(&bytes);
        match &decoded.error {
            None | Some(framing::FrameError::Truncated(_)) => {}
            Some(e) => return Err(corrupt(e.to_string())),
        }
        let mut kept: Vec<&[u8]> = Vec::new();
        let mut info: Option<RunInfo> = None;
        let (mut config, mut summary) = (Map::new(), Map::new());
        let (mut num, mut next_step, mut runtime_offset) = (0i64, 0u64, 0.0f64);
        let mut lines = String::new();
        for (i, rec) in decoded.records.iter().enumerate() {
            let bad = |e: super::proto::DecodeError| corrupt(format!("record #{}: {e}", i + 1));
            let p = records::parse(rec).map_err(bad)?;
            match p.kind {
                records::EXIT | records::FINAL => continue,
                records::RUN if info.is_none() => {
                    let (run, initial) = records::parse_run(p.body).map_err(bad)?;
                    merge(&mut config, &run.config);
                    merge(&mut summary, &initial);
                    info = Some(run);
                }
                records::CONFIG => merge(&mut config, &records::items(p.body).map_err(bad)?),
                records::SUMMARY => {
                    // `_wandb.runtime` is wandb's own key, written again at the end.
                    let items = records::items(p.body).map_err(bad)?;
                    merge(
                        &mut summary,
                        &items.into_iter().filter(|(k, _)| !k.starts_with("_wandb")).collect::<Vec<_>>(),
                    );
                    for key in records::removed(p.body).map_err(bad)? {
                        summary.remove(&key);
                    }
                }
                records::OUTPUT_RAW => lines.push_str(&records::output_line(p.body).map_err(bad)?),
                records::HISTORY => {
                    let row = records::items(p.body).map_err(bad)?;
                    let step_item = row.iter().find(|(k, _)| k == "_step").and_then(|(_, v)| v.parse().ok());
                    let step = records::history_step(p.body).map_err(bad)?.or(step_item).unwrap_or(next_step);
                    if step >= keep_steps {
                        break;
                    }
                    next_step = step + 1;
                    if let Some(r) = row.iter().find(|(k, _)| k == "_runtime").and_then(|(_, v)| v.parse().ok()) {
                        runtime_offset = r;
                    }
                }
                _ => {}
            }
            num = num.max(p.num);
            kept.push(rec);
        }
        let info = info.ok_or_else(|| corrupt("no run record".into()))?;

        let log_bytes = framing::encode_log(kept.iter().copied());
        write_atomic(&path, &log_bytes)?;
        let output_path = run_dir.join("files").join(files::OUTPUT_LOG);
        std::fs::create_dir_all(run_dir.join("files"))
            .map_err(|e| WandbError::CreateDir { path: run_dir.join("files"), source: e })?;
        write_atomic(&output_path, lines.as_bytes())?;
        // Upload markers describe the old contents: `.synced` would make `wandb
        // sync` skip the run, `.syncstate` holds where a live sync stopped.
        for marker in ["wandb.synced", "wandb.syncstate"] {
            let _ = std::fs::remove_file(path.with_extension(marker));
        }
        let file = OpenOptions::new().append(true).open(&path).map_err(|e| write_err(&path, e))?;
        Ok(WandbRun {
            log: LogFile { file, path, offset: log_bytes.len() as u64 },
            output: open_append(&output_path)?,
            dir: run_dir.to_path_buf(),
            info,
            num,
            step: next_step,
            runtime_offset,
            started: Instant::now(),
            config,
            summary,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn run_id(&self) -> &str {
        &self.info.run_id
    }

    /// The `_step` the next [`WandbRun::log`] gets.
    pub fn next_step(&self) -> u64 {
        self.step
    }

    /// The summary so far: the latest value of every logged key.
    pub fn summary(&self) -> &Map<String, Value> {
        &self.summary
    }

    pub fn log_path(&self) -> &Path {
        &self.log.path
    }

    /// `wandb sync <dir>`, quoted for a POSIX shell when needed.
    pub fn sync_command(&self) -> String {
        let d = self.dir.display().to_string();
        let plain = d.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+:@%,".contains(&b));
        if plain { format!("wandb sync {d}") } else { format!("wandb sync '{}'", d.replace('\'', r"'\''")) }
    }
}

fn finite(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn merge(into: &mut Map<String, Value>, items: &[(String, String)]) {
    for (k, v) in items {
        into.insert(k.clone(), serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.clone())));
    }
}

fn open_append(path: &Path) -> Result<File, WandbError> {
    OpenOptions::new().create(true).append(true).open(path).map_err(|e| write_err(path, e))
}

fn find_log(run_dir: &Path) -> Result<PathBuf, WandbError> {
    let entries =
        std::fs::read_dir(run_dir).map_err(|e| WandbError::Read { path: run_dir.to_path_buf(), source: e })?;
    let mut logs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("run-") && name.ends_with(".wandb")
        })
        .collect();
    match logs.len() {
        0 => Err(WandbError::NoLog(run_dir.to_path_buf())),
        1 => Ok(logs.remove(0)),
        n => Err(WandbError::Corrupt {
            path: run_dir.to_path_buf(),
            reason: format!("{n} run-*.wandb files, expected one"),
        }),
    }
}

/// Points `wandb/latest-run` at the new run, as wandb does; cosmetic, so failures are ignored.
fn link_latest(root: &Path, dir: &Path) {
    #[cfg(unix)]
    if let Some(name) = dir.file_name() {
        let tmp = root.join(format!(".latest-run.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        if std::os::unix::fs::symlink(name, &tmp).is_ok() && std::fs::rename(&tmp, root.join("latest-run")).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    #[cfg(not(unix))]
    let _ = (root, dir);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(dir: &Path) -> WandbSettings {
        WandbSettings {
            display_name: "t".into(),
            run_id: Some("unit0001".into()),
            base_dir: dir.to_path_buf(),
            ..WandbSettings::default()
        }
    }

    /// `(kind, body)` of every record of the run's log.
    fn records_of(dir: &Path) -> Vec<(u32, Vec<u8>)> {
        let bytes = std::fs::read(find_log(dir).expect("log")).expect("read log");
        let decoded = framing::decode_log(&bytes);
        assert!(decoded.error.is_none(), "{:?}", decoded.error);
        decoded
            .records
            .iter()
            .map(|r| {
                let p = records::parse(r).expect("record");
                (p.kind, p.body.to_vec())
            })
            .collect()
    }

    /// The summary a reader rebuilds: updates and removals in log order.
    fn replayed_summary(records: &[(u32, Vec<u8>)]) -> Map<String, Value> {
        let mut summary = Map::new();
        for (_, body) in records.iter().filter(|(k, _)| *k == records::SUMMARY) {
            merge(&mut summary, &records::items(body).expect("items"));
            for key in records::removed(body).expect("removed") {
                summary.remove(&key);
            }
        }
        summary
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().expect("object").clone()
    }

    #[test]
    fn the_runtime_summary_comes_just_before_the_exit_record() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut run = WandbRun::create(settings(tmp.path())).expect("create");
        run.runtime_offset = 61.7;
        run.log(&obj(json!({"loss": 0.5}))).expect("log");
        let dir = run.finish(0).expect("finish");
        let records = records_of(&dir);
        let kinds: Vec<u32> = records.iter().map(|(k, _)| *k).collect();
        assert_eq!(&kinds[..3], &[records::HEADER, records::RUN, records::ENVIRONMENT]);
        assert_eq!(&kinds[kinds.len() - 3..], &[records::SUMMARY, records::EXIT, records::FINAL]);
        let last_summary = records::items(&records[kinds.len() - 3].1).expect("items");
        assert_eq!(last_summary, vec![("_wandb.runtime".into(), "61".into()), ("_runtime".into(), "61".into())]);
        assert_eq!(replayed_summary(&records)["_runtime"], json!(61));
    }

    #[test]
    fn a_resumed_run_can_drop_a_summary_key_of_its_interruption() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut run = WandbRun::create(settings(tmp.path())).expect("create");
        run.log(&obj(json!({"loss": 0.5}))).expect("log");
        run.update_summary(&obj(json!({"state": "interrupted", "reason": "terminated (SIGTERM)"}))).expect("summary");
        let dir = run.finish(143).expect("finish");

        let mut run = WandbRun::resume(&dir, 1).expect("resume");
        assert_eq!(run.summary()["reason"], json!("terminated (SIGTERM)"));
        // wandb's own `_wandb.runtime` is rewritten at the end, never carried as a plain key.
        assert!(!run.summary().keys().any(|k| k.starts_with("_wandb")), "{:?}", run.summary());
        run.log(&obj(json!({"loss": 0.4}))).expect("log");
        run.update_summary(&obj(json!({"state": "finished"}))).expect("summary");
        run.remove_summary(&["reason", "never_set"]).expect("remove");
        assert!(!run.summary().contains_key("reason"));
        let dir = run.finish(0).expect("finish");
        let summary = replayed_summary(&records_of(&dir));
        assert_eq!(summary["state"], json!("finished"));
        assert!(!summary.contains_key("reason"), "{summary:?}");
        // Reopening again keeps the removal.
        let again = WandbRun::resume(&dir, 2).expect("resume");
        assert!(!again.summary().contains_key("reason"));
    }
}
