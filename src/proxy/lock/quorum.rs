//! Redlock's arithmetic, kept free of I/O so it can be tested exhaustively: the
//! quorum size, and how long a grant stays valid after clock drift and the time the
//! acquisition itself took.

use std::time::Duration;

/// Majority of `n` voters: `n / 2 + 1`.
pub fn quorum(n: usize) -> usize {
    n / 2 + 1
}

/// Drift allowance for a TTL: `ttl × drift_factor + 2 ms` (the reference numbers).
pub fn drift(ttl: Duration, drift_factor: f64) -> Duration {
    Duration::from_secs_f64(ttl.as_secs_f64() * drift_factor.max(0.0)) + Duration::from_millis(2)
}

/// Remaining validity of a grant: `ttl − elapsed − drift`, or `None` when that is not
/// positive (the lock must then be treated as not acquired). Never underflows.
pub fn validity(ttl: Duration, elapsed: Duration, drift_factor: f64) -> Option<Duration> {
    ttl.checked_sub(elapsed)?
        .checked_sub(drift(ttl, drift_factor))
        .filter(|v| !v.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_is_a_strict_majority() {
        assert_eq!(quorum(1), 1);
        assert_eq!(quorum(2), 2);
        assert_eq!(quorum(3), 2);
        assert_eq!(quorum(4), 3);
        assert_eq!(quorum(5), 3);
    }

    #[test]
    fn validity_subtracts_elapsed_and_drift() {
        let ttl = Duration::from_millis(10_000);
        // drift = 100 ms + 2 ms
        assert_eq!(
            validity(ttl, Duration::from_millis(40), 0.01),
            Some(Duration::from_millis(9_858))
        );
        assert_eq!(validity(ttl, Duration::from_millis(9_898), 0.01), None);
        assert_eq!(
            validity(ttl, Duration::from_millis(9_897), 0.01),
            Some(Duration::from_millis(1))
        );
    }

    #[test]
    fn tiny_and_elapsed_ttls_never_underflow() {
        assert_eq!(
            validity(Duration::from_millis(1), Duration::ZERO, 0.01),
            None
        );
        assert_eq!(
            validity(Duration::from_millis(2), Duration::ZERO, 0.0),
            None
        );
        assert_eq!(
            validity(Duration::from_millis(3), Duration::ZERO, 0.0),
            Some(Duration::from_millis(1))
        );
        assert_eq!(
            validity(Duration::from_millis(5), Duration::from_secs(3600), 0.01),
            None
        );
        assert_eq!(validity(Duration::ZERO, Duration::ZERO, 0.5), None);
    }
}
