//! The store credit chaos test, as `chaos` runs refunds: hundreds of store credit submits on a
//! few shoppers while faults are drawn at random (late commits, 5xx before and after the store
//! wrote, 429, timeouts, garbled answers, reads failing, ledger write failures, duplicate and
//! concurrent submits of one form, different forms racing on one shopper, attempts abandoned
//! mid-flight and taken over later). At the end, from the store's own state: every shopper's
//! balance is its start plus exactly the credits agents were told were added, each request's
//! line is in the notes once at most, and every answer an agent saw was true.
//!
//! The draws are seeded (`CHAOS_SEED=<n>` repeats them; the seed is printed).
//!
//! Store credit is an absolute write, so a write that lands after the engine took it for
//! settled overwrites whatever came next (a lost credit), where a late refund only adds. The
//! engine's settle time assumes BigCommerce finishes what it was sent by then (30 s in
//! production against an 8 s write timeout); here the clock settles after 2 s, and at most one
//! delaying fault is armed at a time, because the sandbox adds the latencies of all the faults
//! a request matches: stacked, they landed writes seconds after any settle time.

use crate::chaos::{chaos_seed, classify, sandbox_on_its_own_thread, tally, Seen};
use crate::harness::faulty::{Faults, FaultyLedger};
use crate::harness::*;
use crate::store_credit::{account, CREDIT_PUT};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const WORKERS: u64 = 6;
const SUBMITS: u64 = 200;
/// Registered shoppers of the seed, some with credit to start with.
const SHOPPERS: [u64; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 20];
const REASONS: [(&str, &str); 3] = [
    ("late", "Arrived late"),
    ("damaged", "Arrived damaged"),
    ("goodwill", "Goodwill gesture"),
];

#[derive(Debug, Clone)]
struct Form {
    customer: u64,
    path: String,
    rid: String,
    amount: Decimal,
    reason: &'static str,
    body: Value,
}

struct Run {
    app: TestApp<FaultyLedger>,
    sb: bigcommerce_sandbox::Running,
    forms: Mutex<Vec<Form>>,
    seen: Mutex<Vec<(u64, String, Seen)>>,
    seq: AtomicU64,
    submits: AtomicU64,
    stats: Mutex<BTreeMap<&'static str, u64>>,
}

impl Run {
    fn count(&self, what: &'static str) {
        if let Ok(mut s) = self.stats.lock() {
            *s.entry(what).or_default() += 1;
        }
    }

    fn faults(&self) -> &Faults {
        &self.app.ledger().faults
    }

    async fn new_form(&self, customer: u64, rng: &mut SmallRng) -> Option<Form> {
        let (status, form) = self
            .app
            .form(&format!("/customers/{customer}/store-credit"))
            .await;
        if status != 200 {
            return None;
        }
        let path = action_url(&form);
        let amount = Decimal::new(rng.random_range(50..400), 2);
        let typed = match rng.random_range(0..3) {
            0 => amount.to_string(),
            1 => amount.to_string().replace('.', ","),
            _ => format!("${amount}"),
        };
        let (reason, text) = REASONS[rng.random_range(0..REASONS.len())];
        let f = Form {
            customer,
            rid: rid_of(&path),
            path,
            amount,
            reason: text,
            body: json!({"amount": typed, "reason": reason}),
        };
        if let Ok(mut forms) = self.forms.lock() {
            forms.push(f.clone());
        }
        Some(f)
    }

    async fn submit(&self, f: &Form) -> Seen {
        self.submits.fetch_add(1, Ordering::SeqCst);
        let (status, v) = self.app.submit(&f.path, &f.body).await;
        let seen = classify(status, &v);
        self.record(&f.rid, seen.clone());
        seen
    }

