//! The exactly-once engine every action runs under. In order:
//! 1. a `requestId` that already has a final answer gets it again;
//! 2. a conditional write claims the `requestId`; a duplicate waits briefly for the first
//!    attempt, and an attempt that ended uncertain (or died) is taken over only once BigCommerce
//!    must have finished whatever it sent (`settle_at`), so a marker search tells the truth;
//! 3. actions on an order take the order's lease: two requests never change one order at once,
//!    and requests on it that are still unsettled are settled (marker search) before anything
//!    else happens;
//! 4. only then is the money-moving deadline set, and the action runs;
//! 5. the outcome is kept: done is final, uncertain is settled later, anything else is released
//!    so the same form can be sent again. A ledger write that fails after money moved is
//!    logged and never changes the answer: the marker protects repeats.
//!
//! Outcomes are plain data; `http.rs` alone turns them into status codes and Gladly's shapes.

use super::fields::FieldError;
use super::ledger::{Claim, Entry, Lease, Ledger, LedgerError, Record, State};
use crate::ids::{OrderId, RequestId, ShopperId};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// What a request id was minted for; a request id is never used for anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Refund(OrderId),
    Cancel(OrderId),
    Address(OrderId),
    Discount(ShopperId),
    GiftCertificate(ShopperId),
    /// The return-to-stock step of a refund or cancel: its own record, under the parent's lease.
    Restock(OrderId),
}

/// Stored as its key.
impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key())
    }
}

impl Scope {
    /// The order whose lease the action takes, for actions that change an order.
    pub fn order(&self) -> Option<OrderId> {
        match self {
            Scope::Refund(o) | Scope::Cancel(o) | Scope::Address(o) => Some(*o),
            Scope::Discount(_) | Scope::GiftCertificate(_) | Scope::Restock(_) => None,
        }
    }

    /// As stored in the ledger: `refund:order:101`, `discount:customer:guest:a@b.co`.
    pub fn key(&self) -> String {
        match self {
            Scope::Refund(o) => format!("refund:order:{o}"),
            Scope::Cancel(o) => format!("cancel:order:{o}"),
            Scope::Address(o) => format!("address:order:{o}"),
            Scope::Discount(s) => format!("discount:customer:{s}"),
            Scope::GiftCertificate(s) => format!("gift_certificate:customer:{s}"),
            Scope::Restock(o) => format!("restock:order:{o}"),
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        if let Some(o) = key.strip_prefix("refund:order:") {
            return OrderId::parse(o).map(Scope::Refund);
        }
        if let Some(o) = key.strip_prefix("cancel:order:") {
            return OrderId::parse(o).map(Scope::Cancel);
        }
        if let Some(o) = key.strip_prefix("address:order:") {
            return OrderId::parse(o).map(Scope::Address);
        }
        if let Some(o) = key.strip_prefix("restock:order:") {
            return OrderId::parse(o).map(Scope::Restock);
        }
        if let Some(s) = key.strip_prefix("gift_certificate:customer:") {
            return ShopperId::parse(s).map(Scope::GiftCertificate);
        }
        key.strip_prefix("discount:customer:")
            .and_then(ShopperId::parse)
            .map(Scope::Discount)
    }

    /// For metrics and log lines: `refund`, `cancel`, `gift_certificate`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Refund(_) => "refund",
            Scope::Cancel(_) => "cancel",
            Scope::Discount(_) => "discount",
            Scope::Address(_) => "address",
            Scope::GiftCertificate(_) => "gift_certificate",
            Scope::Restock(_) => "restock",
        }
    }

    /// For the agent: "refund", "cancellation", "discount code".
    pub fn noun(&self) -> &'static str {
        match self {
            Scope::Refund(_) => "refund",
            Scope::Cancel(_) => "cancellation",
            Scope::Address(_) => "address change",
            Scope::Discount(_) => "discount code",
            Scope::GiftCertificate(_) => "gift certificate",
            Scope::Restock(_) => "return to stock",
        }
    }
}

