//! Samples of one measurement and the two numbers reported for them: the
//! minimum (the machine's best) and the median (the typical run).

#[derive(Clone, Debug, Default)]
pub(crate) struct Samples(pub Vec<f64>);

impl Samples {
    pub(crate) fn push(&mut self, seconds: f64) {
        self.0.push(seconds);
    }

    pub(crate) fn min(&self) -> Option<f64> {
        self.0.iter().copied().reduce(f64::min)
    }

    pub(crate) fn median(&self) -> Option<f64> {
        let mut v = self.0.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        Some(if !v.len().is_multiple_of(2) {
            v[mid]
        } else {
            (v[mid - 1] + v[mid]) / 2.0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_and_median() {
        assert_eq!(Samples(vec![]).median(), None);
        assert_eq!(Samples(vec![3.0, 1.0, 2.0]).median(), Some(2.0));
        assert_eq!(Samples(vec![4.0, 1.0, 2.0, 3.0]).median(), Some(2.5));
        assert_eq!(Samples(vec![4.0, 1.0, 2.0]).min(), Some(1.0));
    }
}
