//! The `wandb_internal.Record` messages a run log holds, built with the field
//! numbers of `shared/docs/wandb-offline-format.md` §5, and the little decoding
//! that reopening a log needs.

use super::proto::{self, DecodeError, Msg};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `Record` oneof members (field numbers).
pub const HISTORY: u32 = 2;
pub const SUMMARY: u32 = 3;
pub const CONFIG: u32 = 5;
pub const FILES: u32 = 6;
pub const OUTPUT_RAW: u32 = 13;
pub const RUN: u32 = 17;
pub const EXIT: u32 = 18;
pub const FINAL: u32 = 20;
pub const HEADER: u32 = 21;
pub const ENVIRONMENT: u32 = 26;
const NUM: u32 = 1;
const INFO: u32 = 200;

/// `min_consumer` that wandb 0.31 writes in its header record.
pub const MIN_CONSUMER: &str = "0.70.0";

/// One `Record`: sequence number, the oneof body, and `_info.stream_id` (the run id).
pub fn record(num: i64, kind: u32, body: Msg, stream_id: &str) -> Vec<u8> {
    Msg::new().int(NUM, num).message(kind, body).message(INFO, Msg::new().string(1, stream_id)).into_bytes()
}

/// `google.protobuf.Timestamp`.
pub fn timestamp(t: SystemTime) -> Msg {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    Msg::new().int(1, d.as_secs() as i64).int(2, i64::from(d.subsec_nanos()))
}

/// `ConfigItem` / `SummaryItem` / `HistoryItem`: `key` = 1, `value_json` = 16.
pub fn item(key: &str, value_json: &str) -> Msg {
    Msg::new().string(1, key).string(16, value_json)
}

/// `ConfigRecord` / `SummaryRecord` with only `update` items.
pub fn updates<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Msg {
    Msg::new().messages(1, items.into_iter().map(|(k, v)| item(k, v)))
}

/// `SummaryRecord` whose `remove` items (field 2) delete `keys`, as
/// `del run.summary[key]` does in wandb.
pub fn removals<'a>(keys: impl IntoIterator<Item = &'a str>) -> Msg {
    Msg::new().messages(2, keys.into_iter().map(|k| Msg::new().string(1, k)))
}

/// The summary record wandb writes just before the exit record (and now and
/// then during a run): `_wandb.runtime` and `_runtime`, whole seconds. wandb-core
/// takes the run's duration from here; it ignores `RunExitRecord.runtime`.
pub fn runtime_summary(runtime_secs: i64) -> Msg {
    let secs = runtime_secs.to_string();
    let nested = Msg::new().strings(2, &["_wandb", "runtime"]).string(16, &secs);
    Msg::new().message(1, nested).message(1, item("_runtime", &secs))
}

pub fn header(producer: &str) -> Msg {
    Msg::new().message(1, Msg::new().string(1, producer).string(2, MIN_CONSUMER))
}

/// What goes into the `RunRecord`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunInfo {
    pub run_id: String,
    pub entity: String,
    pub project: String,
    /// `(key, value_json)` in the order they should be written.
    pub config: Vec<(String, String)>,
    pub group: String,
    pub job_type: String,
    pub display_name: String,
    pub tags: Vec<String>,
    pub sweep_id: String,
    pub host: String,
    pub start_time: Option<SystemTime>,
}

pub fn run(info: &RunInfo) -> Msg {
    let mut m = Msg::new()
        .string(1, &info.run_id)
        .string(2, &info.entity)
        .string(3, &info.project)
        .message(4, updates(info.config.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
        .string(6, &info.group)
        .string(7, &info.job_type)
        .string(8, &info.display_name)
        .strings(10, &info.tags)
        .string(12, &info.sweep_id)
        .string(13, &info.host);
    if let Some(t) = info.start_time {
        m = m.message(17, timestamp(t));
    }
    m
}

/// What `EnvironmentRecord` says about the process that wrote the run; wandb
/// shows it as the run's system metadata (OS, host, command, CPUs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Environment {
    pub os: String,
    pub started_at: Option<SystemTime>,
    pub args: Vec<String>,
    pub program: String,
    pub root: String,
    pub host: String,
    pub executable: String,
    pub cpu_count_logical: u32,
}

pub fn environment(env: &Environment) -> Msg {
    let mut m = Msg::new().string(1, &env.os);
    if let Some(t) = env.started_at {
        m = m.message(3, timestamp(t));
    }
    m.strings(5, &env.args)
        .string(6, &env.program)
        .string(11, &env.root)
        .string(12, &env.host)
        .string(14, &env.executable)
        .uint(17, u64::from(env.cpu_count_logical))
}

/// `HistoryRecord`: the items, then `step.num`.
pub fn history<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>, step: u64) -> Msg {
    Msg::new().messages(1, items.into_iter().map(|(k, v)| item(k, v))).message(2, Msg::new().uint(1, step))
}

