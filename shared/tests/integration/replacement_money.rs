//! Exactly one replacement under real failure timing, as `money` and `chaos` hold refunds:
//! the create landing after we gave up, the ledger failing after the order was made, two
//! agents on one order (the same form, and different forms at the same moment), and a chaos
//! run. Each test asserts that its fault fired, then what the agent saw and what BigCommerce
//! holds.

use crate::harness::engine::Timing;
use crate::harness::*;
use crate::replacements::{creates, new_order, replacements_of, CREATE};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The replacements of `order` carrying `path`'s marker.
async fn made_by(sb: &bigcommerce_sandbox::Running, order: u64, path: &str) -> Vec<Value> {
    let m = marker_of(path);
    replacements_of(sb, order)
        .await
        .into_iter()
        .filter(|o| o["staff_notes"].as_str().is_some_and(|n| n.starts_with(&m)))
        .collect()
}

async fn landed(sb: &bigcommerce_sandbox::Running, order: u64, path: &str) -> bool {
    for _ in 0..40 {
        if !made_by(sb, order, path).await.is_empty() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_replacement_that_lands_after_we_gave_up_is_settled_not_made_again() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let (_, f) = app.order_form(104, "replacement").await;
    let path = action_url(&f);
    clear_log(&sb).await;
    // BigCommerce is still making the order when our 500 ms write timeout ends; it lands at 900.
    fault(
        &sb,
        json!({"route": CREATE, "latency_ms": 900, "detached": true, "times": 1}),
    )
    .await;
    let body = json!({"qty_1007": "1", "reason": "not_received"});
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 400, "uncertain keeps the form open: {v}");
    assert!(message(&v).contains("may still go through"), "{v}");
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 400, "{v}");
    assert!(message(&v).contains("not confirmed"), "{v}");
    assert!(
        landed(&sb, 104, &path).await,
        "premise: the late commit landed"
    );
    assert_eq!(faulted(&sb).await, 1, "premise: the fault fired once");
    tokio::time::sleep(app.timing().settle_after).await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{v}");
    let made = made_by(&sb, 104, &path).await;
    assert_eq!(made.len(), 1, "exactly one order");
    assert_eq!(new_order(&v), made[0]["id"].as_u64().unwrap_or(0), "{v}");
    assert_eq!(
        creates(&sb).await,
        1,
        "and only the first POST ever reached BigCommerce"
    );
    assert!(bc_order(&sb, 104).await["staff_notes"]
        .as_str()
        .unwrap_or_default()
        .contains(&format!("Replacement order #{} sent", new_order(&v))));
}

#[tokio::test]
async fn a_ledger_failure_after_the_order_was_made_still_answers_what_was_done() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let (_, f) = app.order_form(104, "replacement").await;
    let path = action_url(&f);
    app.ledger().faults.complete.store(1, Ordering::SeqCst);
    let body = json!({"qty_1007": "2", "reason": "damaged"});
    let (status, first) = app.submit(&path, &body).await;
    assert_eq!(
        app.ledger().faults.fired(),
        1,
        "premise: the answer was not kept"
    );
    assert_eq!(status, 200, "{first}");
    let id = new_order(&first);
    // A new form cannot open on a state the unkept answer leaves unexplained ...
    let (status, v) = app.order_form(104, "replacement").await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("not confirmed"), "{v}");
    // ... until it is settled by the marker; then the form says what happened.
    tokio::time::sleep(app.timing().total + app.timing().settle_after).await;
    let (status, v) = app.order_form(104, "replacement").await;
    assert_eq!(status, 200, "{v}");
    let top = v["sections"][0]["text"].as_str().unwrap_or_default();
    assert!(
        top.contains("did go through") && top.contains(&format!("#{id}")),
        "{top}"
    );
    clear_log(&sb).await;
    let (status, again) = app.submit(&path, &body).await;
    assert_eq!((status, message(&again)), (200, message(&first)));
    assert_eq!(creates(&sb).await, 0);
    assert_eq!(made_by(&sb, 104, &path).await.len(), 1);
}

