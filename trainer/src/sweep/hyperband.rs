//! Hyperband early termination as wandb's sweep controller does it: at each
//! band (an epoch count) a running run continues only while its metric there
//! is within the best `1/eta` share of every run that reached the band.
//!
//! wandb reads band `b` at history index `b` (0-based, so the `b+1`-th logged
//! epoch); ffn reads it after epoch `b`, which is what `min_iter` ("the first
//! epoch to start trimming runs") says.

#[derive(Clone, Debug, PartialEq)]
pub struct Hyperband {
    /// Epochs at which runs are compared, ascending.
    pub bands: Vec<usize>,
    pub eta: f64,
}

/// Why a run should stop: the band it failed and the value it had to reach (loss form).
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
        Ok(Hyperband { bands, eta })
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
        let index = ((at.len() as f64) / self.eta) as usize;
        Some(at[index.min(at.len() - 1)])
    }

    /// Should the run with `history` stop now? It is judged at the last band
    /// it has reached, against all runs (itself included).
    pub fn judge(&self, history: &[f64], all: &[&[f64]]) -> Option<Verdict> {
        let band = *self.bands.iter().rev().find(|&&b| b <= history.len())?;
        let value = history[band - 1];
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
}
