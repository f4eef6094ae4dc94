//! The clock of one action.

use std::time::Duration;

/// The clock of one action. Production values are `Timing::default()`; tests shrink them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Gladly waits 15 s for a submit: everything, ledger writes included, ends within this.
    pub total: Duration,
    /// Kept back at the end of `total` for the ledger writes after the action.
    pub finish_margin: Duration,
    /// How long a duplicate of a running request waits for the first attempt's answer.
    pub wait_for_duplicate: Duration,
    /// How long a request waits for another change to the same order to finish.
    pub lease_wait: Duration,
    /// How long the order's lease lasts: longer than any action (`total`), so it only expires
    /// on its own when its holder died.
    pub lease: Duration,
    /// The longest a write (refund, void, status) may run.
    pub write_timeout: Duration,
    /// A write is sent only with at least this much of the deadline left: longer than
    /// BigCommerce's usual refund time, so a slow start cannot cut a refund short.
    pub min_write_budget: Duration,
    /// After an attempt gave up on a write, BigCommerce has finished it within this: only then
    /// is a marker search final. Longer than `write_timeout`, with room for BigCommerce's own
    /// processing after we hung up.
    pub settle_after: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            total: Duration::from_millis(14_000),
            finish_margin: Duration::from_millis(1_500),
            wait_for_duplicate: Duration::from_secs(2),
            lease_wait: Duration::from_secs(2),
            lease: Duration::from_secs(20),
            write_timeout: Duration::from_secs(8),
            min_write_budget: Duration::from_secs(5),
            settle_after: Duration::from_secs(30),
        }
    }
}

impl Timing {
    pub(super) fn ms(d: Duration) -> i64 {
        i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
    }

    /// A pending claim whose holder died may have sent a write up to the end of its `total`.
    pub(super) fn settle_at_for_claim(&self, now_ms: i64) -> i64 {
        now_ms + Self::ms(self.total) + Self::ms(self.settle_after)
    }

    pub(super) fn settle_at_for_uncertain(&self, now_ms: i64) -> i64 {
        now_ms + Self::ms(self.settle_after)
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Whole seconds from now until `at_ms`, rounded up; 0 if past.
pub(super) fn seconds_until(at_ms: i64) -> i64 {
    ((at_ms - now_ms()).max(0) + 999) / 1000
}
