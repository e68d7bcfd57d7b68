//! The wandb sweep YAML, read unchanged: the documented top-level keys, the
//! parameter forms of wandb's schema, hyperband early termination. Errors
//! point at the YAML line: serde_yaml locates syntax, type and unknown-key
//! errors; the checks made after parsing locate their key with [`locate`].

use super::error::{Result, SweepError};
use super::hyperband::Hyperband;
use super::locate::locate;
use super::space::{Domain, Numeric, Prior, Space};
use super::value::Value;
use crate::flags::{self, Kind};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Grid,
    Random,
    Bayes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    Maximize,
    /// wandb's default.
    #[default]
    Minimize,
}

#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub name: String,
    #[serde(default)]
    pub goal: Goal,
    /// The sweep ends once a run reaches this value.
    pub target: Option<f64>,
    /// Accepted for compatibility; ffn always imputes failed runs as the worst value.
    #[serde(skip_serializing)]
    pub impute: Option<String>,
    #[serde(skip_serializing)]
    pub impute_while_running: Option<String>,
}

impl Metric {
    /// `a` is better than `b`.
    pub fn better(&self, a: f64, b: f64) -> bool {
        match self.goal {
            Goal::Maximize => a > b,
            Goal::Minimize => a < b,
        }
    }

    /// The value as a loss (lower is better), the form the samplers use.
    pub fn as_loss(&self, v: f64) -> f64 {
        match self.goal {
            Goal::Maximize => -v,
            Goal::Minimize => v,
        }
    }
}

/// Per-epoch metrics `train` writes to `metrics.jsonl`, and end-of-run ones in `summary.json`.
pub const EPOCH_METRICS: &[&str] = &["val_accuracy", "val_loss", "accuracy", "loss"];
pub const SUMMARY_METRICS: &[&str] = &["best_val_accuracy", "test_accuracy", "test_loss"];

/// Flags the sweep itself sets for every run.
const SWEEP_OWNED: &[&str] = &["output_dir", "run_name", "wandb_group", "wandb_sweep_id", "resume"];

