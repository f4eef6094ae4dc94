//! Cumulative limits, counted atomically in the ledger's table before money moves: what the
//! adaptor refunds on one order in total (`max_refund`, refunds and cancels alike), and the
//! store's gift certificates per day (`max_gift_certificates_per_day`,
//! `max_gift_certificate_value_per_day`). Two agents at once cannot both pass the last unit: the
//! count is one conditional update on the counter's item, which holds every request's entry, so
//! a repeat of the same request counts once.
//!
//! What happens to a counted amount when BigCommerce's answer is not a success:
//! * **A sure failure** (refused, not sent, nothing done, misconfigured: the outcome says
//!   nothing changed) gives the amount back at once, so the agent can try again within the
//!   limit.
//! * **Uncertain** (BigCommerce may have acted, or an answer was lost) keeps it: money that may
//!   have moved is counted. It is settled later: a retry of the same request finds its own
//!   entry (counted once), and a settle that finds the earlier attempt never happened gives the
//!   order's amount back (`engine::settle`). A gift certificate left uncertain and never retried
//!   stays counted for its day: the limit errs toward less, never more.
//!
//! A counter that cannot be read (a damaged item) or reached (DynamoDB down) refuses the action:
//! nothing passes uncounted.

use super::engine::Outcome;
use super::ledger::{Add, Counted, Ledger};
use crate::ids::{OrderId, RequestId};
use crate::money::Money;
use rust_decimal::Decimal;
use std::future::Future;

/// How long an order's refund total is kept after its last refund (a year and more: refunds
/// come late), and a day's certificates (a few days).
const ORDER_KEEP_SECS: i64 = 400 * 24 * 3600;
const DAY_KEEP_SECS: i64 = 3 * 24 * 3600;

/// One count against a cumulative limit: where, what is added, and how to say a refusal.
#[derive(Debug, Clone)]
pub struct Tally {
    counter: String,
    adds: Vec<Add>,
    keep_secs: i64,
    /// What is being made, for the answers: `refund`, `gift certificate`.
    noun: &'static str,
    /// Each total in words: (total name, secret key, how an amount of it reads).
    words: Vec<(&'static str, &'static str, Words)>,
    scope: String,
}

#[derive(Debug, Clone)]
enum Words {
    Money(crate::money::Currency),
    /// An amount in the store's default currency, whose code is not at hand.
    StoreCurrency,
    Count,
}

impl Words {
    fn say(&self, d: Decimal) -> String {
        match self {
            Words::Money(c) => Money::new(d, c.clone()).to_string(),
            Words::StoreCurrency => format!("{d:.2} (store currency)"),
            Words::Count => d.normalize().to_string(),
        }
    }
}

/// The counter of what the adaptor refunded on `order`: the same for refunds and cancels.
pub fn refund_counter(order: OrderId) -> String {
    format!("refund:order:{order}")
}

/// A refund of `amount` (in the store's default currency, `currency`) on `order`, under
/// `max_refund`.
pub fn refund_on_order(
    order: OrderId,
    amount: Decimal,
    max: Decimal,
    currency: crate::money::Currency,
) -> Tally {
    Tally {
        counter: refund_counter(order),
        adds: vec![Add {
            name: "refunded",
            amount: amount.round_dp(4),
            limit: max,
        }],
        keep_secs: ORDER_KEEP_SECS,
        noun: "refund",
        words: vec![("refunded", "max_refund", Words::Money(currency))],
        scope: format!("on order #{order} in total"),
    }
}

/// One gift certificate of `value` (store's default currency) on `day` (UTC, `2026-11-26`).
pub fn gift_certificate_on(
    day: &str,
    value: Decimal,
    rails: &crate::guardrails::Guardrails,
) -> Tally {
    Tally {
        counter: format!("gift_certificate:day:{day}"),
        adds: vec![
            Add {
                name: "certificates",
                amount: Decimal::ONE,
                limit: Decimal::from(rails.max_gift_certificates_per_day),
            },
            Add {
                name: "value",
                amount: value.round_dp(4),
                limit: rails.max_gift_certificate_value_per_day,
            },
        ],
        keep_secs: DAY_KEEP_SECS,
        noun: "gift certificate",
        words: vec![
            (
                "certificates",
                "max_gift_certificates_per_day",
                Words::Count,
            ),
            (
                "value",
                "max_gift_certificate_value_per_day",
                Words::StoreCurrency,
            ),
        ],
        scope: format!("a day (UTC, {day})"),
    }
}

