//! The store credit chaos test, as `chaos` runs refunds: hundreds of store credit submits on a
//! few shoppers while faults are drawn at random (late commits, 5xx before and after the store
//! wrote, 429, timeouts, garbled answers, reads failing, ledger write failures, duplicate and
//! concurrent submits of one form, different forms racing on one shopper, attempts abandoned
//! mid-flight and taken over later). At the end, from the store's own state: every shopper's
//! balance is its start plus exactly the credits agents were told were added, each request's
//! line is in the notes once at most, and every answer an agent saw was true.
//!
//! The draws are seeded (`CHAOS_SEED=<n>` repeats them; the seed is printed). The run itself,
//! its premises and its common invariants are `harness::chaos`'s.
//!
//! Store credit is an absolute write, so a write that lands after the engine took it for
//! settled overwrites whatever came next (a lost credit), where a late refund only adds. The
//! engine's settle time assumes BigCommerce finishes what it was sent by then (30 s in
//! production against an 8 s write timeout). The sandbox adds the latencies of all the faults
//! a request matches, and stacked they once landed writes seconds after any settle time; the
//! run arms one fault per route at a time (`fault_alone`), and names any write that lands after
//! the engine's settle as a broken premise.

use crate::harness::chaos::{
    refund_run_fault, ChaosAction, ChaosApp, Fault, Form, Least, Plan, Run, Seen, MIX,
};
use crate::harness::*;
use crate::store_credit::{account, CREDIT_PUT};
use bigcommerce_sandbox::Running;
use rand::rngs::SmallRng;
use rand::Rng;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;

/// Registered shoppers of the seed, some with credit to start with.
const SHOPPERS: [u64; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 20];
const REASONS: [(&str, &str); 3] = [
    ("late", "Arrived late"),
    ("damaged", "Arrived damaged"),
    ("goodwill", "Goodwill gesture"),
];

struct Credits;

impl ChaosAction for Credits {
    /// The message of a done answer.
    type Done = String;
    /// The amount drawn and the reason's words.
    type Drawn = (Decimal, &'static str);
    /// The shopper and the amount of one line in its notes.
    type Held = (u64, Decimal);

    fn done(answer: &Value) -> String {
        answer["message"].as_str().unwrap_or_default().to_string()
    }

    async fn form(&self, app: &ChaosApp, customer: u64) -> (u16, Value) {
        app.form(&format!("/customers/{customer}/store-credit"))
            .await
    }

    fn draw(&self, _form: &Value, rng: &mut SmallRng) -> Option<(Value, Self::Drawn)> {
        let amount = Decimal::new(rng.random_range(50..400), 2);
        let typed = match rng.random_range(0..3) {
            0 => amount.to_string(),
            1 => amount.to_string().replace('.', ","),
            _ => format!("${amount}"),
        };
        let (reason, text) = REASONS[rng.random_range(0..REASONS.len())];
        Some((json!({"amount": typed, "reason": reason}), (amount, text)))
    }

    fn fault(&self, rng: &mut SmallRng) -> Fault {
        refund_run_fault(rng, CREDIT_PUT, "GET /v3/customers")
    }

    async fn held(&self, sb: &Running, shoppers: &[u64]) -> HashMap<String, Vec<(u64, Decimal)>> {
        let mut by_rid: HashMap<String, Vec<(u64, Decimal)>> = HashMap::new();
        for c in shoppers {
            for (rid, amount) in lines(&account(sb, *c).await.1) {
                by_rid.entry(rid).or_default().push((*c, amount));
            }
        }
        by_rid
    }

    fn told_true(
        &self,
        f: &Form<Self::Drawn>,
        message: &String,
        held: &(u64, Decimal),
        premise: &str,
    ) {
        let (amount, reason) = f.drawn;
        assert_eq!(
            *held,
            (f.target, amount),
            "{}: done, with {held:?} behind it; {premise}",
            f.rid
        );
        assert_eq!(
            message,
            &format!("Added ${amount:.2} store credit ({reason})"),
            "{}: the answer names the credit added",
            f.rid
        );
    }
}

/// Each request's line in `notes`: request id → the amount it says was added.
fn lines(notes: &str) -> Vec<(String, Decimal)> {
    notes
        .lines()
        .filter_map(|l| {
            let rid = l.strip_prefix("[gladly:")?.split(']').next()?.to_string();
            let added = l.split("Store credit via Gladly: +").nth(1)?;
            let amount = Decimal::from_str(added.split(' ').next()?).ok()?;
            Some((rid, amount))
        })
        .collect()
}

#[tokio::test]
async fn store_credit_chaos() {
    let plan = Plan {
        name: "store credit chaos",
        target: "shopper",
        workers: 6,
        submits: 200,
        steps: MIX,
        cut_ms: 5..400,
        write: CREDIT_PUT,
        timing: chaos_timing(),
        // Fewer draws land than in the refund run: a form cannot open on a shopper while a
        // credit on it is unsettled, and the faults keep many so.
        least: Least {
            submits: 150,
            store_faults: 10,
            ledger_faults: 3,
            abandoned: 2,
            duplicates: 2,
            races: 2,
            done: 30,
        },
    };
    let run = Run::start(plan, Credits, |_| {}).await;
    let mut start = HashMap::new();
    for c in SHOPPERS {
        start.insert(c, account(&run.sb, c).await.0);
    }
    let end = run.go(&SHOPPERS).await;

    let mut told: HashMap<u64, Decimal> = HashMap::new();
    for f in &end.forms {
        if let Some(Seen::Done(_)) = end.last(&f.rid) {
            *told.entry(f.target).or_default() += f.drawn.0;
        }
    }
    for c in SHOPPERS {
        let want =
            start.get(&c).copied().unwrap_or_default() + told.get(&c).copied().unwrap_or_default();
        assert_eq!(
            account(&run.sb, c).await.0,
            want,
            "customer {c}: the start plus exactly the credits agents were told were added; {}",
            end.premise
        );
    }
}