#[tokio::test]
async fn two_agents_on_one_order_never_make_two_replacements() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb)
        .timing(Timing {
            lease_wait: Duration::from_secs(3),
            ..fast_timing()
        })
        .faulty()
        .await;
    // The same form, sent by two agents at once (or a double click).
    let (_, f) = app.order_form(139, "replacement").await;
    let path = action_url(&f);
    let body = json!({"qty_1057": "1", "reason": "damaged"});
    clear_log(&sb).await;
    fault(&sb, json!({"route": CREATE, "latency_ms": 300, "times": 1})).await;
    let (a, b) = tokio::join!(app.submit(&path, &body), app.submit(&path, &body));
    assert_eq!(faulted(&sb).await, 1, "premise: the create was slow");
    assert_eq!(creates(&sb).await, 1, "one create: {a:?} {b:?}");
    assert_eq!(made_by(&sb, 139, &path).await.len(), 1);
    for (status, v) in [&a, &b] {
        assert!(
            *status == 200 || message(v).contains("still being carried out"),
            "{v}"
        );
    }
    // Two different forms on another order, submitted at the same moment: the order's lease
    // lets one through, the other then sees it and is refused naming it.
    let (_, fa) = app.order_form(104, "replacement").await;
    let (_, fb) = app.order_form(104, "replacement").await;
    let (pa, pb) = (action_url(&fa), action_url(&fb));
    clear_log(&sb).await;
    fault(&sb, json!({"route": CREATE, "latency_ms": 400, "times": 1})).await;
    let timed = |path: String| {
        let app = &app;
        async move {
            let start = Instant::now();
            let (status, v) = app
                .submit(&path, json!({"qty_1007": "1", "reason": "damaged"}))
                .await;
            (start, Instant::now(), status, v)
        }
    };
    let ((sa, ea, sta, va), (sb_, eb, stb, vb)) =
        tokio::join!(timed(pa.clone()), timed(pb.clone()));
    assert!(sa < eb && sb_ < ea, "premise: the two submits overlapped");
    assert_eq!(faulted(&sb).await, 1, "premise: the first create was slow");
    assert_eq!(max_concurrent(&sb, CREATE).await, 1);
    assert_eq!(creates(&sb).await, 1, "{va} {vb}");
    let mut statuses = [sta, stb];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 406], "{va} {vb}");
    let (done, refused) = if sta == 200 { (&va, &vb) } else { (&vb, &va) };
    assert!(
        message(refused).contains(&format!(
            "already had a replacement: order #{}",
            new_order(done)
        )),
        "{refused}"
    );
    assert_eq!(replacements_of(&sb, 104).await.len(), 1);
}

/// The one double the engine cannot see, pinned so that the chaos run's premise check is known
/// to name it: a create that lands after the engine settles it. The sandbox adds up the latency
/// of every fault matching a request, so three late commits drawn before one create make it
/// land 2100 ms after it arrived, far past chaos_timing's 300 + 800 ms (a write gives up at
/// least `min_write_budget` after it is sent, and is settled `settle_after` later). A second
/// form then settles the first as "nothing was made" and makes its own, and the first lands
/// too: the double `replacement_chaos` reported once (seed 12, not reproduced since), most
/// likely, as its draws armed late commits faster than creates used them (1400 to 2800 ms
/// injected on one create in most runs of that seed). The chaos run now never arms a fault on a
/// route that still has one armed, and says "premise broken" if a create lands late.
#[tokio::test]
async fn a_create_landing_after_the_settle_is_named_as_a_broken_premise() {
    let sb = sandbox().await;
    let t = chaos_timing();
    let app = TestApp::of(&sb).timing(t).faulty().await;
    let (_, fa) = app.order_form(104, "replacement").await;
    let (_, fb) = app.order_form(104, "replacement").await;
    let (pa, pb) = (action_url(&fa), action_url(&fb));
    let body = json!({"qty_1007": "1", "reason": "damaged"});
    clear_log(&sb).await;
    for _ in 0..3 {
        fault(
            &sb,
            json!({"route": CREATE, "latency_ms": 700, "detached": true, "times": 1}),
        )
        .await;
    }
    let (status, a) = app.submit(&pa, &body).await;
    assert_eq!(status, 400, "{a}");
    assert!(message(&a).contains("may still go through"), "{a}");
    assert_eq!(
        creates(&sb).await,
        0,
        "premise: the create has not landed yet"
    );
    // Once the first is settleable, a second form settles it (nothing found yet) and makes one.
    tokio::time::sleep(t.settle_after + Duration::from_millis(50)).await;
    let (status, b) = app.submit(&pb, &body).await;
    assert_eq!(status, 200, "{b}");
    assert!(
        landed(&sb, 104, &pa).await,
        "premise: the late create landed"
    );
    assert_eq!(replacements_of(&sb, 104).await.len(), 2, "the double");
    let log = control(&sb, "GET", "/__sandbox/requests", None).await;
    let late = late_writes(&log, CREATE, &t);
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(
        late[0].contains("2100 ms injected") && late[0].contains("past the 1100 ms"),
        "{late:?}"
    );
}

