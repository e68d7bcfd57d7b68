//! The `bayes` method: a Tree-structured Parzen Estimator (Bergstra et al.,
//! "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011).
//!
//! Finished runs are split at the `gamma` quantile of the loss into good and
//! bad ones; each parameter gets a density `l(x)` fitted to the good values
//! and `g(x)` fitted to the rest (Parzen windows with hyperopt's adaptive
//! bandwidths; smoothed counts for categories). Candidates are drawn from `l`
//! and the one with the largest `Σ log l(x)/g(x)` (proportional to expected
//! improvement) is run next. Running runs count as bad ("constant liar"), so
//! parallel workers do not all pick the same point, and a configuration
//! already run is never proposed again while an unseen one is found.

use super::space::{Config, Domain, Numeric, Prior, Rng, Space, gauss, pick_weighted, unit};
use super::value::Value;

#[derive(Clone, Debug)]
pub struct Tpe {
    /// Random configurations before the model is used.
    pub n_startup: usize,
    /// Share of finished runs that counts as good.
    pub gamma: f64,
    /// Candidates drawn from `l` per suggestion.
    pub n_candidates: usize,
}

impl Default for Tpe {
    fn default() -> Self {
        Tpe { n_startup: 10, gamma: 0.25, n_candidates: 64 }
    }
}

/// A finished run: its configuration and its loss (lower is better; `+inf` for a failed run).
pub type Observation = (Config, f64);

impl Tpe {
    pub fn suggest(&self, space: &Space, done: &[Observation], pending: &[Config], rng: &mut Rng) -> Config {
        let seen =
            |c: &Config| done.iter().any(|(d, _)| same_config(d, c)) || pending.iter().any(|p| same_config(p, c));
        let finite = done.iter().filter(|(_, l)| l.is_finite()).count();
        if finite < self.n_startup.max(2) {
            return fresh_random(space, rng, &seen);
        }
        let mut sorted: Vec<&Observation> = done.iter().collect();
        sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
        let n_good = ((self.gamma * finite as f64).ceil() as usize).clamp(1, 25);
        let good: Vec<&Config> = sorted[..n_good].iter().map(|(c, _)| c).collect();
        let bad: Vec<&Config> = sorted[n_good..].iter().map(|(c, _)| c).chain(pending.iter()).collect();

        let models: Vec<(&str, Model)> = space
            .params
            .iter()
            .filter(|(_, d)| !d.is_constant())
            .map(|(name, d)| (name.as_str(), Model::fit(d, name, &good, &bad)))
            .collect();

        let mut best: Option<(f64, Config)> = None;
        for _ in 0..self.n_candidates {
            let mut candidate = space.sample(rng);
            let mut score = 0.0;
            for (name, model) in &models {
                let (value, s) = model.draw(rng);
                score += s;
                candidate.insert(name.to_string(), value);
            }
            if seen(&candidate) {
                continue;
            }
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, candidate));
            }
        }
        match best {
            Some((_, c)) => c,
            None => fresh_random(space, rng, &seen),
        }
    }
}

/// A random configuration not yet seen, if one turns up in a few hundred draws.
fn fresh_random(space: &Space, rng: &mut Rng, seen: &dyn Fn(&Config) -> bool) -> Config {
    let mut c = space.sample(rng);
    for _ in 0..200 {
        if !seen(&c) {
            break;
        }
        c = space.sample(rng);
    }
    c
}

pub fn same_config(a: &Config, b: &Config) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && va.same(vb))
}