impl Tally {
    /// The refusal over a limit: the limit, what is used, what is left, and what was asked.
    fn over(&self, name: &str, limit: Decimal, used: Decimal) -> (Outcome, &'static str) {
        let (key, words) = self
            .words
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, k, w)| (*k, w.clone()))
            .unwrap_or(("a limit", Words::Count));
        let asked = self
            .adds
            .iter()
            .find(|a| a.name == name)
            .map_or(Decimal::ZERO, |a| a.amount);
        let left = (limit - used).max(Decimal::ZERO);
        let noun = self.noun;
        let (what, so_far) = match words {
            Words::Count => (
                format!("{} {noun}s", words.say(limit)),
                format!("{} made so far", words.say(used)),
            ),
            _ => (
                format!("{} of {noun}s", words.say(limit)),
                format!("{} so far", words.say(used)),
            ),
        };
        let this = match words {
            Words::Count => String::new(),
            _ => format!(", and this {noun} is {}", words.say(asked)),
        };
        (
            Outcome::refused(
                format!(
                    "Over the store's limit of {what} {} through Gladly ({key}): {so_far}, {} left{this}.",
                    self.scope,
                    words.say(left)
                ),
                "Nothing was changed. A manager can raise the limit in the store secret, or act in the BigCommerce control panel.",
            ),
            key,
        )
    }
}

/// Counts `tally` for request `id`, then runs `go` (the BigCommerce write) only if it fits.
/// Over a limit, or with the counter unreadable or unreachable, `go` never runs and nothing
/// changes. Afterwards a sure failure gives the amount back; done and uncertain keep it.
pub async fn within<L: Ledger, F: Future<Output = Outcome>>(
    ledger: &L,
    id: &RequestId,
    tally: &Tally,
    go: F,
) -> Outcome {
    let noun = tally.noun;
    let counted = ledger
        .count(
            &tally.counter,
            id,
            &tally.adds,
            super::engine::now_ms(),
            tally.keep_secs,
        )
        .await;
    match counted {
        Ok(Counted::Counted) => {}
        Ok(Counted::Over { name, limit, used }) => {
            let (refusal, key) = tally.over(name, limit, used);
            crate::telemetry::limit_refused(key);
            tracing::info!(
                limit = key,
                request = id.short(),
                "refused over a cumulative limit"
            );
            return refusal;
        }
        Ok(Counted::Damaged) => {
            crate::telemetry::limit_refused("unreadable");
            tracing::error!(counter = %tally.counter, "a limit's counter item does not read; the action is refused");
            return Outcome::misconfigured(
                format!("The running total this {noun} is limited by cannot be read, so it was not made; nothing was changed."),
                format!("Ask the store admin: the item limit:{} in the idempotency table is damaged (delete it to start the count again).", tally.counter),
            );
        }
        Err(e) => {
            crate::telemetry::limit_refused("unavailable");
            tracing::error!(error = %e, counter = %tally.counter, "a limit's counter is unavailable; the action is refused");
            return Outcome::nothing_done(
                format!("The table that counts this store's limits is unavailable, so the {noun} was not made; nothing was changed."),
                "Submit this same form again in a moment.",
            );
        }
    }
    let outcome = go.await;
    let sure_failure = matches!(
        outcome,
        Outcome::Refused { .. }
            | Outcome::NothingDone { .. }
            | Outcome::Invalid { .. }
            | Outcome::Misconfigured { .. }
    );
    if sure_failure {
        if let Err(e) = ledger.uncount(&tally.counter, id).await {
            tracing::error!(error = %e, counter = %tally.counter, "a limit's count was not given back; it stays counted");
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::ledger::MemoryLedger;
    use rust_decimal_macros::dec;

    fn rid(s: &str) -> RequestId {
        RequestId::parse(s).unwrap_or_else(RequestId::new_random)
    }

    #[tokio::test]
    async fn an_orders_total_stops_at_its_limit_and_a_repeat_counts_once() {
        let ledger = MemoryLedger::default();
        let tally = |a| refund_on_order(OrderId(7), a, dec!(50), crate::money::Currency::usd());
        let done = || async { Outcome::done("Refunded", "") };
        let first = within(&ledger, &rid("refund-0001"), &tally(dec!(30)), done()).await;
        assert!(matches!(first, Outcome::Done { .. }));
        // The same request again: counted once.
        let again = within(&ledger, &rid("refund-0001"), &tally(dec!(30)), done()).await;
        assert!(matches!(again, Outcome::Done { .. }));
        let over = within(&ledger, &rid("refund-0002"), &tally(dec!(25)), done()).await;
        let Outcome::Refused { message, .. } = over else {
            panic!("{over:?}")
        };
        assert!(
            message.contains("$50.00")
                && message.contains("$30.00 so far")
                && message.contains("$20.00 left")
                && message.contains("max_refund"),
            "{message}"
        );
        // A sure failure gives its amount back.
        let failed = within(&ledger, &rid("refund-0003"), &tally(dec!(20)), async {
            Outcome::refused("BigCommerce said no", "")
        })
        .await;
        assert!(matches!(failed, Outcome::Refused { .. }));
        let fits = within(&ledger, &rid("refund-0004"), &tally(dec!(20)), done()).await;
        assert!(matches!(fits, Outcome::Done { .. }), "{fits:?}");
    }
}