/// How an attempt ended, in the agent's words. Kept in the ledger when done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Finished, now or by an earlier attempt of the same request: final.
    Done { message: String, detail: String },
    /// Nothing was changed, for a passing reason (BigCommerce slow or down, the order busy):
    /// the same form may be sent again.
    NothingDone { message: String, detail: String },
    /// The agent can fix the form; nothing was changed.
    Invalid { errors: Vec<FieldError> },
    /// BigCommerce may or may not have acted, or the same request is still running: sending the
    /// same form again (after `detail`'s wait) settles it.
    Uncertain { message: String, detail: String },
    /// Not possible (order status, nothing refundable, BigCommerce said no): nothing changed.
    Refused { message: String, detail: String },
    /// The integration cannot do this as set up (the API account lacks a scope, or its token is
    /// refused after a refetch): nothing changed, and the store's admin must act (500).
    Misconfigured { message: String, detail: String },
    /// The money moved, a follow-up step (returning items to stock) did not: sending the same
    /// form again finishes the step and never repeats the money.
    Partial { message: String, detail: String },
}

impl Outcome {
    pub fn done(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Outcome::Done {
            message: message.into(),
            detail: detail.into(),
        }
    }

    pub fn nothing_done(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Outcome::NothingDone {
            message: message.into(),
            detail: detail.into(),
        }
    }

    pub fn uncertain(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Outcome::Uncertain {
            message: message.into(),
            detail: detail.into(),
        }
    }

    pub fn refused(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Outcome::Refused {
            message: message.into(),
            detail: detail.into(),
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        Outcome::Invalid { errors }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Done { .. } => "done",
            Outcome::NothingDone { .. } => "nothing_done",
            Outcome::Invalid { .. } => "invalid",
            Outcome::Uncertain { .. } => "uncertain",
            Outcome::Refused { .. } => "refused",
            Outcome::Partial { .. } => "partial",
            Outcome::Misconfigured { .. } => "misconfigured",
        }
    }
}

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
    fn ms(d: Duration) -> i64 {
        i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
    }

    /// A pending claim whose holder died may have sent a write up to the end of its `total`.
    fn settle_at_for_claim(&self, now_ms: i64) -> i64 {
        now_ms + Self::ms(self.total) + Self::ms(self.settle_after)
    }

    fn settle_at_for_uncertain(&self, now_ms: i64) -> i64 {
        now_ms + Self::ms(self.settle_after)
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What a marker search at BigCommerce found for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Looked {
    /// It happened: the outcome to keep (always `Done`).
    Found(Outcome),
    /// No trace: (once settled) it never happened.
    NotFound,
    /// BigCommerce did not say.
    Unknown(String),
}

/// Looks at BigCommerce for what a request did, changing nothing.
pub trait Look: Send + Sync {
    fn look(
        &self,
        scope: &Scope,
        id: &RequestId,
        deadline: Instant,
    ) -> impl Future<Output = Looked> + Send;
}

/// What the action is told when it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    /// An earlier attempt of this request may have acted: look for its marker before acting.
    pub settle: bool,
    /// For the BigCommerce client: set after the claim and the lease.
    pub deadline: Instant,
}

/// The table is down: what this request did before cannot be checked, so the answer cannot
/// say "nothing was changed" (an earlier attempt of it may have refunded).
fn ledger_down(e: &LedgerError) -> Outcome {
    tracing::error!(error = %e, "idempotency table");
    Outcome::uncertain(
        "The idempotency table is unavailable, so this request's result cannot be checked now.",
        "Submit this same form again in a moment; it is never carried out twice.",
    )
}

fn wrong_scope() -> Outcome {
    Outcome::refused(
        "This form was opened for a different action.",
        "Close it and open the action again.",
    )
}

fn seconds_until(at_ms: i64) -> i64 {
    ((at_ms - now_ms()).max(0) + 999) / 1000
}

fn still_running(scope: &Scope, r: &Record) -> Outcome {
    let wait = seconds_until(r.settle_at_ms).max(1);
    match r.state {
        State::Uncertain => Outcome::uncertain(
            format!("BigCommerce has not confirmed this {} yet.", scope.noun()),
            format!("Submit this same form again in {wait} s to see what happened; it will not be done twice."),
        ),
        _ => Outcome::uncertain(
            format!("This {} is still being carried out.", scope.noun()),
            "Submit this same form again in a few seconds to see its result; it will not be done twice.",
        ),
    }
}