    fn record(&self, rid: &str, seen: Seen) {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut s) = self.seen.lock() {
            s.push((n, rid.to_string(), seen));
        }
    }

    /// Whether a fault that delays the credit write is armed and not yet drawn: the sandbox adds
    /// the latencies of every fault a request matches, and stacked ones would land a write
    /// seconds late, past any settle time (see the module's words).
    async fn delay_armed(&self) -> bool {
        let armed = control(&self.sb, "GET", "/__sandbox/faults", None).await;
        armed.as_array().into_iter().flatten().any(|f| {
            f["route"] == CREDIT_PUT
                && (f["latency_ms"].as_u64().unwrap_or(0) > 0
                    || f["answer_after_ms"].as_u64().unwrap_or(0) > 0)
        })
    }

    async fn maybe_fault(&self, rng: &mut SmallRng) {
        let draw = rng.random_range(0..20);
        if matches!(draw, 0 | 4 | 6) && self.delay_armed().await {
            return;
        }
        let f = match draw {
            0 => json!({"route": CREDIT_PUT, "latency_ms": 700, "detached": true, "times": 1}),
            1 => json!({"route": CREDIT_PUT, "status": 500, "times": 1}),
            2 => json!({"route": CREDIT_PUT, "status": 502, "after": true, "times": 1}),
            3 => json!({"route": CREDIT_PUT, "status": 429, "times": 1}),
            4 => json!({"route": CREDIT_PUT, "latency_ms": 700, "times": 1}),
            5 => json!({"route": CREDIT_PUT, "malformed": true, "after": true, "times": 1}),
            6 => json!({"route": CREDIT_PUT, "answer_after_ms": 600, "times": 1}),
            7 => json!({"route": "GET /v3/customers", "status": 503, "times": 2}),
            8 => {
                self.faults().complete.fetch_add(1, Ordering::SeqCst);
                self.count("ledger fault armed");
                return;
            }
            9 => {
                let which = match rng.random_range(0..3) {
                    0 => &self.faults().release,
                    1 => &self.faults().mark_uncertain,
                    _ => &self.faults().unlease,
                };
                which.fetch_add(1, Ordering::SeqCst);
                self.count("ledger fault armed");
                return;
            }
            _ => return,
        };
        fault(&self.sb, f).await;
        self.count("store fault armed");
    }

    fn pick_existing(&self, rng: &mut SmallRng) -> Option<Form> {
        let forms = self.forms.lock().ok()?;
        if forms.is_empty() {
            return None;
        }
        Some(forms[rng.random_range(0..forms.len())].clone())
    }

    async fn worker(&self, seed: u64) {
        let mut rng = SmallRng::seed_from_u64(seed);
        while self.submits.load(Ordering::SeqCst) < SUBMITS {
            self.maybe_fault(&mut rng).await;
            let customer = SHOPPERS[rng.random_range(0..SHOPPERS.len())];
            match rng.random_range(0..10) {
                0..=3 => {
                    if let Some(f) = self.new_form(customer, &mut rng).await {
                        self.submit(&f).await;
                        self.count("single submit");
                    }
                }
                4 | 5 => {
                    if let Some(f) = self.pick_existing(&mut rng) {
                        self.submit(&f).await;
                        self.count("repeat of an earlier form");
                    }
                }
                6 => {
                    if let Some(f) = self.new_form(customer, &mut rng).await {
                        tokio::join!(self.submit(&f), self.submit(&f));
                        self.count("concurrent duplicate");
                    }
                }
                7 => {
                    let a = self.new_form(customer, &mut rng).await;
                    let b = self.new_form(customer, &mut rng).await;
                    if let (Some(a), Some(b)) = (a, b) {
                        tokio::join!(self.submit(&a), self.submit(&b));
                        self.count("two forms racing on one shopper");
                    }
                }
                _ => {
                    if let Some(f) = self.new_form(customer, &mut rng).await {
                        let cut = Duration::from_millis(rng.random_range(5..400));
                        self.submits.fetch_add(1, Ordering::SeqCst);
                        match tokio::time::timeout(cut, self.app.submit(&f.path, &f.body)).await {
                            Ok((status, v)) => self.record(&f.rid, classify(status, &v)),
                            Err(_) => {
                                self.record(&f.rid, Seen::Abandoned);
                                self.count("abandoned mid-flight");
                            }
                        }
                    }
                }
            }
        }
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

/// The chaos clock, settling later (see the module's words).
fn timing() -> Timing {
    Timing {
        settle_after: Duration::from_secs(2),
        lease: Duration::from_secs(5),
        ..chaos_timing()
    }
}

#[tokio::test]
async fn store_credit_chaos() {
    let seed = chaos_seed();
    println!("store credit chaos seed: {seed} (CHAOS_SEED={seed} repeats the draws)");
    let started = std::time::Instant::now();
    let sb = sandbox_on_its_own_thread();
    control(
        &sb,
        "POST",
        "/__sandbox/settings",
        Some(json!({"rate_limit_quota": 1_000_000})),
    )
    .await;
    let run = Run {
        app: TestApp::of(&sb).timing(timing()).faulty().await,
        sb,
        forms: Mutex::new(Vec::new()),
        seen: Mutex::new(Vec::new()),
        seq: AtomicU64::new(0),
        submits: AtomicU64::new(0),
        stats: Mutex::new(BTreeMap::new()),
    };
    let mut start = HashMap::new();
    for c in SHOPPERS {
        start.insert(c, account(&run.sb, c).await.0);
    }
    clear_log(&run.sb).await;

    futures::future::join_all((0..WORKERS).map(|w| run.worker(seed.wrapping_add(w)))).await;

    // Faults off; every lease expired and every attempt settleable; then each form whose last
    // answer was not final is sent again until it is.
    control(&run.sb, "DELETE", "/__sandbox/faults", None).await;
    run.faults().clear();
    let t = timing();
    tokio::time::sleep(t.total + t.settle_after + t.lease).await;
    let last = |rid: &str| {
        run.seen.lock().ok().and_then(|s| {
            s.iter()
                .filter(|(_, r, _)| r == rid)
                .max_by_key(|(n, _, _)| *n)
                .map(|(_, _, seen)| seen.clone())
        })
    };
    let forms: Vec<Form> = run.forms.lock().map(|f| f.clone()).unwrap_or_default();
    let mut unsettled = 0;
    for f in &forms {
        for _ in 0..4 {
            match last(&f.rid) {
                Some(Seen::Uncertain) | Some(Seen::Abandoned) => {
                    run.submit(f).await;
                }
                _ => break,
            }
            if matches!(last(&f.rid), Some(Seen::Uncertain)) {
                tokio::time::sleep(t.settle_after).await;
            }
        }
        if matches!(last(&f.rid), Some(Seen::Uncertain) | Some(Seen::Abandoned)) {
            unsettled += 1;
        }
    }

    // What BigCommerce holds.
    let log = control(&run.sb, "GET", "/__sandbox/requests", None).await;
    let mut balance = HashMap::new();
    let mut by_rid: HashMap<String, Vec<(u64, Decimal)>> = HashMap::new();
    for c in SHOPPERS {
        let (credit, notes) = account(&run.sb, c).await;
        balance.insert(c, credit);
        for (rid, amount) in lines(&notes) {
            by_rid.entry(rid).or_default().push((c, amount));
        }
    }
    let stats = run.stats.lock().map(|s| s.clone()).unwrap_or_default();
    let seen = run.seen.lock().map(|s| s.clone()).unwrap_or_default();
    let kinds = tally(&seen);
    println!(
        "{} submits on {} shoppers in {:.1} s; draws {stats:?}; answers {kinds:?}; store faults fired {}, ledger faults fired {}; credits added {}",
        run.submits.load(Ordering::SeqCst),
        SHOPPERS.len(),
        started.elapsed().as_secs_f64(),
        log["faulted"],
        run.faults().fired(),
        by_rid.values().map(Vec::len).sum::<usize>(),
    );

    // Premises: the chaos happened.
    assert!(run.submits.load(Ordering::SeqCst) >= 150);
    assert!(
        log["faulted"].as_u64().unwrap_or(0) >= 10,
        "store faults fired: {}",
        log["faulted"]
    );
    assert!(
        run.faults().fired() >= 3,
        "ledger faults fired: {}",
        run.faults().fired()
    );
    for what in [
        "abandoned mid-flight",
        "concurrent duplicate",
        "two forms racing on one shopper",
    ] {
        // Fewer draws land than in the refund run: a form cannot open on a shopper while a
        // credit on it is unsettled, and the faults keep many so.
        assert!(
            stats.get(what).copied().unwrap_or(0) >= 2,
            "{what}: {stats:?}"
        );
    }
    assert!(kinds.get("done").copied().unwrap_or(0) >= 30, "{kinds:?}");

    // Invariants.
    assert_eq!(unsettled, 0, "every request settles once the faults stop");
    for (rid, credits) in &by_rid {
        assert_eq!(
            credits.len(),
            1,
            "request {rid} added credit more than once: {credits:?}"
        );
    }
    let mut told: HashMap<u64, Decimal> = HashMap::new();
    for f in &forms {
        let answers: Vec<&Seen> = seen
            .iter()
            .filter(|(_, r, _)| *r == f.rid)
            .map(|(_, _, s)| s)
            .collect();
        let behind = by_rid.get(&f.rid).cloned().unwrap_or_default();
        match last(&f.rid) {
            Some(Seen::Done(message)) => {
                assert_eq!(
                    behind,
                    vec![(f.customer, f.amount)],
                    "{}: done, with {behind:?} behind it",
                    f.rid
                );
                assert_eq!(
                    message,
                    format!("Added ${:.2} store credit ({})", f.amount, f.reason),
                    "{}: the answer names the credit added",
                    f.rid
                );
                for a in &answers {
                    if let Seen::Done(m) = a {
                        assert_eq!(m, &message, "{}: every done answer said the same", f.rid);
                    }
                }
                *told.entry(f.customer).or_default() += f.amount;
            }
            Some(Seen::Nothing) => {
                assert!(
                    behind.is_empty(),
                    "{}: told nothing changed, but {behind:?}; answers {answers:?}",
                    f.rid
                );
                assert!(
                    !answers.iter().any(|a| matches!(a, Seen::Done(_))),
                    "{}: done, then nothing",
                    f.rid
                );
            }
            Some(other) => panic!("{}: still {other:?}", f.rid),
            None => assert!(behind.is_empty(), "{}: never submitted, yet added", f.rid),
        }
    }
    for c in SHOPPERS {
        let want =
            start.get(&c).copied().unwrap_or_default() + told.get(&c).copied().unwrap_or_default();
        assert_eq!(
            balance.get(&c).copied().unwrap_or_default(),
            want,
            "customer {c}: the start plus exactly the credits agents were told were added"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "the chaos run must stay under 2 minutes in CI"
    );
}
