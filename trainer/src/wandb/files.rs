//! The side files of a run folder (`files/`): wandb's own layout for config,
//! summary and metadata, so `wandb sync` uploads them next to the records and
//! people can read a run without a parser.

use serde_json::{Map, Value, json};
use serde_yaml::{Mapping, Value as Yaml};
use std::time::SystemTime;

pub const CONFIG_YAML: &str = "config.yaml";
pub const SUMMARY_JSON: &str = "wandb-summary.json";
pub const METADATA_JSON: &str = "wandb-metadata.json";
pub const OUTPUT_LOG: &str = "output.log";

/// `wandb_version: 1` then `key: {value: …}` per config entry, as wandb writes it.
pub fn config_yaml(config: &Map<String, Value>) -> Result<String, serde_yaml::Error> {
    let mut m = Mapping::new();
    m.insert("wandb_version".into(), 1.into());
    for (k, v) in config {
        let mut entry = Mapping::new();
        entry.insert("value".into(), serde_yaml::to_value(v)?);
        m.insert(Yaml::String(k.clone()), Yaml::Mapping(entry));
    }
    serde_yaml::to_string(&Yaml::Mapping(m))
}

/// The final summary plus `_wandb.runtime`, as in wandb-summary.json.
pub fn summary_json(summary: &Map<String, Value>, runtime_secs: i64) -> Value {
    let mut s = summary.clone();
    s.insert("_wandb".into(), json!({ "runtime": runtime_secs }));
    Value::Object(s)
}

pub fn metadata_json(host: &str, started: SystemTime, writer: &str) -> Value {
    let args: Vec<String> = std::env::args().collect();
    json!({
        "os": format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        "startedAt": super::sys::iso_utc(started),
        "program": args.first().cloned().unwrap_or_default(),
        "args": args.get(1..).unwrap_or_default(),
        "host": host,
        "executable": std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
        "root": std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default(),
        "cpu_count_logical": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "writer": writer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_yaml_has_wandb_shape() {
        let mut c = Map::new();
        c.insert("activation".into(), json!("tanh"));
        c.insert("sizes".into(), json!([64, 32]));
        let text = config_yaml(&c).expect("yaml");
        assert_eq!(text, "wandb_version: 1\nactivation:\n  value: tanh\nsizes:\n  value:\n  - 64\n  - 32\n");
    }
}