/// Runs `act` at most once per request id, under the order's lease, and keeps its outcome.
/// `started` is when the request arrived: the whole run ends by `started + timing.total`.
pub async fn once<L, K, F, Fut>(
    ledger: &L,
    timing: &Timing,
    started: Instant,
    id: &RequestId,
    scope: &Scope,
    looker: &K,
    act: F,
) -> Outcome
where
    L: Ledger,
    K: Look,
    F: FnOnce(Turn) -> Fut,
    Fut: Future<Output = Outcome>,
{
    // 1-2: the claim.
    let waited_until = Instant::now() + timing.wait_for_duplicate;
    let (settle, claimed_at) = loop {
        let now = now_ms();
        let lost = match ledger
            .claim(id, scope, now, timing.settle_at_for_claim(now))
            .await
        {
            Err(e) => return ledger_down(&e),
            Ok(Claim::Won) => break (false, now),
            Ok(Claim::Lost(r)) => r,
        };
        if lost.scope.as_ref() != Some(scope) {
            return wrong_scope();
        }
        match &lost.state {
            State::Done(o) => return o.clone(),
            _ if now >= lost.settle_at_ms => {
                let now = now_ms();
                match ledger
                    .take_over(id, lost.claimed_at_ms, now, timing.settle_at_for_claim(now))
                    .await
                {
                    Err(e) => return ledger_down(&e),
                    Ok(true) => break (true, now),
                    Ok(false) => continue,
                }
            }
            State::Pending if Instant::now() < waited_until => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            _ => return still_running(scope, &lost),
        }
    };
    // Gives the claim back when this attempt cannot go on. A claim we took over goes back to
    // uncertain, settleable at once: its earlier attempt is still unexplained, so the answer
    // must not say "nothing was changed".
    let give_back = |why: Outcome| async move {
        let r = if settle {
            ledger.mark_uncertain(id, claimed_at, now_ms()).await
        } else {
            ledger.release(id, claimed_at).await
        };
        if let Err(e) = r {
            tracing::error!(error = %e, request = id.short(), "idempotency table: claim not released");
        }
        match why {
            Outcome::NothingDone { detail, .. } if settle => Outcome::uncertain(
                format!(
                    "An earlier attempt of this {} is not confirmed yet.",
                    scope.noun()
                ),
                detail,
            ),
            other => other,
        }
    };

    // 3: the order's lease, then whatever is unsettled on the order.
    if let Some(order) = scope.order() {
        match take_lease(ledger, timing, order, id).await {
            Err(why) => return give_back(why).await,
            Ok(open) => {
                let deadline = Instant::now() + timing.lease_wait.max(Duration::from_secs(1));
                for other in open.iter().filter(|o| *o != id) {
                    if let Err(why) =
                        settle_other(ledger, timing, order, other, looker, deadline).await
                    {
                        let why = give_back(why.for_submit()).await;
                        // A claim taken over went back to uncertain: it stays on the list.
                        let entry = if settle {
                            Entry::StaysOpen
                        } else {
                            Entry::Settled
                        };
                        unlease(ledger, order, id, entry).await;
                        return why;
                    }
                }
            }
        }
    }

    // 4: the deadline for BigCommerce, set now, inside what remains of `total`.
    let deadline = started + timing.total.saturating_sub(timing.finish_margin);
    let outcome = act(Turn { settle, deadline }).await;

    // 5: keep it.
    let entry = match &outcome {
        Outcome::Done { .. } => match ledger.complete(id, claimed_at, &outcome).await {
            Ok(()) => Entry::Settled,
            Err(e) => {
                tracing::error!(error = %e, request = id.short(), "idempotency table: the action is done but its answer was not kept; a repeat finds its marker");
                Entry::StaysOpen
            }
        },
        // Settleable at once: the money is known to have moved, the step left is its own record.
        Outcome::Partial { .. } => {
            if let Err(e) = ledger.mark_uncertain(id, claimed_at, now_ms()).await {
                tracing::error!(error = %e, request = id.short(), "idempotency table: partial outcome not kept; the claim settles later");
            }
            Entry::StaysOpen
        }
        Outcome::Uncertain { .. } => {
            let at = timing.settle_at_for_uncertain(now_ms());
            if let Err(e) = ledger.mark_uncertain(id, claimed_at, at).await {
                tracing::error!(error = %e, request = id.short(), "idempotency table: uncertain outcome not kept; the claim settles later");
            }
            Entry::StaysOpen
        }
        // Changed nothing. Even when settling, the action looked for the marker first (a failed
        // look answers uncertain), so the earlier attempt is explained too: release.
        _ => match ledger.release(id, claimed_at).await {
            Ok(()) => Entry::Settled,
            Err(e) => {
                tracing::error!(error = %e, request = id.short(), "idempotency table: claim not released; it settles later");
                Entry::StaysOpen
            }
        },
    };
    if let Some(order) = scope.order() {
        unlease(ledger, order, id, entry).await;
    }
    outcome
}