/// The pair of densities `l` (good) and `g` (bad) of one parameter.
enum Model<'a> {
    Categorical { values: &'a [Value], l: Vec<f64>, g: Vec<f64> },
    Numeric { numeric: &'a Numeric, l: Parzen, g: Parzen },
}

impl<'a> Model<'a> {
    fn fit(domain: &'a Domain, name: &str, good: &[&Config], bad: &[&Config]) -> Model<'a> {
        match domain {
            Domain::Categorical { values, weights } => {
                let counts = |set: &[&Config]| {
                    let total: f64 = weights.iter().sum();
                    // The prior adds one pseudo-observation spread by the YAML's weights.
                    let mut w: Vec<f64> = weights.iter().map(|x| x / total).collect();
                    for c in set {
                        if let Some(i) = c.get(name).and_then(|v| values.iter().position(|x| x.same(v))) {
                            w[i] += 1.0;
                        }
                    }
                    let sum: f64 = w.iter().sum();
                    w.iter().map(|x| x / sum).collect::<Vec<f64>>()
                };
                Model::Categorical { values, l: counts(good), g: counts(bad) }
            }
            Domain::Numeric(numeric) => {
                let xs = |set: &[&Config]| -> Vec<f64> {
                    set.iter().filter_map(|c| c.get(name).and_then(|v| numeric.x_of(v))).collect()
                };
                Model::Numeric {
                    numeric,
                    l: Parzen::fit(numeric.prior, &xs(good)),
                    g: Parzen::fit(numeric.prior, &xs(bad)),
                }
            }
            Domain::Constant(_) => unreachable!("constants are not modelled"),
        }
    }

    /// A value drawn from `l` and its log-ratio `log l - log g`.
    fn draw(&self, rng: &mut Rng) -> (Value, f64) {
        match self {
            Model::Categorical { values, l, g } => {
                let i = pick_weighted(l, rng);
                (values[i].clone(), l[i].ln() - g[i].ln())
            }
            Model::Numeric { numeric, l, g } => {
                let x = l.sample(rng);
                (numeric.value(x), l.log_pdf(x) - g.log_pdf(x))
            }
        }
    }
}

/// A mixture of equally weighted normals (one per observation plus the
/// prior), truncated to the prior's bounds when it has them.
struct Parzen {
    mus: Vec<f64>,
    sigmas: Vec<f64>,
    bounds: Option<(f64, f64)>,
}

impl Parzen {
    fn fit(prior: Prior, xs: &[f64]) -> Parzen {
        let (prior_mu, prior_sigma, bounds) = match prior {
            Prior::Uniform { lo, hi } => ((lo + hi) / 2.0, (hi - lo).max(1e-12), Some((lo, hi))),
            Prior::Normal { mu, sigma } => (mu, sigma, None),
        };
        let mut mus: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        mus.push(prior_mu);
        mus.sort_by(|a, b| a.total_cmp(b));
        // hyperopt's adaptive bandwidth: the larger gap to a neighbour, clipped.
        let n = mus.len();
        let (lo, hi) = bounds.unwrap_or((mus[0] - prior_sigma, mus[n - 1] + prior_sigma));
        let max_sigma = prior_sigma;
        let min_sigma = prior_sigma / (1.0 + n as f64).min(100.0);
        let mut sigmas: Vec<f64> = (0..n)
            .map(|i| {
                let left = if i == 0 { mus[i] - lo } else { mus[i] - mus[i - 1] };
                let right = if i + 1 == n { hi - mus[i] } else { mus[i + 1] - mus[i] };
                left.max(right).clamp(min_sigma, max_sigma)
            })
            .collect();
        if let Some(p) = mus.iter().position(|&m| m == prior_mu) {
            sigmas[p] = prior_sigma;
        }
        Parzen { mus, sigmas, bounds }
    }

    fn sample(&self, rng: &mut Rng) -> f64 {
        let i = (unit(rng) * self.mus.len() as f64) as usize;
        let i = i.min(self.mus.len() - 1);
        let (mu, sigma) = (self.mus[i], self.sigmas[i]);
        let Some((lo, hi)) = self.bounds else { return mu + sigma * gauss(rng) };
        for _ in 0..32 {
            let x = mu + sigma * gauss(rng);
            if (lo..=hi).contains(&x) {
                return x;
            }
        }
        mu.clamp(lo, hi)
    }

    fn log_pdf(&self, x: f64) -> f64 {
        let mut p = 0.0;
        for (&mu, &sigma) in self.mus.iter().zip(&self.sigmas) {
            let z = (x - mu) / sigma;
            let mass = match self.bounds {
                Some((lo, hi)) => (phi((hi - mu) / sigma) - phi((lo - mu) / sigma)).max(1e-12),
                None => 1.0,
            };
            p += (-0.5 * z * z).exp() / (sigma * (std::f64::consts::TAU).sqrt() * mass);
        }
        (p / self.mus.len() as f64).max(1e-300).ln()
    }
}

/// Standard normal CDF.
fn phi(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn erfc_matches_known_values() {
        for (x, want) in
            [(0.0, 1.0), (0.5, 0.479_500_122), (1.0, 0.157_299_207), (2.0, 0.004_677_735), (-1.0, 1.842_700_793)]
        {
            assert!((erfc(x) - want).abs() < 2e-7, "erfc({x})");
        }
    }

    #[test]
    fn parzen_density_integrates_to_one_within_bounds() {
        let p = Parzen::fit(Prior::Uniform { lo: 0.0, hi: 1.0 }, &[0.1, 0.15, 0.8]);
        let n = 10_000;
        let integral: f64 = (0..n).map(|i| p.log_pdf((i as f64 + 0.5) / n as f64).exp() / n as f64).sum();
        assert!((integral - 1.0).abs() < 1e-3, "{integral}");
    }

    #[test]
    fn the_model_concentrates_on_the_good_region() {
        // Good runs had x near 0.2, bad ones near 0.8: suggestions land near 0.2.
        let numeric =
            Numeric { prior: Prior::Uniform { lo: 0.0, hi: 1.0 }, log: false, q: None, int: false, clamp: None };
        let space = Space { params: vec![("momentum".into(), Domain::Numeric(numeric))] };
        let obs = |x: f64| -> Observation {
            ([("momentum".to_string(), Value::Float(x))].into_iter().collect(), (x - 0.2).abs())
        };
        let done: Vec<Observation> =
            [0.18, 0.22, 0.2, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.75, 0.65].into_iter().map(obs).collect();
        let mut rng = Rng::seed_from_u64(3);
        let tpe = Tpe::default();
        let near = (0..50)
            .filter(|_| {
                let c = tpe.suggest(&space, &done, &[], &mut rng);
                (c["momentum"].as_f64().unwrap() - 0.2).abs() < 0.15
            })
            .count();
        assert!(near >= 40, "{near}/50 suggestions near the optimum");
    }
}
