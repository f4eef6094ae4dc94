//! Settling: what an earlier request on an order did, found by a marker search at BigCommerce
//! once BigCommerce must have finished, and kept in the ledger.

use super::outcome::{ledger_down, Outcome};
use super::run::{codes_of, Engine};
use super::scope::{Scope, Target};
use super::timing::{now_ms, seconds_until};
use crate::actions::codes::{CodeSeed, Codes};
use crate::actions::ledger::{Ledger, LedgerError, State};
use crate::ids::RequestId;
use std::future::Future;
use tokio::time::Instant;

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
        codes: Codes,
        deadline: Instant,
    ) -> impl Future<Output = Looked> + Send;
}

impl<K: Look> Look for &K {
    fn look(
        &self,
        scope: &Scope,
        id: &RequestId,
        codes: Codes,
        deadline: Instant,
    ) -> impl Future<Output = Looked> + Send {
        (**self).look(scope, id, codes, deadline)
    }
}

/// Why an earlier request on the order cannot be settled now. A submit and a form say it in
/// their own words (`for_submit`, `for_form`); the engine decides only the reason.
#[derive(Debug)]
pub(super) enum Unsettled {
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
    pub(super) fn for_submit(self) -> Outcome {
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
impl<L: Ledger, K: Look> Engine<'_, L, K> {
    /// Settles one open request of the target: a marker search once BigCommerce must have finished,
    /// keeping what it found. `Err` is the answer when it cannot be settled yet.
    pub(super) async fn settle_other(
        &self,
        on: &Target,
        other: &RequestId,
        deadline: Instant,
    ) -> Result<Option<Settled>, Unsettled> {
        let ledger = self.ledger;
        let rec = match ledger.read(other).await {
            Err(e) => return Err(Unsettled::Ledger(e)),
            Ok(None) => None,
            Ok(Some(r)) => Some(r),
        };
        let Some(rec) = rec.filter(|r| !matches!(r.state, State::Done(_))) else {
            let _ = ledger.forget_open(on, other).await;
            return Ok(None);
        };
        let Some(scope) = rec.scope.clone() else {
            let _ = ledger.forget_open(on, other).await;
            return Ok(None);
        };
        let now = now_ms();
        let what = format!("An earlier {} on {}", scope.noun(), on.what());
        let pending_elsewhere = || Unsettled::NotYet {
            what: what.clone(),
            wait_s: seconds_until(rec.settle_at_ms).max(1),
        };
        if now < rec.settle_at_ms {
            return Err(pending_elsewhere());
        }
        let (codes, fresh) = codes_of(&rec, CodeSeed::random());
        match ledger
            .take_over(
                other,
                rec.claimed_at_ms,
                now,
                self.timing.settle_at_for_claim(now),
                fresh,
            )
            .await
        {
            Err(e) => return Err(Unsettled::Ledger(e)),
            Ok(false) => return Err(pending_elsewhere()),
            Ok(true) => {}
        }
        let found = self.look.look(&scope, other, codes, deadline).await;
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
                // It never happened: what it counted toward the order's refund limit, kept while
                // it was uncertain, is given back.
                if let Target::Order(order) = on {
                    let counter = crate::actions::limits::refund_counter(*order);
                    if let Err(e) = ledger.uncount(&counter, other).await {
                        tracing::error!(error = %e, "a settled request's refund count was not given back; it stays counted");
                    }
                }
                None
            }
            Looked::Unknown(why) => {
                let _ = ledger.mark_uncertain(other, now, now).await;
                return Err(Unsettled::Unchecked { what, why });
            }
        };
        let _ = ledger.forget_open(on, other).await;
        Ok(Some(Settled {
            id: other.clone(),
            scope,
            outcome: result,
        }))
    }

    /// Before a form opens on a leased target (an order, a customer's store credit): settles
    /// what is unsettled on it and says what happened,
    /// so the agent never acts on a state that an earlier attempt may still change. `Err` is the
    /// form's refusal when something cannot be settled yet.
    pub async fn settle_open(
        &self,
        on: &Target,
        deadline: Instant,
    ) -> Result<Vec<Settled>, Outcome> {
        let open = self
            .ledger
            .open_requests(on)
            .await
            .map_err(|e| Unsettled::Ledger(e).for_form())?;
        let mut out = Vec::new();
        for other in &open {
            // A request running right now holds the lease; its record is pending and not yet
            // settleable, which `settle_other` answers with a wait.
            if let Some(s) = self
                .settle_other(on, other, deadline)
                .await
                .map_err(Unsettled::for_form)?
            {
                out.push(s);
            }
        }
        Ok(out)
    }
}