/// `OutputRawRecord` on stdout (enum value 1).
pub fn output_raw(at: SystemTime, line: &str) -> Msg {
    Msg::new().uint(1, 1).message(2, timestamp(at)).string(3, line)
}

/// `FilesItem.type` values.
pub const FILE_OTHER: u64 = 0;
pub const FILE_WANDB: u64 = 1;

/// `FilesRecord` with policy NOW (0): upload `files/<path>` as it is at sync
/// time. wandb marks its own files (config, summary, metadata, console) WANDB
/// and media files OTHER.
pub fn files<S: AsRef<str>>(paths: &[S], file_type: u64) -> Msg {
    Msg::new().messages(1, paths.iter().map(|p| Msg::new().string(1, p.as_ref()).uint(3, file_type)))
}

pub fn exit(exit_code: i32, runtime_secs: i32) -> Msg {
    Msg::new().int(1, i64::from(exit_code)).int(2, i64::from(runtime_secs))
}

/// A record split into the parts resuming needs.
#[derive(Debug, Clone, Copy)]
pub struct Parsed<'a> {
    pub num: i64,
    /// Field number of the oneof member (0 when the record has none).
    pub kind: u32,
    pub body: &'a [u8],
}

pub fn parse(record: &[u8]) -> Result<Parsed<'_>, DecodeError> {
    let mut p = Parsed { num: 0, kind: 0, body: &[] };
    for f in proto::fields(record) {
        match f? {
            (NUM, v) => p.num = v.as_u64().ok_or(DecodeError::FieldType { field: NUM })? as i64,
            (INFO, _) => {}
            (field, v) if (2..=199).contains(&field) && field != 16 && field != 19 => {
                p.kind = field;
                p.body = v.as_bytes().ok_or(DecodeError::FieldType { field })?;
            }
            _ => {}
        }
    }
    Ok(p)
}

/// `(key, value_json)` of the repeated items in field 1 of a config, summary or
/// history body; nested keys are joined with '.', as wandb's own tools show them.
pub fn items(body: &[u8]) -> Result<Vec<(String, String)>, DecodeError> {
    let mut out = Vec::new();
    for f in proto::fields(body) {
        let (field, v) = f?;
        if field != 1 {
            continue;
        }
        let (mut key, mut nested, mut value) = (String::new(), Vec::new(), String::new());
        for g in proto::fields(v.as_bytes().ok_or(DecodeError::FieldType { field })?) {
            match g? {
                (1, v) => key = v.as_str().ok_or(DecodeError::FieldType { field: 1 })?.to_owned(),
                (2, v) => nested.push(v.as_str().ok_or(DecodeError::FieldType { field: 2 })?.to_owned()),
                (16, v) => value = v.as_str().ok_or(DecodeError::FieldType { field: 16 })?.to_owned(),
                _ => {}
            }
        }
        out.push((if nested.is_empty() { key } else { nested.join(".") }, value));
    }
    Ok(out)
}

/// The keys a summary body removes (its `remove` items, field 2), joined like [`items`].
pub fn removed(body: &[u8]) -> Result<Vec<String>, DecodeError> {
    let mut out = Vec::new();
    for f in proto::fields(body) {
        let (field, v) = f?;
        if field != 2 {
            continue;
        }
        let (mut key, mut nested) = (String::new(), Vec::new());
        for g in proto::fields(v.as_bytes().ok_or(DecodeError::FieldType { field })?) {
            match g? {
                (1, v) => key = v.as_str().ok_or(DecodeError::FieldType { field: 1 })?.to_owned(),
                (2, v) => nested.push(v.as_str().ok_or(DecodeError::FieldType { field: 2 })?.to_owned()),
                _ => {}
            }
        }
        out.push(if nested.is_empty() { key } else { nested.join(".") });
    }
    Ok(out)
}

/// `step.num` of a history body, if present.
pub fn history_step(body: &[u8]) -> Result<Option<u64>, DecodeError> {
    for f in proto::fields(body) {
        if let (2, v) = f? {
            let mut num = 0;
            for g in proto::fields(v.as_bytes().ok_or(DecodeError::FieldType { field: 2 })?) {
                if let (1, n) = g? {
                    num = n.as_u64().ok_or(DecodeError::FieldType { field: 1 })?;
                }
            }
            return Ok(Some(num));
        }
    }
    Ok(None)
}