/// What the agent was told, as the agent reads it.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Done(u64),
    Nothing,
    Uncertain,
    Abandoned,
}

fn classify(status: u16, v: &Value) -> Seen {
    let errors = v["errors"].as_array().cloned().unwrap_or_default();
    let general = errors
        .first()
        .and_then(|e| e["message"].as_str())
        .unwrap_or_default()
        .to_lowercase();
    match status {
        200 => Seen::Done(new_order(v)),
        406 => Seen::Nothing,
        400 if errors.iter().any(|e| e["attr"].is_string()) => Seen::Nothing,
        400 if general.contains("nothing") => Seen::Nothing,
        400 => Seen::Uncertain,
        other => panic!("an answer outside the contract: {other} {v}"),
    }
}

#[derive(Debug, Clone)]
struct Form {
    order: u64,
    path: String,
    body: Value,
    another: bool,
}

struct Run {
    app: TestApp<crate::harness::faulty::FaultyLedger>,
    sb: bigcommerce_sandbox::Running,
    forms: Mutex<Vec<Form>>,
    seen: Mutex<Vec<(u64, String, Seen)>>,
    seq: AtomicU64,
    submits: AtomicU64,
    stats: Mutex<BTreeMap<&'static str, u64>>,
    /// Held while a store fault is checked and armed (`maybe_fault`).
    arming: tokio::sync::Mutex<()>,
}

const SUBMITS: u64 = 90;

impl Run {
    fn count(&self, what: &'static str) {
        if let Ok(mut s) = self.stats.lock() {
            *s.entry(what).or_default() += 1;
        }
    }

    async fn new_form(&self, order: u64, rng: &mut SmallRng) -> Option<Form> {
        let (status, form) = self.app.order_form(order, "replacement").await;
        if status != 200 {
            return None;
        }
        let item = form["sections"].as_array()?.iter().find_map(|s| {
            s["attr"]
                .as_str()
                .filter(|a| a.starts_with("qty_"))
                .map(String::from)
        })?;
        let another = rng.random_ratio(1, 4);
        let mut body = json!({"reason": "damaged", "another": another});
        body[item] = json!("1");
        let f = Form {
            order,
            path: action_url(&form),
            body,
            another,
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
        self.record(&f.path, seen.clone());
        seen
    }

    fn record(&self, path: &str, seen: Seen) {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut s) = self.seen.lock() {
            s.push((n, path.to_string(), seen));
        }
    }

    fn last(&self, path: &str) -> Option<Seen> {
        let s = self.seen.lock().ok()?;
        s.iter()
            .filter(|(_, p, _)| p == path)
            .max_by_key(|(n, _, _)| *n)
            .map(|(_, _, x)| x.clone())
    }

    async fn maybe_fault(&self, rng: &mut SmallRng) {
        let f = match rng.random_range(0..16) {
            0 => json!({"route": CREATE, "latency_ms": 700, "detached": true, "times": 1}),
            1 => json!({"route": CREATE, "status": 500, "times": 1}),
            2 => json!({"route": CREATE, "status": 502, "after": true, "times": 1}),
            3 => json!({"route": CREATE, "status": 429, "times": 1}),
            4 => json!({"route": CREATE, "malformed": true, "after": true, "times": 1}),
            5 => json!({"route": "PUT /v2/orders/{id}", "status": 503, "times": 1}),
            6 => json!({"route": "GET /v2/orders", "status": 503, "times": 2}),
            7 => {
                let faults = &self.app.ledger().faults;
                let which = match rng.random_range(0..3) {
                    0 => &faults.complete,
                    1 => &faults.release,
                    _ => &faults.mark_uncertain,
                };
                which.fetch_add(1, Ordering::SeqCst);
                self.count("ledger fault armed");
                return;
            }
            _ => return,
        };
        if !fault_alone(&self.sb, &self.arming, f).await {
            self.count("store fault not armed: one armed on its route");
            return;
        }
        self.count("store fault armed");
    }

