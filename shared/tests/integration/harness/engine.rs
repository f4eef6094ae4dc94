//! The exactly-once engine's types and the one test clock, named here and nowhere else in the
//! tests: when the engine's modules move, only this file changes.

pub use shared::actions::engine::{Outcome, Scope, Timing};
pub use shared::actions::ledger::{
    Add, Claim, Counted, DynamoLedger, Entry, Lease, Ledger, LedgerError, Record,
};
pub use shared::app::ActionApp;
use std::time::Duration;

/// Production's clock, but BigCommerce is local: an uncertain attempt is settleable after
/// 600 ms instead of 30 s, and a write times out after 2 s instead of 8. Every `TestApp`
/// starts with it.
pub fn local_timing() -> Timing {
    Timing {
        settle_after: Duration::from_millis(600),
        write_timeout: Duration::from_secs(2),
        min_write_budget: Duration::from_secs(1),
        ..Timing::default()
    }
}

/// Production's shape on a short clock, so settling takes a second, not half a minute: for
/// the tests that time a fault against the engine's deadlines (`money`).
pub fn fast_timing() -> Timing {
    Timing {
        total: Duration::from_millis(3000),
        finish_margin: Duration::from_millis(200),
        wait_for_duplicate: Duration::from_millis(300),
        lease_wait: Duration::from_millis(500),
        lease: Duration::from_secs(5),
        write_timeout: Duration::from_millis(500),
        min_write_budget: Duration::from_millis(400),
        settle_after: Duration::from_millis(900),
    }
}

/// The chaos run's clock: the short one, with the writes cut shorter than its faults' 600 and
/// 700 ms (so they become late commits) and a shorter lease, so its end is reached sooner.
pub fn chaos_timing() -> Timing {
    Timing {
        lease_wait: Duration::from_millis(600),
        lease: Duration::from_secs(4),
        write_timeout: Duration::from_millis(400),
        min_write_budget: Duration::from_millis(300),
        settle_after: Duration::from_millis(800),
        ..fast_timing()
    }
}