async fn take_lease<L: Ledger>(
    ledger: &L,
    timing: &Timing,
    order: OrderId,
    id: &RequestId,
) -> Result<Vec<RequestId>, Outcome> {
    let until = Instant::now() + timing.lease_wait;
    loop {
        let now = now_ms();
        match ledger
            .lease(order, id, now, now + Timing::ms(timing.lease))
            .await
        {
            Err(e) => return Err(ledger_down(&e)),
            Ok(Lease::Held { open }) => return Ok(open),
            Ok(Lease::Busy) if Instant::now() < until => {
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            Ok(Lease::Busy) => {
                return Err(Outcome::nothing_done(
                    format!(
                        "Another change to order #{order} is in progress; nothing was changed."
                    ),
                    "Submit this form again in a few seconds.",
                ))
            }
        }
    }
}

async fn unlease<L: Ledger>(ledger: &L, order: OrderId, id: &RequestId, entry: Entry) {
    if let Err(e) = ledger.unlease(order, id, entry).await {
        tracing::error!(error = %e, order = order.0, "idempotency table: lease not returned; it expires on its own");
    }
}

/// Why an earlier request on the order cannot be settled now. A submit and a form say it in
/// their own words (`for_submit`, `for_form`); the engine decides only the reason.
#[derive(Debug)]
enum Unsettled {
    /// BigCommerce may still be carrying it out, or another attempt is settling it.
    NotYet {
        what: String,
        wait_s: i64,
    },
    /// The marker search got no answer.
    Unchecked {
        what: String,
        why: String,
    },
    Ledger(LedgerError),
}

impl Unsettled {
    fn for_submit(self) -> Outcome {
        match self {
            Unsettled::NotYet { what, wait_s } => Outcome::nothing_done(
                format!("{what} is not confirmed yet; nothing was changed."),
                format!("BigCommerce may still be carrying it out. Try again in {wait_s} s: it is checked first, then this runs."),
            ),
            Unsettled::Unchecked { what, why } => Outcome::nothing_done(
                format!("{what} could not be checked; nothing was changed."),
                format!("BigCommerce did not answer ({why}). Try again in a moment."),
            ),
            Unsettled::Ledger(e) => ledger_down(&e),
        }
    }

    /// A form that cannot open closes with the reason (406).
    fn for_form(self) -> Outcome {
        match self {
            Unsettled::NotYet { what, wait_s } => Outcome::refused(
                format!("{what} is not confirmed yet; the form cannot open yet."),
                format!(
                    "BigCommerce may still be carrying it out. Open the form again in {wait_s} s."
                ),
            ),
            Unsettled::Unchecked { what, why } => Outcome::refused(
                format!("{what} could not be checked; the form cannot open yet."),
                format!("BigCommerce did not answer ({why}). Open the form again in a moment."),
            ),
            Unsettled::Ledger(e) => match ledger_down(&e) {
                Outcome::Uncertain { message, detail } => Outcome::refused(message, detail),
                other => other,
            },
        }
    }
}

/// What settling an earlier request on the order showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub id: RequestId,
    pub scope: Scope,
    /// `Done` if it happened; `None` if it never did.
    pub outcome: Option<Outcome>,
}