#[derive(Clone, Debug)]
pub struct SweepConfig {
    pub name: Option<String>,
    pub description: Option<String>,
    pub program: Option<String>,
    pub command: Option<Vec<String>>,
    pub project: Option<String>,
    pub entity: Option<String>,
    pub method: Method,
    pub metric: Option<Metric>,
    pub early_terminate: Option<Hyperband>,
    pub run_cap: Option<usize>,
    pub space: Space,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    method: Method,
    parameters: RawParams,
    name: Option<String>,
    description: Option<String>,
    program: Option<String>,
    command: Option<Vec<String>>,
    project: Option<String>,
    entity: Option<String>,
    metric: Option<Metric>,
    early_terminate: Option<RawEarlyTerminate>,
    run_cap: Option<u64>,
    // Valid wandb keys that do not change a local sweep.
    #[serde(rename = "apiVersion")]
    _api_version: Option<serde_yaml::Value>,
    #[serde(rename = "kind")]
    _kind: Option<serde_yaml::Value>,
    #[serde(rename = "controller")]
    _controller: Option<serde_yaml::Value>,
    #[serde(rename = "job")]
    _job: Option<serde_yaml::Value>,
    #[serde(rename = "image_uri")]
    _image_uri: Option<serde_yaml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEarlyTerminate {
    #[serde(rename = "type")]
    kind: EarlyTerminateType,
    min_iter: Option<u64>,
    max_iter: Option<u64>,
    s: Option<f64>,
    eta: Option<f64>,
    /// wandb's default is `true`.
    strict: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum EarlyTerminateType {
    Hyperband,
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Distribution {
    Constant,
    Categorical,
    CategoricalWProbabilities,
    IntUniform,
    Uniform,
    LogUniform,
    LogUniformValues,
    QUniform,
    QLogUniform,
    QLogUniformValues,
    Normal,
    QNormal,
    LogNormal,
    QLogNormal,
    InvLogUniform,
    InvLogUniformValues,
    Beta,
    QBeta,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawParam {
    distribution: Option<Distribution>,
    value: Option<serde_yaml::Value>,
    values: Option<Vec<serde_yaml::Value>>,
    probabilities: Option<Vec<f64>>,
    min: Option<serde_yaml::Number>,
    max: Option<serde_yaml::Number>,
    q: Option<serde_yaml::Number>,
    mu: Option<f64>,
    sigma: Option<f64>,
    a: Option<f64>,
    b: Option<f64>,
    parameters: Option<serde_yaml::Value>,
}

/// The parameters mapping in file order (duplicates are reported by name).
struct RawParams(Vec<(String, RawParam)>);

impl<'de> Deserialize<'de> for RawParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawParams;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping from train flag names to parameter settings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawParams, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<RawParam>()?;
                    out.push((key, value));
                }
                Ok(RawParams(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl SweepConfig {
    pub fn from_file(path: &Path) -> Result<SweepConfig> {
        let text = std::fs::read_to_string(path).map_err(SweepError::io(path))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a sweep YAML; `file` names it in error messages.
    pub fn parse(text: &str, file: &str) -> Result<SweepConfig> {
        let at = |path: &[&str], message: String| {
            let (line, column) = locate(text, path);
            SweepError::Yaml { file: file.to_string(), line, column, message }
        };
        let raw: RawSweep = serde_yaml::from_str(text).map_err(|e| {
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
            // The location leads the message; serde_yaml repeats it at the end.
            let message = e.to_string().replace(&format!(" at line {line} column {column}"), "");
            SweepError::Yaml { file: file.to_string(), line, column, message }
        })?;

        let mut params: Vec<(String, Domain)> = Vec::new();
        if raw.parameters.0.is_empty() {
            return Err(at(&["parameters"], "`parameters` is empty: list at least one train flag".into()));
        }
        for (name, p) in &raw.parameters.0 {
            if params.iter().any(|(n, _)| n == name) {
                return Err(at(&["parameters", name], format!("parameter `{name}` is given twice")));
            }
            let domain = parse_param(name, p).map_err(|(key, msg)| {
                let path: Vec<&str> = ["parameters", name.as_str()].into_iter().chain(key).collect();
                at(&path, format!("parameters.{name}: {msg}"))
            })?;
            params.push((name.clone(), domain));
        }
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let space = Space { params };

        let metric = raw.metric;
        if let Some(m) = &metric
            && !EPOCH_METRICS.contains(&m.name.as_str())
            && !SUMMARY_METRICS.contains(&m.name.as_str())
        {
            let known: Vec<&str> = EPOCH_METRICS.iter().chain(SUMMARY_METRICS).copied().collect();
            return Err(at(
                &["metric", "name"],
                format!("metric `{}` is not logged by train; use one of: {}", m.name, known.join(", ")),
            ));
        }
        if raw.method == Method::Bayes && metric.is_none() {
            return Err(at(&["method"], "method `bayes` needs a `metric` (name and goal) to model".into()));
        }
        if raw.method == Method::Grid
            && let Err(name) = space.grid()
        {
            return Err(at(
                &["parameters", name],
                format!(
                    "parameters.{name}: grid search needs `values`, `value`, `int_uniform` or a linear `q_uniform`; \
                     use method random or bayes for continuous distributions"
                ),
            ));
        }

        let early_terminate = match raw.early_terminate {
            None => None,
            Some(et) => {
                let EarlyTerminateType::Hyperband = et.kind;
                let Some(m) = &metric else {
                    return Err(at(&["early_terminate"], "hyperband early termination needs a `metric`".into()));
                };
                if !EPOCH_METRICS.contains(&m.name.as_str()) {
                    return Err(at(
                        &["metric", "name"],
                        format!(
                            "hyperband compares per-epoch values, but `{}` is only known at the end of a run",
                            m.name
                        ),
                    ));
                }
                let eta = et.eta.unwrap_or(3.0);
                let mut hb = Hyperband::new(et.min_iter, et.max_iter, et.s, eta)
                    .map_err(|(key, msg)| at(&["early_terminate", key], msg))?;
                hb.strict = et.strict.unwrap_or(true);
                Some(hb)
            }
        };
        let run_cap = match raw.run_cap {
            Some(0) => return Err(at(&["run_cap"], "run_cap must be at least 1".into())),
            Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            None => None,
        };
        if let Some(command) = &raw.command
            && !command.iter().any(|c| c.starts_with("${args"))
        {
            return Err(at(
                &["command"],
                "`command` passes no parameters: add ${args} (e.g. [${env}, ${program}, ${args}])".into(),
            ));
        }
        Ok(SweepConfig {
            name: raw.name,
            description: raw.description,
            program: raw.program,
            command: raw.command,
            project: raw.project,
            entity: raw.entity,
            method: raw.method,
            metric,
            early_terminate,
            run_cap,
            space,
        })
    }
}

/// An error inside one parameter: the key it is about (`None` = the parameter itself) and the message.
type ParamError = (Option<&'static str>, String);

fn parse_param(name: &str, p: &RawParam) -> Result<Domain, ParamError> {
    let Some(flag) = flags::flag(name) else {
        return Err((None, format!("`{name}` is not a train flag (see `train --help` for the long names)")));
    };
    if SWEEP_OWNED.contains(&name) {
        return Err((None, format!("`{name}` is set by the sweep for every run and cannot be swept")));
    }
    if matches!(flag.kind, Kind::Switch) {
        return Err((None, format!("`{name}` is a switch, not a value: pass it to `ffn sweep` instead")));
    }
    if p.parameters.is_some() {
        return Err((Some("parameters"), "nested parameters are not supported: train flags are flat".into()));
    }
    let number = |key: &'static str, n: &Option<serde_yaml::Number>| -> Result<f64, ParamError> {
        let n = n.as_ref().ok_or((None, format!("needs `{key}`")))?;
        n.as_f64().filter(|x| x.is_finite()).ok_or((Some(key), format!("`{key}` must be a finite number")))
    };
    let is_int = |n: &Option<serde_yaml::Number>| n.as_ref().is_some_and(|n| n.is_i64() || n.is_u64());

    let dist = match p.distribution {
        Some(d) => d,
        None if p.value.is_some() => Distribution::Constant,
        None if p.values.is_some() && p.probabilities.is_some() => Distribution::CategoricalWProbabilities,
        None if p.values.is_some() => Distribution::Categorical,
        None if p.min.is_some() || p.max.is_some() => {
            // wandb's schema: integer bounds mean int_uniform, any float bound uniform.
            if is_int(&p.min) && is_int(&p.max) { Distribution::IntUniform } else { Distribution::Uniform }
        }
        None => return Err((None, "needs `value`, `values`, or `min`/`max` (optionally with `distribution`)".into())),
    };
    let allowed: &[&str] = match dist {
        Distribution::Constant => &["value"],
        Distribution::Categorical => &["values"],
        Distribution::CategoricalWProbabilities => &["values", "probabilities"],
        Distribution::IntUniform
        | Distribution::Uniform
        | Distribution::LogUniform
        | Distribution::LogUniformValues => &["min", "max"],
        Distribution::QUniform | Distribution::QLogUniform | Distribution::QLogUniformValues => &["min", "max", "q"],
        Distribution::Normal | Distribution::LogNormal => &["mu", "sigma"],
        Distribution::QNormal | Distribution::QLogNormal => &["mu", "sigma", "q"],
        Distribution::InvLogUniform | Distribution::InvLogUniformValues | Distribution::Beta | Distribution::QBeta => {
            return Err((Some("distribution"), "this distribution is not supported by ffn's sweep; use log_uniform_values, uniform or a list of values".into()));
        }
    };
    let present: [(&'static str, bool); 9] = [
        ("value", p.value.is_some()),
        ("values", p.values.is_some()),
        ("probabilities", p.probabilities.is_some()),
        ("min", p.min.is_some()),
        ("max", p.max.is_some()),
        ("q", p.q.is_some()),
        ("mu", p.mu.is_some()),
        ("sigma", p.sigma.is_some()),
        ("a", p.a.is_some() || p.b.is_some()),
    ];
    for (key, there) in present {
        if there && !allowed.contains(&key) {
            return Err((Some(key), format!("`{key}` does not apply to distribution `{}`", dist_name(dist))));
        }
    }

    let check = |key: &'static str, v: &Value| check_value(flag.kind, v).map_err(|m| (Some(key), m));
    let scalar = |key: &'static str, y: &serde_yaml::Value| -> Result<Value, ParamError> {
        let v = Value::from_yaml(y)
            .ok_or((Some(key), "values must be plain scalars (numbers, names, true/false)".to_string()))?;
        check(key, &v)?;
        Ok(v)
    };

    let domain = match dist {
        Distribution::Constant => {
            let v = p.value.as_ref().ok_or((None, "needs `value`".to_string()))?;
            Domain::Constant(scalar("value", v)?)
        }
        Distribution::Categorical | Distribution::CategoricalWProbabilities => {
            let raw = p.values.as_ref().ok_or((None, "needs `values`".to_string()))?;
            if raw.is_empty() {
                return Err((Some("values"), "`values` is empty".into()));
            }
            let values = raw.iter().map(|y| scalar("values", y)).collect::<Result<Vec<_>, _>>()?;
            for (i, v) in values.iter().enumerate() {
                if values[..i].iter().any(|w| w.same(v)) {
                    return Err((Some("values"), format!("`{v}` is listed twice")));
                }
            }
            let weights = match &p.probabilities {
                None => vec![1.0; values.len()],
                Some(w) => {
                    if w.len() != values.len() || w.iter().any(|x| !x.is_finite() || *x < 0.0) {
                        return Err((Some("probabilities"), "needs one non-negative number per value".into()));
                    }
                    if (w.iter().sum::<f64>() - 1.0).abs() > 1e-6 {
                        return Err((Some("probabilities"), "probabilities must sum to 1".into()));
                    }
                    w.clone()
                }
            };
            Domain::Categorical { values, weights }
        }
        _ => {
            let q = match dist {
                Distribution::QUniform
                | Distribution::QLogUniform
                | Distribution::QLogUniformValues
                | Distribution::QNormal
                | Distribution::QLogNormal => {
                    let q = if p.q.is_some() { number("q", &p.q)? } else { 1.0 };
                    if q <= 0.0 {
                        return Err((Some("q"), "`q` must be greater than 0".into()));
                    }
                    Some(q)
                }
                _ => None,
            };
            // wandb emits integers for int_uniform and for an integer `q` (a missing q is the float 1.0).
            let int = dist == Distribution::IntUniform || (q.is_some() && is_int(&p.q));
            let (prior, log, clamp) = match dist {
                Distribution::Normal | Distribution::QNormal | Distribution::LogNormal | Distribution::QLogNormal => {
                    let sigma = p.sigma.unwrap_or(1.0);
                    if !(sigma > 0.0 && sigma.is_finite()) {
                        return Err((Some("sigma"), "`sigma` must be a positive number".into()));
                    }
                    let log = matches!(dist, Distribution::LogNormal | Distribution::QLogNormal);
                    (Prior::Normal { mu: p.mu.unwrap_or(0.0), sigma }, log, None)
                }
                _ => {
                    let (min, max) = (number("min", &p.min)?, number("max", &p.max)?);
                    if min > max {
                        return Err((Some("min"), format!("`min` ({min}) is greater than `max` ({max})")));
                    }
                    match dist {
                        Distribution::IntUniform => {
                            if !(is_int(&p.min) && is_int(&p.max)) {
                                return Err((Some("min"), "int_uniform needs whole-number `min` and `max`".into()));
                            }
                            // Half a step beyond each end so both ends are as likely as the rest.
                            (Prior::Uniform { lo: min - 0.5, hi: max + 0.5 }, false, Some((min, max)))
                        }
                        Distribution::LogUniformValues | Distribution::QLogUniformValues => {
                            if min <= 0.0 {
                                return Err((
                                    Some("min"),
                                    "log_uniform_values needs `min` > 0 (these are values, not exponents)".into(),
                                ));
                            }
                            (Prior::Uniform { lo: min.ln(), hi: max.ln() }, true, None)
                        }
                        Distribution::LogUniform | Distribution::QLogUniform => {
                            (Prior::Uniform { lo: min, hi: max }, true, None)
                        }
                        _ => (Prior::Uniform { lo: min, hi: max }, false, None),
                    }
                }
            };
            let numeric = Numeric { prior, log, q, int, clamp };
            check_numeric(flag.kind, &numeric)?;
            Domain::Numeric(numeric)
        }
    };
    Ok(domain)
}

fn dist_name(d: Distribution) -> String {
    // Debug is CamelCase; the YAML name is snake_case.
    let mut out = String::new();
    for (i, c) in format!("{d:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Does a distribution only produce values that `train` accepts for this flag?
fn check_numeric(kind: Kind, n: &Numeric) -> Result<(), ParamError> {
    match kind {
        Kind::Int { .. } if !n.int => {
            return Err((
                Some("distribution"),
                "this flag takes whole numbers: use int_uniform, or a q_ distribution with an integer `q` (e.g. q: 8)"
                    .into(),
            ));
        }
        Kind::Text | Kind::Int { .. } | Kind::Float { .. } => {}
        Kind::Choice(_) | Kind::Switch => {
            return Err((Some("distribution"), "this flag takes a name: list the choices under `values`".into()));
        }
    }
    if let Prior::Uniform { lo, hi } = n.prior {
        for (key, x) in [("min", lo), ("max", hi)] {
            // int_uniform's prior reaches half a step past its bounds; its values do not.
            let v = n.value(x);
            check_value(kind, &v).map_err(|m| (Some(key), format!("at `{key}` the value would be {v}: {m}")))?;
        }
    }
    Ok(())
}

/// Would `train` accept this value for a flag of this kind (as wandb's agent prints it)?
pub fn check_value(kind: Kind, v: &Value) -> Result<(), String> {
    match (kind, v) {
        (Kind::Text, _) => Ok(()),
        (Kind::Choice(names), Value::Str(s)) => {
            if names.find(s).is_some() {
                Ok(())
            } else {
                Err(format!("`{s}` is not one of: {}", names.names().join(", ")))
            }
        }
        (Kind::Choice(names), _) => Err(format!("`{v}` is not one of: {}", names.names().join(", "))),
        (Kind::Int { min }, Value::Int(i)) => {
            if *i >= min {
                Ok(())
            } else {
                Err(format!("{i} is too small: it must be at least {min}"))
            }
        }
        (Kind::Int { .. }, Value::Float(x)) => {
            Err(format!("{v} is not a whole number (train would reject `{v}`; write {})", x.round()))
        }
        (Kind::Int { .. }, _) => Err(format!("`{v}` is not a whole number")),
        (Kind::Float { min, max, min_exclusive, max_exclusive }, Value::Int(_) | Value::Float(_)) => {
            let x = v.as_f64().unwrap_or(f64::NAN);
            let low_ok = if min_exclusive { x > min } else { x >= min };
            let high_ok = if max_exclusive { x < max } else { x <= max };
            if x.is_finite() && low_ok && high_ok {
                Ok(())
            } else {
                let low = if min_exclusive { "(" } else { "[" };
                let high = if max_exclusive { ")" } else { "]" };
                Err(format!("{v} is out of range: it must be in {low}{min}, {max}{high}"))
            }
        }
        (Kind::Float { .. }, Value::Str(s)) => Err(format!(
            "`{s}` is not a number (YAML 1.1 readers such as wandb's need a dot in exponents: write 1.0e-4 or 0.0001)"
        )),
        (Kind::Float { .. }, _) => Err(format!("`{v}` is not a number")),
        (Kind::Switch, _) => Err("a switch takes no value".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hyperband(extra: &str) -> Hyperband {
        let yaml = format!(
            "method: random\nmetric: {{name: val_accuracy, goal: maximize}}\n\
             early_terminate: {{type: hyperband, min_iter: 2, eta: 3{extra}}}\nparameters:\n  epochs: {{values: [5]}}\n"
        );
        SweepConfig::parse(&yaml, "t.yaml").expect("valid").early_terminate.expect("hyperband")
    }

    #[test]
    fn hyperband_strict_follows_wandbs_default_and_the_yaml() {
        assert!(hyperband("").strict, "wandb's schema: strict defaults to true");
        assert!(hyperband(", strict: true").strict);
        assert!(!hyperband(", strict: false").strict);
    }
}
