//! Running one submit: the claim, the order's lease, the action, and keeping its outcome.

use super::outcome::{ledger_down, wrong_scope, Outcome};
use super::scope::{Scope, Target};
use super::settle::Look;
use super::timing::{now_ms, seconds_until, Timing};
use crate::actions::codes::{CodeSeed, Codes};
use crate::actions::ledger::{Claim, Entry, Lease, Ledger, Record, State};
use crate::ids::RequestId;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// The exactly-once engine of one request: the ledger, the clock, and the marker search that
/// settles earlier attempts (against the request's store).
pub struct Engine<'a, L, K> {
    pub ledger: &'a L,
    pub timing: &'a Timing,
    pub look: K,
}

/// One submit, as the engine runs it.
#[derive(Debug, Clone, Copy)]
pub struct Submit<'a> {
    /// The form's `requestId`: the action runs at most once for it.
    pub id: &'a RequestId,
    pub scope: &'a Scope,
    /// When the request arrived: the whole run ends by `started + timing.total`.
    pub started: Instant,
}

/// Whether an earlier attempt of this request may have acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// No earlier attempt can have acted: the action acts.
    First,
    /// One may have (it ended uncertain, or died, or its token was refused after it wrote): the
    /// action looks for its marker at BigCommerce before acting.
    Settling,
}

impl Attempt {
    pub fn settles(self) -> bool {
        self == Attempt::Settling
    }
}

/// What the action is told when it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    pub attempt: Attempt,
    /// For the BigCommerce client: set after the claim and the lease.
    pub deadline: Instant,
    /// What the request's codes are made from, as its claim keeps it.
    pub codes: Codes,
}

/// The claim this attempt holds.
#[derive(Debug, Clone, Copy)]
struct Claimed {
    attempt: Attempt,
    at_ms: i64,
    codes: Codes,
}

impl<'a, L: Ledger, K: Look> Engine<'a, L, K> {
    pub fn new(ledger: &'a L, timing: &'a Timing, look: K) -> Self {
        Engine {
            ledger,
            timing,
            look,
        }
    }

