//! Exactly one replacement under real failure timing, as `money` and `chaos` hold refunds:
//! the create landing after we gave up, the ledger failing after the order was made, two
//! agents on one order (the same form, and different forms at the same moment), and a chaos
//! run. Each test asserts that its fault fired, then what the agent saw and what BigCommerce
//! holds. The chaos run itself, its premises and its common invariants are `harness::chaos`'s.

use crate::harness::chaos::{
    ChaosAction, ChaosApp, Fault, Form, Least, LedgerFault, Plan, Run, Seen, Step,
};
use crate::harness::engine::Timing;
use crate::harness::*;
use crate::replacements::{creates, new_order, replacements_of, CREATE};
use bigcommerce_sandbox::Running;
use rand::rngs::SmallRng;
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
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
    eventually(|| async { !made_by(sb, order, path).await.is_empty() }).await
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

struct Replacements;

impl ChaosAction for Replacements {
    /// The new order's number a done answer names.
    type Done = u64;
    /// Whether "send another" was ticked.
    type Drawn = bool;
    /// The original and the replacement order of one create.
    type Held = (u64, u64);

    fn done(answer: &Value) -> u64 {
        new_order(answer)
    }

    async fn form(&self, app: &ChaosApp, order: u64) -> (u16, Value) {
        app.order_form(order, "replacement").await
    }

    fn draw(&self, form: &Value, rng: &mut SmallRng) -> Option<(Value, bool)> {
        let item = form["sections"].as_array()?.iter().find_map(|s| {
            s["attr"]
                .as_str()
                .filter(|a| a.starts_with("qty_"))
                .map(String::from)
        })?;
        let another = rng.random_ratio(1, 4);
        let mut body = json!({"reason": "damaged", "another": another});
        body[item] = json!("1");
        Some((body, another))
    }

    fn fault(&self, rng: &mut SmallRng) -> Fault {
        Fault::Store(match rng.random_range(0..16) {
            0 => json!({"route": CREATE, "latency_ms": 700, "detached": true, "times": 1}),
            1 => json!({"route": CREATE, "status": 500, "times": 1}),
            2 => json!({"route": CREATE, "status": 502, "after": true, "times": 1}),
            3 => json!({"route": CREATE, "status": 429, "times": 1}),
            4 => json!({"route": CREATE, "malformed": true, "after": true, "times": 1}),
            5 => json!({"route": "PUT /v2/orders/{id}", "status": 503, "times": 1}),
            6 => json!({"route": "GET /v2/orders", "status": 503, "times": 2}),
            7 => {
                return Fault::ledger(
                    rng,
                    &[
                        LedgerFault::Complete,
                        LedgerFault::Release,
                        LedgerFault::MarkUncertain,
                    ],
                )
            }
            _ => return Fault::None,
        })
    }

    async fn held(&self, sb: &Running, orders: &[u64]) -> HashMap<String, Vec<(u64, u64)>> {
        let mut by_rid: HashMap<String, Vec<(u64, u64)>> = HashMap::new();
        for order in orders {
            for o in replacements_of(sb, *order).await {
                let rid = o["staff_notes"]
                    .as_str()
                    .and_then(|n| n.strip_prefix("[gladly:"))
                    .and_then(|n| n.split(']').next());
                if let (Some(rid), Some(id)) = (rid, o["id"].as_u64()) {
                    by_rid
                        .entry(rid.to_string())
                        .or_default()
                        .push((*order, id));
                }
            }
        }
        by_rid
    }

    fn told_true(&self, f: &Form<bool>, id: &u64, held: &(u64, u64), premise: &str) {
        assert_eq!(
            *held,
            (f.target, *id),
            "{}: told #{id}, store holds {held:?}; {premise}",
            f.path
        );
    }
}

#[tokio::test]
async fn replacement_chaos() {
    let plan = Plan {
        name: "replacement chaos",
        target: "order",
        workers: 4,
        submits: 90,
        steps: &[
            Step::Single,
            Step::Single,
            Step::Single,
            Step::Repeat,
            Step::Duplicate,
            Step::Race,
            Step::Race,
            Step::Abandon,
        ],
        cut_ms: 5..300,
        write: CREATE,
        timing: chaos_timing(),
        least: Least {
            store_faults: 5,
            duplicates: 2,
            races: 2,
            done: 4,
            ..Least::default()
        },
    };
    let run = Run::start(plan, Replacements, |_| {}).await;
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
    let end = run.go(&orders).await;

    // Without "send another", an order gets one replacement at most.
    for order in &orders {
        let made = replacements_of(&run.sb, *order).await;
        let allowed = 1 + end
            .forms
            .iter()
            .filter(|f| {
                f.target == *order && f.drawn && matches!(end.last(&f.rid), Some(Seen::Done(_)))
            })
            .count();
        assert!(
            made.len() <= allowed,
            "order {order}: {} replacements, {allowed} allowed; {}",
            made.len(),
            end.premise
        );
    }
}