/// Settles one open request of the order: a marker search once BigCommerce must have finished,
/// keeping what it found. `Err` is the answer when it cannot be settled yet.
async fn settle_other<L: Ledger, K: Look>(
    ledger: &L,
    timing: &Timing,
    order: OrderId,
    other: &RequestId,
    looker: &K,
    deadline: Instant,
) -> Result<Option<Settled>, Unsettled> {
    let rec = match ledger.read(other).await {
        Err(e) => return Err(Unsettled::Ledger(e)),
        Ok(None) => None,
        Ok(Some(r)) => Some(r),
    };
    let Some(rec) = rec.filter(|r| !matches!(r.state, State::Done(_))) else {
        let _ = ledger.forget_open(order, other).await;
        return Ok(None);
    };
    let Some(scope) = rec.scope.clone() else {
        let _ = ledger.forget_open(order, other).await;
        return Ok(None);
    };
    let now = now_ms();
    let what = format!("An earlier {} on order #{order}", scope.noun());
    let pending_elsewhere = || Unsettled::NotYet {
        what: what.clone(),
        wait_s: seconds_until(rec.settle_at_ms).max(1),
    };
    if now < rec.settle_at_ms {
        return Err(pending_elsewhere());
    }
    match ledger
        .take_over(
            other,
            rec.claimed_at_ms,
            now,
            timing.settle_at_for_claim(now),
        )
        .await
    {
        Err(e) => return Err(Unsettled::Ledger(e)),
        Ok(false) => return Err(pending_elsewhere()),
        Ok(true) => {}
    }
    let found = looker.look(&scope, other, deadline).await;
    tracing::info!(request = other.short(), scope = %crate::mapping::mask::emails_in(&scope.key()), found = ?std::mem::discriminant(&found), "settled an earlier request");
    let result = match found {
        Looked::Found(o) => {
            if let Err(e) = ledger.complete(other, now, &o).await {
                tracing::error!(error = %e, "idempotency table: settled outcome not kept");
            }
            Some(o)
        }
        Looked::NotFound => {
            if let Err(e) = ledger.release(other, now).await {
                tracing::error!(error = %e, "idempotency table: settled claim not released");
            }
            None
        }
        Looked::Unknown(why) => {
            let _ = ledger.mark_uncertain(other, now, now).await;
            return Err(Unsettled::Unchecked { what, why });
        }
    };
    let _ = ledger.forget_open(order, other).await;
    Ok(Some(Settled {
        id: other.clone(),
        scope,
        outcome: result,
    }))
}