    /// Runs `act` at most once per request id, under its target's lease (if its action takes
    /// one), and keeps its outcome.
    pub async fn run<F, Fut>(&self, submit: Submit<'_>, act: F) -> Outcome
    where
        F: FnOnce(Turn) -> Fut,
        Fut: Future<Output = Outcome>,
    {
        // 1-2: the claim.
        let claimed = match self.claim(submit).await {
            Ok(c) => c,
            Err(answer) => return answer,
        };
        // 3: the target's lease (an order's, a customer's store credit), then whatever is
        // unsettled on it.
        let lease = submit.scope.lease();
        if let Some(on) = &lease {
            let open = match self.take_lease(on, submit.id).await {
                Ok(open) => open,
                Err(why) => return self.give_back(submit, claimed, why).await,
            };
            if let Err(why) = self.settle_others(on, submit.id, &open).await {
                let why = self.give_back(submit, claimed, why).await;
                // A claim taken over went back to uncertain: it stays on the list.
                let entry = match claimed.attempt {
                    Attempt::Settling => Entry::StaysOpen,
                    Attempt::First => Entry::Settled,
                };
                self.unlease(on, submit.id, entry).await;
                return why;
            }
        }
        // 4: the deadline for BigCommerce, set now, inside what remains of `total`.
        let t = self.timing;
        let deadline = submit.started + t.total.saturating_sub(t.finish_margin);
        let outcome = act(Turn {
            attempt: claimed.attempt,
            deadline,
            codes: claimed.codes,
        })
        .await;
        // 5: keep it.
        let entry = self.keep(submit.id, claimed.at_ms, &outcome).await;
        if let Some(on) = &lease {
            self.unlease(on, submit.id, entry).await;
        }
        outcome
    }

    /// Claims the request id: `Err` is the answer without acting (a final answer kept earlier,
    /// another scope, or an attempt still running or not yet settleable).
    async fn claim(&self, submit: Submit<'_>) -> Result<Claimed, Outcome> {
        let (ledger, t, id, scope) = (self.ledger, self.timing, submit.id, submit.scope);
        let waited_until = Instant::now() + t.wait_for_duplicate;
        let seed = CodeSeed::random();
        loop {
            let now = now_ms();
            let lost = match ledger
                .claim(id, scope, now, t.settle_at_for_claim(now), seed)
                .await
            {
                Err(e) => return Err(ledger_down(&e)),
                Ok(Claim::Won) => {
                    return Ok(Claimed {
                        attempt: Attempt::First,
                        at_ms: now,
                        codes: Codes::new(seed),
                    })
                }
                Ok(Claim::Lost(r)) => r,
            };
            if lost.scope.as_ref() != Some(scope) {
                return Err(wrong_scope());
            }
            match &lost.state {
                State::Done(o) => return Err(o.clone()),
                _ if now >= lost.settle_at_ms => {
                    let now = now_ms();
                    let at = t.settle_at_for_claim(now);
                    let (codes, fresh) = codes_of(&lost, seed);
                    match ledger
                        .take_over(id, lost.claimed_at_ms, now, at, fresh)
                        .await
                    {
                        Err(e) => return Err(ledger_down(&e)),
                        Ok(true) => {
                            return Ok(Claimed {
                                attempt: Attempt::Settling,
                                at_ms: now,
                                codes,
                            })
                        }
                        Ok(false) => continue,
                    }
                }
                State::Pending if Instant::now() < waited_until => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ => return Err(still_running(scope, &lost)),
            }
        }
    }

    /// Gives the claim back when this attempt cannot go on. A claim we took over goes back to
    /// uncertain, settleable at once: its earlier attempt is still unexplained, so the answer
    /// must not say "nothing was changed".
    async fn give_back(&self, submit: Submit<'_>, claimed: Claimed, why: Outcome) -> Outcome {
        let (id, settling) = (submit.id, claimed.attempt.settles());
        let r = if settling {
            self.ledger
                .mark_uncertain(id, claimed.at_ms, now_ms())
                .await
        } else {
            self.ledger.release(id, claimed.at_ms).await
        };
        if let Err(e) = r {
            tracing::error!(error = %e, request = id.short(), "idempotency table: claim not released");
        }
        match why {
            Outcome::NothingDone { detail, .. } if settling => Outcome::uncertain(
                format!(
                    "An earlier attempt of this {} is not confirmed yet.",
                    submit.scope.noun()
                ),
                detail,
            ),
            other => other,
        }
    }

    /// Settles the other requests open on the target (this one holds its lease); `Err` is why
    /// this attempt cannot go on.
    async fn settle_others(
        &self,
        on: &Target,
        id: &RequestId,
        open: &[RequestId],
    ) -> Result<(), Outcome> {
        let deadline = Instant::now() + self.timing.lease_wait.max(Duration::from_secs(1));
        for other in open.iter().filter(|o| *o != id) {
            self.settle_other(on, other, deadline)
                .await
                .map_err(|why| why.for_submit())?;
        }
        Ok(())
    }

    async fn take_lease(&self, on: &Target, id: &RequestId) -> Result<Vec<RequestId>, Outcome> {
        let t = self.timing;
        let until = Instant::now() + t.lease_wait;
        loop {
            let now = now_ms();
            match self
                .ledger
                .lease(on, id, now, now + Timing::ms(t.lease))
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
                            "Another change to {} is in progress; nothing was changed.",
                            on.what()
                        ),
                        "Submit this form again in a few seconds.",
                    ))
                }
            }
        }
    }

    /// Keeps the outcome: done is final, uncertain and partial settle later, anything else is
    /// released. A ledger write that fails never changes the answer. Says whether the request
    /// leaves the order's open list.
    async fn keep(&self, id: &RequestId, claimed_at: i64, outcome: &Outcome) -> Entry {
        let ledger = self.ledger;
        match outcome {
            Outcome::Done { .. } => match ledger.complete(id, claimed_at, outcome).await {
                Ok(()) => Entry::Settled,
                Err(e) => {
                    tracing::error!(error = %e, request = id.short(), "idempotency table: the action is done but its answer was not kept; a repeat finds its marker");
                    Entry::StaysOpen
                }
            },
            // Settleable at once: the money is known to have moved, the step left is its own
            // record.
            Outcome::Partial { .. } => {
                if let Err(e) = ledger.mark_uncertain(id, claimed_at, now_ms()).await {
                    tracing::error!(error = %e, request = id.short(), "idempotency table: partial outcome not kept; the claim settles later");
                }
                Entry::StaysOpen
            }
            Outcome::Uncertain { .. } => {
                let at = self.timing.settle_at_for_uncertain(now_ms());
                if let Err(e) = ledger.mark_uncertain(id, claimed_at, at).await {
                    tracing::error!(error = %e, request = id.short(), "idempotency table: uncertain outcome not kept; the claim settles later");
                }
                Entry::StaysOpen
            }
            // Changed nothing. Even when settling, the action looked for the marker first (a
            // failed look answers uncertain), so the earlier attempt is explained too: release.
            _ => match ledger.release(id, claimed_at).await {
                Ok(()) => Entry::Settled,
                Err(e) => {
                    tracing::error!(error = %e, request = id.short(), "idempotency table: claim not released; it settles later");
                    Entry::StaysOpen
                }
            },
        }
    }

    async fn unlease(&self, on: &Target, id: &RequestId, entry: Entry) {
        if let Err(e) = self.ledger.unlease(on, id, entry).await {
            tracing::error!(error = %e, lease = %crate::mapping::mask::emails_in(&on.to_string()), "idempotency table: lease not returned; it expires on its own");
        }
    }
}

/// The codes of a record about to be taken over, and the seed to keep with it if it has none
/// (claimed by an earlier version: its own code may have been the legacy one).
pub(super) fn codes_of(r: &Record, fresh: CodeSeed) -> (Codes, Option<CodeSeed>) {
    match r.seed {
        Some(seed) => (Codes::new(seed), None),
        None => (
            Codes {
                seed: fresh,
                legacy: true,
            },
            Some(fresh),
        ),
    }
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
