//! Hyperband early termination as wandb's sweep engine does it
//! (`sweeps` 0.3.0, `hyperband_stopping.py`): bands are epoch counts
//! (`min_iter`, `min_iter·eta`, … or `max_iter/eta`, `max_iter/eta²`, …); the
//! threshold of band `b` is the value at rank `⌊len/eta⌋` (best first) among
//! the metric after epoch `b` of every run that reached it; a running run is
//! judged at the last band it has reached.
//!
//! What is compared against that threshold is the `strict` key of
//! `early_terminate` (default `true` in wandb's schema): strict takes the
//! run's metric after epoch `b` (the original algorithm); `strict: false`
//! takes the best value of its whole history so far, which stops fewer runs.
//! wandb drops non-finite values from a history before indexing it; ffn
//! keeps epochs in place and treats a non-finite value as failing its band.

#[derive(Clone, Debug, PartialEq)]
pub struct Hyperband {
    /// Epochs at which runs are compared, ascending.
    pub bands: Vec<usize>,
    pub eta: f64,
    /// Judge a run by its value at the band (true), or by its best value so far.
    pub strict: bool,
}

/// Why a run should stop: the band it failed, the value judged (at the band
/// when strict, else the best so far) and the one it had to reach, in loss form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    pub band: usize,
    pub value: f64,
    pub threshold: f64,
}

impl Hyperband {
    /// From the YAML's `min_iter`, or `max_iter` and `s`; errors name the key at fault.
    pub fn new(
        min_iter: Option<u64>,
        max_iter: Option<u64>,
        s: Option<f64>,
        eta: f64,
    ) -> Result<Hyperband, (&'static str, String)> {
        if !(eta > 1.0 && eta.is_finite()) {
            return Err(("eta", format!("`eta` must be a number greater than 1, not {eta}")));
        }
        let mut bands = Vec::new();
        match (min_iter, max_iter) {
            (Some(0), _) => return Err(("min_iter", "`min_iter` must be at least 1".into())),
            (Some(min_iter), _) => {
                let mut band = min_iter as f64;
                // Bands beyond any sensible epoch count never trigger; cap the list.
                while band <= 1e6 && bands.len() < 100 {
                    bands.push(band as usize);
                    band *= eta;
                }
            }
            (None, Some(max_iter)) => {
                let Some(s) = s else { return Err(("max_iter", "`max_iter` needs `s` (the number of bands)".into())) };
                let mut band = max_iter as f64;
                for _ in 0..(s.max(0.0) as usize) {
                    band /= eta;
                    if band < 1.0 {
                        break;
                    }
                    bands.push(band as usize);
                }
                bands.sort_unstable();
            }
            (None, None) => return Err(("type", "hyperband needs `min_iter`, or `max_iter` and `s`".into())),
        }
        bands.dedup();
        if bands.is_empty() {
            return Err(("s", "these settings give no band: increase `s` or `max_iter`, or decrease `eta`".into()));
        }
        Ok(Hyperband { bands, eta, strict: true })
    }

    /// The threshold at `band` over every run's history (loss form: lower is
    /// better; `h[e-1]` = epoch `e`), or `None` when no run reached it.
    pub fn threshold(&self, band: usize, all: &[&[f64]]) -> Option<f64> {
        let mut at: Vec<f64> =
            all.iter().filter(|h| h.len() >= band).map(|h| h[band - 1]).filter(|v| v.is_finite()).collect();
        if at.is_empty() {
            return None;
        }
        at.sort_by(|a, b| a.total_cmp(b));
        // `int(r * len)` with `r = 1/eta`, as wandb computes it (not `len/eta`,
        // which can round the other way).
        let index = ((1.0 / self.eta) * at.len() as f64) as usize;
        Some(at[index.min(at.len() - 1)])
    }