/// Before a form opens on an order: settles what is unsettled on it and says what happened,
/// so the agent never acts on a state that an earlier attempt may still change. `Err` is the
/// form's refusal when something cannot be settled yet.
pub async fn settle_open<L: Ledger, K: Look>(
    ledger: &L,
    timing: &Timing,
    order: OrderId,
    looker: &K,
    deadline: Instant,
) -> Result<Vec<Settled>, Outcome> {
    let open = ledger
        .open_requests(order)
        .await
        .map_err(|e| Unsettled::Ledger(e).for_form())?;
    let mut out = Vec::new();
    for other in &open {
        // A request running right now holds the lease; its record is pending and not yet
        // settleable, which `settle_other` answers with a wait.
        if let Some(s) = settle_other(ledger, timing, order, other, looker, deadline)
            .await
            .map_err(Unsettled::for_form)?
        {
            out.push(s);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::ledger::MemoryLedger;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    fn rid(s: &str) -> RequestId {
        RequestId::parse(s).unwrap_or_else(RequestId::new_random)
    }

    /// A store stand-in: which requests "happened" at BigCommerce.
    #[derive(Default)]
    struct Marks(Mutex<Vec<RequestId>>);

    impl Look for Marks {
        async fn look(&self, _: &Scope, id: &RequestId, _: Instant) -> Looked {
            if self.0.lock().map(|m| m.contains(id)).unwrap_or(false) {
                Looked::Found(Outcome::done("found", "by marker"))
            } else {
                Looked::NotFound
            }
        }
    }

    fn fast() -> Timing {
        Timing {
            total: Duration::from_secs(3),
            finish_margin: Duration::from_millis(100),
            wait_for_duplicate: Duration::from_millis(300),
            lease_wait: Duration::from_millis(300),
            lease: Duration::from_secs(4),
            write_timeout: Duration::from_millis(200),
            min_write_budget: Duration::from_millis(200),
            settle_after: Duration::from_millis(300),
        }
    }

    const ORDER: Scope = Scope::Refund(OrderId(1));

    /// The final answer the ledger keeps for a request, or a refusal for another scope.
    async fn earlier<L: Ledger>(ledger: &L, id: &RequestId, scope: &Scope) -> Option<Outcome> {
        match ledger.read(id).await {
            Err(e) => Some(ledger_down(&e)),
            Ok(Some(r)) if r.scope.as_ref() != Some(scope) => Some(wrong_scope()),
            Ok(Some(Record {
                state: State::Done(o),
                ..
            })) => Some(o),
            Ok(_) => None,
        }
    }

    #[tokio::test]
    async fn a_repeat_answers_the_first_answer_without_acting() {
        let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
        let runs = AtomicU32::new(0);
        let id = rid("request-0001");
        let act = |_t: Turn| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Outcome::done("Refunded $1.00", "To the card.")
        };
        let first = once(&ledger, &t, Instant::now(), &id, &ORDER, &marks, act).await;
        let again = once(&ledger, &t, Instant::now(), &id, &ORDER, &marks, act).await;
        assert_eq!(first, again);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let other = once(
            &ledger,
            &t,
            Instant::now(),
            &id,
            &Scope::Cancel(OrderId(1)),
            &marks,
            act,
        )
        .await;
        assert!(matches!(other, Outcome::Refused { .. }));
        assert_eq!(earlier(&ledger, &id, &ORDER).await, Some(first));
        assert_eq!(
            ledger.open_requests(OrderId(1)).await,
            Ok(vec![]),
            "settled and off the list"
        );
    }

    #[tokio::test]
    async fn uncertain_is_not_taken_over_before_bigcommerce_must_have_finished() {
        let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
        let id = rid("request-0002");
        let a = once(
            &ledger,
            &t,
            Instant::now(),
            &id,
            &ORDER,
            &marks,
            |_| async { Outcome::uncertain("timed out", "") },
        )
        .await;
        assert!(matches!(a, Outcome::Uncertain { .. }));
        // At once: not taken over, the action does not run.
        let ran = AtomicU32::new(0);
        let b = once(
            &ledger,
            &t,
            Instant::now(),
            &id,
            &ORDER,
            &marks,
            |_| async {
                ran.fetch_add(1, Ordering::SeqCst);
                Outcome::done("refunded again", "")
            },
        )
        .await;
        assert!(matches!(b, Outcome::Uncertain { .. }), "{b:?}");
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        // Meanwhile the first attempt's refund lands; after the settle time the marker shows it.
        marks.0.lock().map(|mut m| m.push(id.clone())).ok();
        tokio::time::sleep(t.settle_after).await;
        let c = once(
            &ledger,
            &t,
            Instant::now(),
            &id,
            &ORDER,
            &marks,
            |turn| async move {
                assert!(turn.settle, "the attempt is told to look first");
                Outcome::done("settled", "")
            },
        )
        .await;
        assert_eq!(c, Outcome::done("settled", ""));
    }

    #[tokio::test]
    async fn another_form_on_the_order_settles_what_is_open_first() {
        let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
        let (first, second) = (rid("request-000a"), rid("request-000b"));
        let a = once(
            &ledger,
            &t,
            Instant::now(),
            &first,
            &ORDER,
            &marks,
            |_| async { Outcome::uncertain("timed out", "") },
        )
        .await;
        assert!(matches!(a, Outcome::Uncertain { .. }));
        assert_eq!(
            ledger.open_requests(OrderId(1)).await,
            Ok(vec![first.clone()])
        );
        // Too early: the second form changes nothing and says why.
        let b = once(
            &ledger,
            &t,
            Instant::now(),
            &second,
            &ORDER,
            &marks,
            |_| async { Outcome::done("second", "") },
        )
        .await;
        assert!(matches!(b, Outcome::NothingDone { .. }), "{b:?}");
        assert_eq!(
            ledger.read(&second).await,
            Ok(None),
            "released: the form may be sent again"
        );
        // Later, the first did happen: a form opened on the order settles and shows it.
        marks.0.lock().map(|mut m| m.push(first.clone())).ok();
        tokio::time::sleep(t.settle_after).await;
        let settled = settle_open(&ledger, &t, OrderId(1), &marks, Instant::now() + t.total).await;
        let settled = settled.unwrap_or_default();
        assert_eq!(settled.len(), 1);
        assert_eq!(
            settled[0].outcome,
            Some(Outcome::done("found", "by marker"))
        );
        assert_eq!(
            earlier(&ledger, &first, &ORDER).await,
            Some(Outcome::done("found", "by marker"))
        );
        let b = once(
            &ledger,
            &t,
            Instant::now(),
            &second,
            &ORDER,
            &marks,
            |_| async { Outcome::done("second", "") },
        )
        .await;
        assert_eq!(b, Outcome::done("second", ""));
    }

    #[tokio::test]
    async fn a_taken_over_request_that_cannot_go_on_stays_on_the_orders_list() {
        let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
        let (mine, other) = (rid("request-00c1"), rid("request-00c2"));
        let a = once(
            &ledger,
            &t,
            Instant::now(),
            &mine,
            &ORDER,
            &marks,
            |_| async { Outcome::uncertain("timed out", "") },
        )
        .await;
        assert!(matches!(a, Outcome::Uncertain { .. }));
        // Another request died on the order, long from settleable; its lease has run out.
        let now = now_ms();
        let _ = ledger.claim(&other, &ORDER, now, now + 60_000).await;
        let _ = ledger.lease(OrderId(1), &other, now, now).await;
        tokio::time::sleep(t.settle_after).await;
        let b = once(
            &ledger,
            &t,
            Instant::now(),
            &mine,
            &ORDER,
            &marks,
            |_| async { Outcome::done("must not run", "") },
        )
        .await;
        assert!(matches!(b, Outcome::Uncertain { .. }), "{b:?}");
        let open = ledger.open_requests(OrderId(1)).await.unwrap_or_default();
        assert!(
            open.contains(&mine),
            "still unexplained, still listed: {open:?}"
        );
    }

    #[tokio::test]
    async fn two_requests_on_one_order_never_overlap() {
        let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
        let inside = AtomicU32::new(0);
        let most = AtomicU32::new(0);
        let act = |_t: Turn| async {
            let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            inside.fetch_sub(1, Ordering::SeqCst);
            Outcome::done("ok", "")
        };
        let ids: Vec<RequestId> = (0..4).map(|i| rid(&format!("parallel-{i:04}"))).collect();
        let outs = futures::future::join_all(
            ids.iter()
                .map(|id| once(&ledger, &t, Instant::now(), id, &ORDER, &marks, act)),
        )
        .await;
        assert_eq!(most.load(Ordering::SeqCst), 1, "one at a time");
        assert!(outs
            .iter()
            .all(|o| matches!(o, Outcome::Done { .. } | Outcome::NothingDone { .. })));
    }

    #[tokio::test]
    async fn an_abandoned_claim_is_taken_over_once_settleable() {
        let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
        let id = rid("request-0004");
        let long_ago = now_ms() - 60_000;
        let _ = ledger.claim(&id, &ORDER, long_ago, long_ago + 1).await;
        let a = once(
            &ledger,
            &t,
            Instant::now(),
            &id,
            &ORDER,
            &marks,
            |turn| async move {
                assert!(turn.settle);
                Outcome::done("settled", "")
            },
        )
        .await;
        assert_eq!(a, Outcome::done("settled", ""));
    }
}
