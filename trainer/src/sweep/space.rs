//! The search space: one [`Domain`] per swept `train` flag, and how to draw,
//! enumerate and invert values. Numeric domains work in an internal
//! coordinate `x` (the log of the value for log distributions) where the
//! prior is uniform or normal; that is the space the bayes model smooths over.

use super::value::Value;
use rand_core::RngCore;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeMap;

pub type Rng = Xoshiro256PlusPlus;

/// One configuration: flag name → value, in name order (the order wandb's
/// agent builds `${args}` in, since it sorts the parameters).
pub type Config = BTreeMap<String, Value>;

#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    Constant(Value),
    /// `weights` are relative probabilities (all 1 unless `probabilities` was given).
    Categorical {
        values: Vec<Value>,
        weights: Vec<f64>,
    },
    Numeric(Numeric),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prior {
    Uniform { lo: f64, hi: f64 },
    Normal { mu: f64, sigma: f64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Numeric {
    /// The prior over the internal coordinate `x`.
    pub prior: Prior,
    /// value = exp(x) instead of x.
    pub log: bool,
    /// Rounded to a multiple of `q` (wandb's `q_` distributions).
    pub q: Option<f64>,
    /// Emitted as an integer (`int_uniform`, or an integer `q`).
    pub int: bool,
    /// Value bounds enforced after rounding (`int_uniform` only: wandb never
    /// returns a value outside `[min, max]` there).
    pub clamp: Option<(f64, f64)>,
}

impl Numeric {
    pub fn sample_x(&self, rng: &mut Rng) -> f64 {
        match self.prior {
            Prior::Uniform { lo, hi } => lo + (hi - lo) * unit(rng),
            Prior::Normal { mu, sigma } => mu + sigma * gauss(rng),
        }
    }

    pub fn value(&self, x: f64) -> Value {
        let mut v = if self.log { x.exp() } else { x };
        if let Some(q) = self.q {
            v = (v / q).round() * q;
        }
        if let Some((lo, hi)) = self.clamp {
            v = v.clamp(lo, hi);
        }
        if self.int { Value::Int(v.round() as i64) } else { Value::Float(v) }
    }

    /// The internal coordinate of a value (for observations fed to the model).
    pub fn x_of(&self, v: &Value) -> Option<f64> {
        let v = v.as_f64()?;
        if self.log { (v > 0.0).then(|| v.ln()) } else { Some(v) }
    }

    /// Every value of a finite, evenly spaced domain (for grid search).
    pub fn grid_values(&self) -> Option<Vec<Value>> {
        let Prior::Uniform { lo, hi } = self.prior else { return None };
        if self.log {
            return None;
        }
        if let Some((min, max)) = self.clamp.filter(|_| self.q.is_none()) {
            return Some((min as i64..=max as i64).map(Value::Int).collect());
        }
        let q = self.q?;
        let first = (lo / q - 1e-9).ceil() as i64;
        let last = (hi / q + 1e-9).floor() as i64;
        if last < first || last - first > 100_000 {
            return None;
        }
        Some((first..=last).map(|k| self.value(k as f64 * q)).collect())
    }
}

impl Domain {
    pub fn sample(&self, rng: &mut Rng) -> Value {
        match self {
            Domain::Constant(v) => v.clone(),
            Domain::Categorical { values, weights } => values[pick_weighted(weights, rng)].clone(),
            Domain::Numeric(n) => n.value(n.sample_x(rng)),
        }
    }

    pub fn grid_values(&self) -> Option<Vec<Value>> {
        match self {
            Domain::Constant(v) => Some(vec![v.clone()]),
            Domain::Categorical { values, .. } => Some(values.clone()),
            Domain::Numeric(n) => n.grid_values(),
        }
    }

    pub fn is_constant(&self) -> bool {
        matches!(self, Domain::Constant(_))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    /// Sorted by name.
    pub params: Vec<(String, Domain)>,
}

impl Space {
    pub fn sample(&self, rng: &mut Rng) -> Config {
        self.params.iter().map(|(name, d)| (name.clone(), d.sample(rng))).collect()
    }

    /// The names of the parameters that vary.
    pub fn swept(&self) -> impl Iterator<Item = &str> {
        self.params.iter().filter(|(_, d)| !d.is_constant()).map(|(n, _)| n.as_str())
    }

    /// Per-parameter grid values, or the name of the first parameter without a finite grid.
    pub fn grid(&self) -> Result<Vec<Vec<Value>>, &str> {
        self.params.iter().map(|(name, d)| d.grid_values().ok_or(name.as_str())).collect()
    }

    /// The number of grid points (saturating).
    pub fn grid_size(&self) -> Option<usize> {
        let grid = self.grid().ok()?;
        Some(grid.iter().fold(1usize, |acc, v| acc.saturating_mul(v.len())))
    }

    /// Grid point `i` in mixed radix, the last parameter varying fastest.
    pub fn grid_point(&self, grid: &[Vec<Value>], mut i: usize) -> Config {
        let mut picks = vec![0; grid.len()];
        for (k, values) in grid.iter().enumerate().rev() {
            picks[k] = i % values.len();
            i /= values.len();
        }
        self.params
            .iter()
            .zip(grid)
            .zip(picks)
            .map(|(((name, _), values), p)| (name.clone(), values[p].clone()))
            .collect()
    }
}

/// Uniform in [0, 1) with 53 bits.
pub fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Standard normal (Box–Muller).
pub fn gauss(rng: &mut Rng) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// An index drawn with probability proportional to `weights`.
pub fn pick_weighted(weights: &[f64], rng: &mut Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut r = unit(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if r < *w {
            return i;
        }
        r -= w;
    }
    weights.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    fn numeric(prior: Prior, log: bool, q: Option<f64>, int: bool) -> Numeric {
        Numeric { prior, log, q, int, clamp: None }
    }

    #[test]
    fn log_uniform_values_stay_in_range_and_cover_decades() {
        let n = numeric(Prior::Uniform { lo: 1e-4f64.ln(), hi: 1e-1f64.ln() }, true, None, false);
        let mut rng = Rng::seed_from_u64(7);
        let xs: Vec<f64> = (0..3000).map(|_| n.value(n.sample_x(&mut rng)).as_f64().unwrap()).collect();
        assert!(xs.iter().all(|&x| (1e-4..=1e-1).contains(&x)));
        // Each decade gets about a third of the draws.
        for (lo, hi) in [(1e-4, 1e-3), (1e-3, 1e-2), (1e-2, 1e-1)] {
            let share = xs.iter().filter(|&&x| x >= lo && x < hi).count() as f64 / xs.len() as f64;
            assert!((share - 1.0 / 3.0).abs() < 0.05, "{lo}..{hi}: {share}");
        }
    }

    #[test]
    fn q_uniform_rounds_to_multiples_and_enumerates_a_grid() {
        let n = numeric(Prior::Uniform { lo: 16.0, hi: 128.0 }, false, Some(16.0), true);
        let mut rng = Rng::seed_from_u64(1);
        for _ in 0..200 {
            let Value::Int(v) = n.value(n.sample_x(&mut rng)) else { panic!("not an int") };
            assert_eq!(v % 16, 0);
        }
        let grid: Vec<i64> = n.grid_values().unwrap().iter().map(|v| v.as_f64().unwrap() as i64).collect();
        assert_eq!(grid, vec![16, 32, 48, 64, 80, 96, 112, 128]);
    }

    #[test]
    fn grid_points_enumerate_the_product() {
        let space = Space {
            params: vec![
                ("a".into(), Domain::Categorical { values: vec![Value::Int(1), Value::Int(2)], weights: vec![1.0; 2] }),
                ("b".into(), Domain::Constant(Value::Str("x".into()))),
                (
                    "c".into(),
                    Domain::Categorical {
                        values: vec![Value::Int(3), Value::Int(4), Value::Int(5)],
                        weights: vec![1.0; 3],
                    },
                ),
            ],
        };
        let grid = space.grid().unwrap();
        assert_eq!(space.grid_size(), Some(6));
        let points: Vec<Config> = (0..6).map(|i| space.grid_point(&grid, i)).collect();
        for i in 0..6 {
            for j in 0..i {
                assert_ne!(points[i], points[j]);
            }
        }
        assert_eq!(points[1]["c"], Value::Int(4));
        assert_eq!(points[3]["a"], Value::Int(2));
    }
}