    /// Should the run with `history` stop now? It is judged at the last band
    /// it has reached, against all runs (itself included).
    pub fn judge(&self, history: &[f64], all: &[&[f64]]) -> Option<Verdict> {
        let band = *self.bands.iter().rev().find(|&&b| b <= history.len())?;
        let value = if self.strict {
            history[band - 1]
        } else {
            history.iter().copied().filter(|v| v.is_finite()).reduce(f64::min).unwrap_or(f64::NAN)
        };
        let threshold = self.threshold(band, all)?;
        // A NaN metric (divergence) is never within the threshold.
        (value.is_nan() || value > threshold).then_some(Verdict { band, value, threshold })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_from_min_iter_and_from_max_iter() {
        let hb = Hyperband::new(Some(2), None, None, 3.0).unwrap();
        assert_eq!(&hb.bands[..4], &[2, 6, 18, 54]);
        // wandb's example: max_iter 27, eta 3, s 3 → 1, 3, 9.
        let hb = Hyperband::new(None, Some(27), Some(3.0), 3.0).unwrap();
        assert_eq!(hb.bands, vec![1, 3, 9]);
        assert!(Hyperband::new(None, Some(2), Some(3.0), 3.0).is_err());
        assert!(Hyperband::new(Some(1), None, None, 1.0).is_err());
        assert!(Hyperband::new(None, None, None, 3.0).is_err());
    }

    #[test]
    fn stops_runs_outside_the_top_share_at_a_band() {
        // Loss form. Three finished runs reached epoch 3 with 0.1, 0.2, 0.3.
        let hb = Hyperband::new(Some(3), None, None, 3.0).unwrap();
        let a = [0.5, 0.3, 0.1, 0.1];
        let b = [0.5, 0.3, 0.2, 0.2];
        let c = [0.5, 0.4, 0.3];
        let runs: [&[f64]; 3] = [&a, &b, &c];
        // index floor(3/3) = 1 → threshold 0.2: c (0.3) stops, a and b pass.
        assert_eq!(hb.threshold(3, &runs), Some(0.2));
        assert_eq!(hb.judge(&c, &runs), Some(Verdict { band: 3, value: 0.3, threshold: 0.2 }));
        assert_eq!(hb.judge(&b, &runs), None);
        assert_eq!(hb.judge(&a, &runs), None);
        // Before its first band a run is never judged.
        let d = [9.0, 9.0];
        assert_eq!(hb.judge(&d, &[&a, &b, &c, &d]), None);
        // A lone run passes its own band.
        assert_eq!(hb.judge(&c, &[&c]), None);
    }

    /// The example of `hyperband_stop_runs`' docstring in wandb's `sweeps`
    /// 0.3.0 (max_iter 5, eta 2, s 2 → bands 1 and 2; loss, minimised), plus a
    /// run `g` good before its band and worse at it. `hyperband_stop_runs`
    /// itself stops [b] without `strict` and with `strict: true`, [b] with
    /// `strict: false`; with `g` added, [b, g], [b, g] and [b].
    #[test]
    fn wandbs_own_example_strict_and_not() {
        let a = [10.0, 9.0]; // finished
        let b = [10.0, 10.0];
        let c = [10.0, 8.0, 8.0];
        let d = [10.0, 7.0, 7.0];
        let e = [10.0, 6.0, 6.0]; // finished
        let runs: [&[f64]; 5] = [&a, &b, &c, &d, &e];
        let mut hb = Hyperband::new(None, Some(5), Some(2.0), 2.0).unwrap();
        assert_eq!(hb.bands, vec![1, 2]);
        assert!(hb.strict, "wandb's schema defaults strict to true");
        // Band 2 values 9, 10, 8, 7, 6 → sorted 6 7 8 9 10, index int(0.5·5) = 2 → 8.
        assert_eq!(hb.threshold(2, &runs), Some(8.0));
        let running = [&b[..], &c, &d];
        let stops: Vec<bool> = running.iter().map(|h| hb.judge(h, &runs).is_some()).collect();
        assert_eq!(stops, [true, false, false]);
        assert_eq!(hb.judge(&b, &runs), Some(Verdict { band: 2, value: 10.0, threshold: 8.0 }));
        let g = [7.5, 9.5];
        let with_g: [&[f64]; 4] = [&b, &c, &d, &g];
        let all: [&[f64]; 6] = [&a, &b, &c, &d, &e, &g];
        // Band 2 values 9, 10, 8, 7, 6, 9.5 → index int(0.5·6) = 3 → 9.
        assert_eq!(hb.threshold(2, &all), Some(9.0));
        let judged = |hb: &Hyperband| -> Vec<usize> {
            (0..with_g.len()).filter(|&i| hb.judge(with_g[i], &all).is_some()).collect()
        };
        assert_eq!(judged(&hb), [0, 3], "strict: b and g stop");
        assert_eq!(hb.judge(&g, &all), Some(Verdict { band: 2, value: 9.5, threshold: 9.0 }));
        hb.strict = false;
        assert_eq!(judged(&hb), [0], "not strict: g's best so far, 7.5, is within 9");
    }

    #[test]
    fn the_threshold_rank_is_computed_as_wandb_does() {
        // eta 3 over 3 runs: int((1/3)·3) = int(1.0) = 1, the second best.
        let hb = Hyperband::new(Some(1), None, None, 3.0).unwrap();
        let (a, b, c) = ([0.1], [0.2], [0.3]);
        assert_eq!(hb.threshold(1, &[&a, &b, &c]), Some(0.2));
        // eta 10 over 30 runs: int(0.1·30) = int(3.0000000000000004) = 3.
        let hb = Hyperband::new(Some(1), None, None, 10.0).unwrap();
        let values: Vec<[f64; 1]> = (0..30).map(|i| [i as f64]).collect();
        let all: Vec<&[f64]> = values.iter().map(|v| &v[..]).collect();
        assert_eq!(hb.threshold(1, &all), Some(3.0));
        // Where the two roundings part: eta 3.7 over 37 runs, int((1/3.7)·37) =
        // int(9.999…) = 9 as wandb has it, where int(37/3.7) = 10.
        let hb = Hyperband::new(Some(1), None, None, 3.7).unwrap();
        let values: Vec<[f64; 1]> = (0..37).map(|i| [i as f64]).collect();
        let all: Vec<&[f64]> = values.iter().map(|v| &v[..]).collect();
        assert_eq!(hb.threshold(1, &all), Some(9.0));
    }
}