    async fn worker(&self, seed: u64, orders: &[u64]) {
        let mut rng = SmallRng::seed_from_u64(seed);
        while self.submits.load(Ordering::SeqCst) < SUBMITS {
            self.maybe_fault(&mut rng).await;
            let order = orders[rng.random_range(0..orders.len())];
            match rng.random_range(0..8) {
                0..=2 => {
                    if let Some(f) = self.new_form(order, &mut rng).await {
                        self.submit(&f).await;
                    }
                }
                3 => {
                    let f = self.forms.lock().ok().and_then(|fs| {
                        (!fs.is_empty()).then(|| fs[rng.random_range(0..fs.len())].clone())
                    });
                    if let Some(f) = f {
                        self.submit(&f).await;
                        self.count("repeat of an earlier form");
                    }
                }
                4 => {
                    if let Some(f) = self.new_form(order, &mut rng).await {
                        tokio::join!(self.submit(&f), self.submit(&f));
                        self.count("concurrent duplicate");
                    }
                }
                5 | 6 => {
                    let a = self.new_form(order, &mut rng).await;
                    let b = self.new_form(order, &mut rng).await;
                    if let (Some(a), Some(b)) = (a, b) {
                        tokio::join!(self.submit(&a), self.submit(&b));
                        self.count("two forms racing on one order");
                    }
                }
                _ => {
                    if let Some(f) = self.new_form(order, &mut rng).await {
                        let cut = Duration::from_millis(rng.random_range(5..300));
                        self.submits.fetch_add(1, Ordering::SeqCst);
                        match tokio::time::timeout(cut, self.app.submit(&f.path, &f.body)).await {
                            Ok((status, v)) => self.record(&f.path, classify(status, &v)),
                            Err(_) => {
                                self.record(&f.path, Seen::Abandoned);
                                self.count("abandoned mid-flight");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn replacement_chaos() {
    let seed = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(7)
        });
    println!("replacement chaos seed: {seed} (CHAOS_SEED={seed} repeats the draws)");
    let started = Instant::now();
    let sb = crate::chaos::sandbox_on_its_own_thread();
    control(
        &sb,
        "POST",
        "/__sandbox/settings",
        Some(json!({"rate_limit_quota": 1_000_000})),
    )
    .await;
    let run = Run {
        app: TestApp::of(&sb).timing(chaos_timing()).faulty().await,
        sb,
        forms: Mutex::new(Vec::new()),
        seen: Mutex::new(Vec::new()),
        seq: AtomicU64::new(0),
        submits: AtomicU64::new(0),
        stats: Mutex::new(BTreeMap::new()),
        arming: tokio::sync::Mutex::new(()),
    };
    let mut orders = Vec::new();
    for id in 101..=170u64 {
        if run.app.order_form(id, "replacement").await.0 == 200 {
            orders.push(id);
        }
        if orders.len() == 8 {
            break;
        }
    }
    assert_eq!(orders.len(), 8, "premise: 8 orders to replace: {orders:?}");
    clear_log(&run.sb).await;
    futures::future::join_all((0..4u64).map(|w| run.worker(seed.wrapping_add(w), &orders))).await;

    // Faults off; let everything become settleable, then resend what is not final.
    control(&run.sb, "DELETE", "/__sandbox/faults", None).await;
    run.app.ledger().faults.clear();
    let t = chaos_timing();
    tokio::time::sleep(t.total + t.settle_after + t.lease).await;
    let forms: Vec<Form> = run.forms.lock().map(|f| f.clone()).unwrap_or_default();
    let mut unsettled = 0;
    for f in &forms {
        for _ in 0..4 {
            match run.last(&f.path) {
                Some(Seen::Uncertain) | Some(Seen::Abandoned) => {
                    run.submit(f).await;
                }
                _ => break,
            }
            if matches!(run.last(&f.path), Some(Seen::Uncertain)) {
                tokio::time::sleep(t.settle_after).await;
            }
        }
        if matches!(
            run.last(&f.path),
            Some(Seen::Uncertain) | Some(Seen::Abandoned)
        ) {
            unsettled += 1;
        }
    }

    let log = control(&run.sb, "GET", "/__sandbox/requests", None).await;
    let late = late_writes(&log, CREATE, &t);
    // Said with every invariant below: whether a double there is the action's or the engine's
    // bug, or a create that landed later than the engine may assume.
    let premise = if late.is_empty() {
        "premise held: every create landed before the engine could settle it, so this is a real double".to_string()
    } else {
        format!("premise broken, not a real double: {}", late.join("; "))
    };
    let stats = run.stats.lock().map(|s| s.clone()).unwrap_or_default();
    let seen = run.seen.lock().map(|s| s.clone()).unwrap_or_default();
    let done = seen
        .iter()
        .filter(|(_, _, s)| matches!(s, Seen::Done(_)))
        .count();
    println!(
        "{} submits on {} orders in {:.1} s; draws {stats:?}; {done} done answers; store faults fired {}, ledger faults fired {}; the store's own lag on a create at most {} ms; late creates: {late:?}",
        run.submits.load(Ordering::SeqCst),
        orders.len(),
        started.elapsed().as_secs_f64(),
        log["faulted"],
        run.app.ledger().faults.fired(),
        store_lag_ms(&log, CREATE),
    );
    // Premises: the chaos happened.
    assert!(
        log["faulted"].as_u64().unwrap_or(0) >= 5,
        "store faults fired: {}",
        log["faulted"]
    );
    assert!(
        stats.get("concurrent duplicate").copied().unwrap_or(0) >= 2,
        "{stats:?}"
    );
    assert!(
        stats
            .get("two forms racing on one order")
            .copied()
            .unwrap_or(0)
            >= 2,
        "{stats:?}"
    );
    assert!(done >= 4, "{done} done");

    // Invariants, from the store's own state.
    assert_eq!(unsettled, 0, "every request settles once the faults stop");
    for order in &orders {
        let made = replacements_of(&run.sb, *order).await;
        let ours: Vec<&Form> = forms.iter().filter(|f| f.order == *order).collect();
        for f in &ours {
            let behind: Vec<u64> = made
                .iter()
                .filter(|o| {
                    o["staff_notes"]
                        .as_str()
                        .is_some_and(|n| n.starts_with(&marker_of(&f.path)))
                })
                .filter_map(|o| o["id"].as_u64())
                .collect();
            assert!(
                behind.len() <= 1,
                "{}: request made {behind:?}; {premise}",
                f.path
            );
            let answers: Vec<Seen> = seen
                .iter()
                .filter(|(_, p, _)| *p == f.path)
                .map(|(_, _, s)| s.clone())
                .collect();
            match run.last(&f.path) {
                Some(Seen::Done(id)) => {
                    assert_eq!(
                        behind,
                        vec![id],
                        "{}: told #{id}, store holds {behind:?}; {premise}",
                        f.path
                    );
                    for a in &answers {
                        if let Seen::Done(other) = a {
                            assert_eq!(*other, id, "{}: two different answers", f.path);
                        }
                    }
                }
                Some(Seen::Nothing) => {
                    assert!(
                        behind.is_empty(),
                        "{}: told nothing was made, but {behind:?}; {premise}",
                        f.path
                    );
                    assert!(
                        !answers.iter().any(|a| matches!(a, Seen::Done(_))),
                        "{}: done, then nothing",
                        f.path
                    );
                }
                Some(other) => panic!("{}: still {other:?}", f.path),
                None => assert!(behind.is_empty(), "{}: never submitted, yet made", f.path),
            }
        }
        // Without "send another", an order gets one replacement at most.
        let allowed = 1 + ours
            .iter()
            .filter(|f| f.another && matches!(run.last(&f.path), Some(Seen::Done(_))))
            .count();
        assert!(
            made.len() <= allowed,
            "order {order}: {} replacements, {allowed} allowed; {premise}",
            made.len()
        );
    }
    // Premise: every create landed before the engine could settle it. The margin is chaos_timing's
    // 300 + 800 ms less the 700 ms a late commit is injected with: 400 ms for the store's own lag,
    // measured at most 57 ms (seeds 1 to 40 beside a second chaos loop on 2 shared cores; 19 ms
    // with the test pinned to one core by `taskset -c 0`; 2026-12-05).
    assert!(late.is_empty(), "{premise}");
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "under 2 minutes in CI"
    );
}
