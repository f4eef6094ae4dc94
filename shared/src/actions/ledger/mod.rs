//! Where exactly-once is remembered: one record per `requestId` (claimed before anything moves,
//! then done, uncertain or released) and one lease item per leased target (an order, or a
//! customer whose store credit is changed: who may change it now, and which requests on it are
//! not settled yet). DynamoDB in production and tests (moto, `dynamo`);
//! memory for unit tests (`memory`). The rules that use these live in `engine`.

mod dynamo;
mod memory;

pub use dynamo::DynamoLedger;
pub use memory::MemoryLedger;

use super::codes::CodeSeed;
use super::engine::{Outcome, Scope, Target};
use crate::ids::RequestId;
use rust_decimal::Decimal;
use std::future::Future;

/// How long a record is kept (DynamoDB TTL on `expires_at`).
pub const KEEP_SECS: i64 = 30 * 24 * 3600;

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// An attempt is (or was, if it died) under way.
    Pending,
    /// An attempt ended without knowing whether BigCommerce acted.
    Uncertain,
    /// Final: replayed to every repeat.
    Done(Outcome),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// What the request id was minted for; `None` for a stored scope this version cannot read
    /// (it is then nobody's: another scope's form is refused, and an order's list forgets it).
    pub scope: Option<Scope>,
    pub state: State,
    /// When the current attempt claimed it; fences writes of an attempt that was taken over.
    pub claimed_at_ms: i64,
    /// From then on BigCommerce has finished anything this attempt sent, so a marker search
    /// tells the truth and the record may be taken over.
    pub settle_at_ms: i64,
    /// What the request's codes are made from (`codes`), kept from its claim on; `None` for a
    /// record claimed by a version that kept none.
    pub seed: Option<CodeSeed>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    Won,
    Lost(Record),
}

/// The lease of one target (an order, or a customer's store credit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// Ours until it expires; `open` are the requests on this target not settled yet (ours too).
    Held {
        open: Vec<RequestId>,
    },
    Busy,
}

/// What giving the lease back does to the holder's entry on the target's list of open requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Its request is settled (done or released): off the list.
    Settled,
    /// Its request may still have acted (uncertain, or its outcome not kept): it stays listed,
    /// so the next form or submit on the target settles it first.
    StaysOpen,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("idempotency store: {0}")]
pub struct LedgerError(pub String);

/// What one request adds to one total of a counter (`refunded` on an order, `certificates` and
/// `value` on a day), and the most that total may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Add {
    pub name: &'static str,
    pub amount: Decimal,
    pub limit: Decimal,
}

/// What counting a request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counted {
    /// Counted now, or already by an earlier attempt of the same request (never twice).
    Counted,
    /// Counting would take total `name` past its limit: nothing was counted.
    Over {
        name: &'static str,
        limit: Decimal,
        used: Decimal,
    },
    /// The counter item does not read: nothing was counted, and nothing may pass uncounted.
    Damaged,
}

/// A request's entry on a counter, as kept: `refunded=12.5;value=3`.
pub(crate) fn entry_text(adds: &[Add]) -> String {
    adds.iter()
        .map(|a| format!("{}={}", a.name, a.amount.normalize()))
        .collect::<Vec<_>>()
        .join(";")
}

/// An entry back: `None` if it does not read.
pub(crate) fn entry_amounts(text: &str) -> Option<Vec<(String, Decimal)>> {
    text.split(';')
        .map(|pair| {
            let (name, amount) = pair.split_once('=')?;
            Some((name.to_string(), amount.parse::<Decimal>().ok()?))
        })
        .collect()
}

/// The first total that `adds` would take past its limit, given the totals counted so far.
pub(crate) fn over(adds: &[Add], used: impl Fn(&str) -> Decimal) -> Option<Counted> {
    adds.iter().find_map(|a| {
        let used = used(a.name);
        (used + a.amount > a.limit).then_some(Counted::Over {
            name: a.name,
            limit: a.limit,
            used,
        })
    })
}

pub trait Ledger: Send + Sync {
    fn read(
        &self,
        id: &RequestId,
    ) -> impl Future<Output = Result<Option<Record>, LedgerError>> + Send;
    /// Creates the record (pending, with the request's code seed) only if none exists.
    fn claim(
        &self,
        id: &RequestId,
        scope: &Scope,
        now_ms: i64,
        settle_at_ms: i64,
        seed: CodeSeed,
    ) -> impl Future<Output = Result<Claim, LedgerError>> + Send;
    /// Done, if the record is still the attempt's that claimed it at `claimed_at_ms`.
    fn complete(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        outcome: &Outcome,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    /// Forgets a claim whose attempt moved nothing, so the same form can be sent again.
    fn release(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    fn mark_uncertain(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        settle_at_ms: i64,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    /// Takes over a record not done whose attempt claimed it at `claimed_at_ms`; false if
    /// another attempt took it first. `seed`, for a record that has none, is kept with it; a
    /// record's seed is never replaced.
    fn take_over(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        now_ms: i64,
        settle_at_ms: i64,
        seed: Option<CodeSeed>,
    ) -> impl Future<Output = Result<bool, LedgerError>> + Send;
    /// Takes the lease of `on` for `owner` until `until_ms` (or renews it), and lists `owner`
    /// among its open requests.
    fn lease(
        &self,
        on: &Target,
        owner: &RequestId,
        now_ms: i64,
        until_ms: i64,
    ) -> impl Future<Output = Result<Lease, LedgerError>> + Send;
    /// Gives the lease back; `entry` says whether `owner` leaves the open list.
    fn unlease(
        &self,
        on: &Target,
        owner: &RequestId,
        entry: Entry,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    /// Takes a settled request off the open list of `on`.
    fn forget_open(
        &self,
        on: &Target,
        id: &RequestId,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    fn open_requests(
        &self,
        on: &Target,
    ) -> impl Future<Output = Result<Vec<RequestId>, LedgerError>> + Send;
    /// Counts request `id` on `counter` atomically: every total of `adds` stays within its limit,
    /// or nothing is counted. The request's entry is kept on the counter, so a repeat of the
    /// same request counts once (and one with other amounts replaces its entry).
    fn count(
        &self,
        counter: &str,
        id: &RequestId,
        adds: &[Add],
        now_ms: i64,
        keep_secs: i64,
    ) -> impl Future<Output = Result<Counted, LedgerError>> + Send;
    /// Takes request `id`'s entry off `counter`, giving back what it counted (nothing if it has
    /// none).
    fn uncount(
        &self,
        counter: &str,
        id: &RequestId,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
}
