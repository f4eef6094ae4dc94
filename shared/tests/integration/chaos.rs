//! The money chaos test: hundreds of refund submits across many orders while faults are drawn
//! at random (late commits, 5xx before and after the store acted, 429, timeouts, garbled
//! answers, ledger write failures, duplicate and concurrent submits of one form, different
//! forms racing on one order, attempts abandoned mid-flight and taken over later). At the end,
//! from the store's own state and request log: no request refunded twice, no order refunded
//! beyond its total, and every answer an agent saw was true.
//!
//! Refunds run under a `max_refund` cap per order (`CAP`), so the cumulative limit's counter is
//! raced and faulted too: no order is refunded past it.
//!
//! The draws are seeded (`CHAOS_SEED=<n>` repeats them; the seed is printed). Six workers run
//! at once, so the interleavings differ between runs; the invariants must hold for all of them.
//! The run itself, its premises and its common invariants are `harness::chaos`'s.

use crate::harness::chaos::{
    refund_run_fault, ChaosAction, ChaosApp, Fault, Form, Least, Plan, Run, MIX,
};
use crate::harness::*;
use bigcommerce_sandbox::Running;
use rand::rngs::SmallRng;
use rand::Rng;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;

const REFUND_POST: &str = "POST /v3/orders/{id}/payment_actions/refunds";
/// `max_refund`: what the adaptor may refund on one order in total, in the store's currency.
const CAP: &str = "8.00";

struct Refunds;

impl ChaosAction for Refunds {
    /// The message of a done answer.
    type Done = String;
    type Drawn = ();
    /// The order and the amount of one refund.
    type Held = (u64, Decimal);

    fn done(answer: &Value) -> String {
        answer["message"].as_str().unwrap_or_default().to_string()
    }

    async fn form(&self, app: &ChaosApp, order: u64) -> (u16, Value) {
        app.order_form(order, "refund").await
    }

    fn draw(&self, _form: &Value, rng: &mut SmallRng) -> Option<(Value, ())> {
        let amount = Decimal::new(rng.random_range(50..400), 2);
        let typed = match rng.random_range(0..4) {
            0 => amount.to_string(),
            1 => amount.to_string().replace('.', ","),
            2 => format!("${amount}"),
            _ => format!("{amount} USD"),
        };
        let body = if rng.random_ratio(1, 25) {
            json!({"mode": "full", "reason": "other"})
        } else {
            json!({"amount": typed, "reason": "goodwill"})
        };
        Some((body, ()))
    }

    fn fault(&self, rng: &mut SmallRng) -> Fault {
        refund_run_fault(
            rng,
            REFUND_POST,
            "GET /v3/orders/{id}/payment_actions/refunds",
        )
    }

    fn noted(&self, status: u16, answer: &Value) -> Option<&'static str> {
        (status == 406 && answer.to_string().contains("(max_refund)"))
            .then_some("refused over max_refund")
    }

    async fn held(&self, sb: &Running, orders: &[u64]) -> HashMap<String, Vec<(u64, Decimal)>> {
        let mut by_marker: HashMap<String, Vec<(u64, Decimal)>> = HashMap::new();
        for (order, r) in refunds(sb, orders).await {
            let reason = r["reason"].as_str().unwrap_or_default();
            if let Some(rest) = reason.strip_prefix("[gladly:") {
                let rid = rest.split(']').next().unwrap_or_default().to_string();
                by_marker
                    .entry(rid)
                    .or_default()
                    .push((order, money(&r["total_amount"])));
            }
        }
        by_marker
    }

    fn told_true(&self, f: &Form<()>, message: &String, held: &(u64, Decimal), premise: &str) {
        // "Refunded £1.93 on order #150", "Refunded KWD 3.620 on order #165": the number, in
        // the order's currency and its decimals.
        let said = message
            .strip_prefix("Refunded ")
            .and_then(|m| {
                m.split_whitespace()
                    .find(|w| w.contains(|c: char| c.is_ascii_digit()))
            })
            .map(|a| a.trim_start_matches(|c: char| !c.is_ascii_digit()))
            .and_then(|a| Decimal::from_str(a).ok());
        assert_eq!(
            (said, message.ends_with(&format!("on order #{}", f.target))),
            (Some(held.1.round_dp(3)), true),
            "{}: the answer names the amount refunded: {message}; {premise}",
            f.rid
        );
    }
}

/// Every refund the store holds on `orders`, the store's own earlier ones too.
async fn refunds(sb: &Running, orders: &[u64]) -> Vec<(u64, Value)> {
    let mut all = Vec::new();
    for id in orders {
        for r in bc_refunds(sb, *id).await["data"]
            .as_array()
            .into_iter()
            .flatten()
        {
            all.push((*id, r.clone()));
        }
    }
    all
}

fn money(v: &Value) -> Decimal {
    match v {
        Value::String(s) => Decimal::from_str(s).unwrap_or_default(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

#[tokio::test]
async fn money_chaos() {
    let plan = Plan {
        name: "chaos",
        target: "order",
        workers: 6,
        submits: 240,
        steps: MIX,
        cut_ms: 5..400,
        write: REFUND_POST,
        timing: chaos_timing(),
        least: Least {
            submits: 200,
            store_faults: 10,
            ledger_faults: 3,
            abandoned: 3,
            duplicates: 3,
            races: 3,
            done: 30,
        },
    };
    let run = Run::start(plan, Refunds, |secret| secret["max_refund"] = json!(CAP)).await;
    let mut orders = Vec::new();
    for id in 101..=170u64 {
        if run.app.order_form(id, "refund").await.0 == 200 {
            orders.push(id);
        }
    }
    assert!(
        orders.len() >= 20,
        "premise: 20 refundable orders, found {orders:?}"
    );
    let totals: HashMap<u64, Decimal> = futures::future::join_all(orders.iter().map(|id| {
        let sb = &run.sb;
        async move { (*id, money(&bc_order(sb, *id).await["total_inc_tax"])) }
    }))
    .await
    .into_iter()
    .collect();
    let end = run.go(&orders).await;
    let sb = &run.sb;

    assert!(
        end.stat("refused over max_refund") >= 1,
        "premise: the cap was reached: {:?}",
        end.stats
    );
    let mut refunded: HashMap<u64, Decimal> = HashMap::new();
    for (order, r) in refunds(sb, &orders).await {
        *refunded.entry(order).or_default() += money(&r["total_amount"]);
    }
    for (order, sum) in &refunded {
        let total = totals.get(order).copied().unwrap_or_default();
        assert!(*sum <= total, "order {order} refunded {sum} of {total}");
    }
    // What the adaptor refunded (the refunds with a marker; the store's own earlier refunds do
    // not count) stays within the cap, in the store's currency (an order in another currency
    // is converted at its own rate).
    let mut ours: HashMap<u64, Decimal> = HashMap::new();
    for (order, amount) in end.held.values().flatten() {
        *ours.entry(*order).or_default() += *amount;
    }
    let cap = Decimal::from_str(CAP).unwrap_or_default();
    for (order, sum) in &ours {
        let o = bc_order(sb, *order).await;
        let rate = money(&o["store_default_to_transactional_exchange_rate"]);
        let in_store = if rate > Decimal::ZERO {
            *sum / rate
        } else {
            *sum
        };
        assert!(
            in_store <= cap + Decimal::new(1, 2),
            "order {order}: the adaptor refunded {in_store} in the store's currency, over max_refund {cap}; {}",
            end.premise
        );
    }
}