/// The `RunRecord` back into [`RunInfo`] (config and summary items included).
pub fn parse_run(body: &[u8]) -> Result<(RunInfo, Vec<(String, String)>), DecodeError> {
    let mut info = RunInfo::default();
    let mut summary = Vec::new();
    let text = |v: proto::Value<'_>, field| v.as_str().map(str::to_owned).ok_or(DecodeError::FieldType { field });
    for f in proto::fields(body) {
        match f? {
            (1, v) => info.run_id = text(v, 1)?,
            (2, v) => info.entity = text(v, 2)?,
            (3, v) => info.project = text(v, 3)?,
            (4, v) => info.config = items(v.as_bytes().ok_or(DecodeError::FieldType { field: 4 })?)?,
            (5, v) => summary = items(v.as_bytes().ok_or(DecodeError::FieldType { field: 5 })?)?,
            (6, v) => info.group = text(v, 6)?,
            (7, v) => info.job_type = text(v, 7)?,
            (8, v) => info.display_name = text(v, 8)?,
            (10, v) => info.tags.push(text(v, 10)?),
            (12, v) => info.sweep_id = text(v, 12)?,
            (13, v) => info.host = text(v, 13)?,
            (17, v) => {
                let (mut secs, mut nanos) = (0u64, 0u64);
                for g in proto::fields(v.as_bytes().ok_or(DecodeError::FieldType { field: 17 })?) {
                    match g? {
                        (1, n) => secs = n.as_u64().unwrap_or(0),
                        (2, n) => nanos = n.as_u64().unwrap_or(0),
                        _ => {}
                    }
                }
                info.start_time = Some(UNIX_EPOCH + Duration::new(secs, (nanos % 1_000_000_000) as u32));
            }
            _ => {}
        }
    }
    Ok((info, summary))
}

/// The `line` of an `OutputRawRecord`.
pub fn output_line(body: &[u8]) -> Result<String, DecodeError> {
    for f in proto::fields(body) {
        if let (3, v) = f? {
            return v.as_str().map(str::to_owned).ok_or(DecodeError::FieldType { field: 3 });
        }
    }
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_record_round_trips() {
        let info = RunInfo {
            run_id: "abc12345".into(),
            entity: "e".into(),
            project: "p".into(),
            config: vec![("lr".into(), "0.001".into()), ("activation".into(), "\"tanh\"".into())],
            group: "g".into(),
            job_type: "train".into(),
            display_name: "hl_3".into(),
            tags: vec!["a".into(), "b".into()],
            sweep_id: "sw1".into(),
            host: "h".into(),
            start_time: Some(UNIX_EPOCH + Duration::new(1_764_138_000, 250_000_000)),
        };
        let rec = record(2, RUN, run(&info), "abc12345");
        let p = parse(&rec).expect("valid record");
        assert_eq!((p.num, p.kind), (2, RUN));
        let (back, summary) = parse_run(p.body).expect("valid run");
        assert_eq!(back, info);
        assert!(summary.is_empty());
    }

    #[test]
    fn history_items_and_step_decode() {
        let rec = record(5, HISTORY, history([("loss", "0.5"), ("_step", "3")], 3), "x");
        let p = parse(&rec).expect("valid record");
        assert_eq!(p.kind, HISTORY);
        assert_eq!(history_step(p.body), Ok(Some(3)));
        assert_eq!(items(p.body).expect("items"), vec![("loss".into(), "0.5".into()), ("_step".into(), "3".into())]);
        // Step 0 is the proto3 default, so step.num is absent but step itself is present.
        let zero = record(1, HISTORY, history([], 0), "x");
        assert_eq!(history_step(parse(&zero).expect("valid").body), Ok(Some(0)));
    }

    #[test]
    fn runtime_summary_has_wandbs_keys() {
        let rec = record(7, SUMMARY, runtime_summary(42), "x");
        let body = parse(&rec).expect("valid").body;
        assert_eq!(
            items(body).expect("items"),
            vec![("_wandb.runtime".into(), "42".into()), ("_runtime".into(), "42".into())]
        );
        // Byte for byte what wandb 0.31 writes: nested_key _wandb, runtime; then key _runtime.
        let first = [0x0A, 0x16, 0x12, 0x06, b'_', b'w', b'a', b'n', b'd', b'b', 0x12, 0x07];
        assert_eq!(&runtime_summary(42).as_bytes()[..first.len()], &first);
    }

    #[test]
    fn removals_decode_as_removed_keys() {
        let rec = record(3, SUMMARY, removals(["reason", "state"]), "x");
        let body = parse(&rec).expect("valid").body;
        assert_eq!(removed(body).expect("removed"), vec!["reason".to_string(), "state".to_string()]);
        assert!(items(body).expect("items").is_empty());
    }

    #[test]
    fn environment_fields_in_order() {
        let env =
            Environment { os: "linux-x86_64".into(), host: "h".into(), cpu_count_logical: 2, ..Environment::default() };
        assert_eq!(
            environment(&env).into_bytes(),
            [&[0x0A, 12][..], b"linux-x86_64", &[0x62, 1, b'h', 0x88, 0x01, 2]].concat()
        );
    }

    #[test]
    fn empty_oneof_member_is_still_written() {
        let rec = record(9, FINAL, Msg::new(), "");
        assert_eq!(rec, vec![0x08, 9, 0xA2, 0x01, 0, 0xC2, 0x0C, 0]);
        assert_eq!(parse(&rec).expect("valid").kind, FINAL);
    }
}
