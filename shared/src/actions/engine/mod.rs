//! The exactly-once engine every action runs under. In order (`run`):
//! 1. a `requestId` that already has a final answer gets it again;
//! 2. a conditional write claims the `requestId`; a duplicate waits briefly for the first
//!    attempt, and an attempt that ended uncertain (or died) is taken over only once BigCommerce
//!    must have finished whatever it sent (`settle_at`), so a marker search tells the truth;
//! 3. actions on an order take the order's lease: two requests never change one order at once,
//!    and requests on it that are still unsettled are settled (marker search, `settle`) before
//!    anything else happens;
//! 4. only then is the money-moving deadline set, and the action runs;
//! 5. the outcome is kept: done is final, uncertain is settled later, anything else is released
//!    so the same form can be sent again. A ledger write that fails after money moved is
//!    logged and never changes the answer: the marker protects repeats.
//!
//! `scope` is what a request id was minted for, `outcome` how an attempt ended, `timing` the
//! clock. Outcomes are plain data; `http.rs` alone turns them into status codes and Gladly's
//! shapes.

mod outcome;
mod run;
mod scope;
mod settle;
mod timing;

pub use outcome::Outcome;
pub use run::{Attempt, Engine, Submit, Turn};
pub use scope::{Scope, Target};
pub use settle::{Look, Looked, Settled};
pub use timing::{now_ms, Timing};

#[cfg(test)]
mod tests;
