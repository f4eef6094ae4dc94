//! The engine's rules on the in-memory ledger, with a stand-in store that says which requests "happened".

use super::outcome::{ledger_down, wrong_scope};
use super::*;
use crate::actions::kind::ActionKind;
use crate::actions::ledger::MemoryLedger;
use crate::actions::ledger::{Ledger, Record, State};
use crate::ids::{OrderId, RequestId};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

fn rid(s: &str) -> RequestId {
    RequestId::parse(s).unwrap_or_else(RequestId::new_random)
}

/// A store stand-in: which requests "happened" at BigCommerce.
#[derive(Default)]
struct Marks(Mutex<Vec<RequestId>>);

impl Look for Marks {
    async fn look(
        &self,
        _: &Scope,
        id: &RequestId,
        _: crate::actions::codes::Codes,
        _: Instant,
    ) -> Looked {
        if self.0.lock().map(|m| m.contains(id)).unwrap_or(false) {
            Looked::Found(Outcome::done("found", "by marker"))
        } else {
            Looked::NotFound
        }
    }
}

fn seed() -> crate::actions::codes::CodeSeed {
    crate::actions::codes::CodeSeed::random()
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

const ORDER: Scope = Scope::Action(ActionKind::Refund, Target::Order(OrderId(1)));

fn submit<'a>(id: &'a RequestId, scope: &'a Scope) -> Submit<'a> {
    Submit {
        id,
        scope,
        started: Instant::now(),
    }
}

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
    let engine = Engine::new(&ledger, &t, &marks);
    let runs = AtomicU32::new(0);
    let id = rid("request-0001");
    let act = |_t: Turn| async {
        runs.fetch_add(1, Ordering::SeqCst);
        Outcome::done("Refunded $1.00", "To the card.")
    };
    let first = engine.run(submit(&id, &ORDER), act).await;
    let again = engine.run(submit(&id, &ORDER), act).await;
    assert_eq!(first, again);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let other = engine
        .run(
            submit(
                &id,
                &Scope::Action(ActionKind::Cancel, Target::Order(OrderId(1))),
            ),
            act,
        )
        .await;
    assert!(matches!(other, Outcome::Refused { .. }));
    assert_eq!(earlier(&ledger, &id, &ORDER).await, Some(first));
    assert_eq!(
        ledger.open_requests(&Target::Order(OrderId(1))).await,
        Ok(vec![]),
        "settled and off the list"
    );
}

#[tokio::test]
async fn uncertain_is_not_taken_over_before_bigcommerce_must_have_finished() {
    let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
    let engine = Engine::new(&ledger, &t, &marks);
    let id = rid("request-0002");
    let a = engine
        .run(submit(&id, &ORDER), |_| async {
            Outcome::uncertain("timed out", "")
        })
        .await;
    assert!(matches!(a, Outcome::Uncertain { .. }));
    // At once: not taken over, the action does not run.
    let ran = AtomicU32::new(0);
    let b = engine
        .run(submit(&id, &ORDER), |_| async {
            ran.fetch_add(1, Ordering::SeqCst);
            Outcome::done("refunded again", "")
        })
        .await;
    assert!(matches!(b, Outcome::Uncertain { .. }), "{b:?}");
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    // Meanwhile the first attempt's refund lands; after the settle time the marker shows it.
    marks.0.lock().map(|mut m| m.push(id.clone())).ok();
    tokio::time::sleep(t.settle_after).await;
    let c = engine
        .run(submit(&id, &ORDER), |turn| async move {
            assert!(turn.attempt.settles(), "the attempt is told to look first");
            Outcome::done("settled", "")
        })
        .await;
    assert_eq!(c, Outcome::done("settled", ""));
}

#[tokio::test]
async fn another_form_on_the_order_settles_what_is_open_first() {
    let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
    let engine = Engine::new(&ledger, &t, &marks);
    let (first, second) = (rid("request-000a"), rid("request-000b"));
    let a = engine
        .run(submit(&first, &ORDER), |_| async {
            Outcome::uncertain("timed out", "")
        })
        .await;
    assert!(matches!(a, Outcome::Uncertain { .. }));
    assert_eq!(
        ledger.open_requests(&Target::Order(OrderId(1))).await,
        Ok(vec![first.clone()])
    );
    // Too early: the second form changes nothing and says why.
    let b = engine
        .run(submit(&second, &ORDER), |_| async {
            Outcome::done("second", "")
        })
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
    let settled = engine
        .settle_open(&Target::Order(OrderId(1)), Instant::now() + t.total)
        .await;
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
    let b = engine
        .run(submit(&second, &ORDER), |_| async {
            Outcome::done("second", "")
        })
        .await;
    assert_eq!(b, Outcome::done("second", ""));
}

#[tokio::test]
async fn a_taken_over_request_that_cannot_go_on_stays_on_the_orders_list() {
    let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
    let engine = Engine::new(&ledger, &t, &marks);
    let (mine, other) = (rid("request-00c1"), rid("request-00c2"));
    let a = engine
        .run(submit(&mine, &ORDER), |_| async {
            Outcome::uncertain("timed out", "")
        })
        .await;
    assert!(matches!(a, Outcome::Uncertain { .. }));
    // Another request died on the order, long from settleable; its lease has run out.
    let now = now_ms();
    let _ = ledger
        .claim(&other, &ORDER, now, now + 60_000, seed())
        .await;
    let _ = ledger
        .lease(&Target::Order(OrderId(1)), &other, now, now)
        .await;
    tokio::time::sleep(t.settle_after).await;
    let b = engine
        .run(submit(&mine, &ORDER), |_| async {
            Outcome::done("must not run", "")
        })
        .await;
    assert!(matches!(b, Outcome::Uncertain { .. }), "{b:?}");
    let open = ledger
        .open_requests(&Target::Order(OrderId(1)))
        .await
        .unwrap_or_default();
    assert!(
        open.contains(&mine),
        "still unexplained, still listed: {open:?}"
    );
}

#[tokio::test]
async fn two_requests_on_one_order_never_overlap() {
    let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
    let engine = Engine::new(&ledger, &t, &marks);
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
    let outs =
        futures::future::join_all(ids.iter().map(|id| engine.run(submit(id, &ORDER), act))).await;
    assert_eq!(most.load(Ordering::SeqCst), 1, "one at a time");
    assert!(outs
        .iter()
        .all(|o| matches!(o, Outcome::Done { .. } | Outcome::NothingDone { .. })));
}

#[tokio::test]
async fn an_abandoned_claim_is_taken_over_once_settleable() {
    let (ledger, marks, t) = (MemoryLedger::default(), Marks::default(), fast());
    let engine = Engine::new(&ledger, &t, &marks);
    let id = rid("request-0004");
    let long_ago = now_ms() - 60_000;
    let _ = ledger
        .claim(&id, &ORDER, long_ago, long_ago + 1, seed())
        .await;
    let a = engine
        .run(submit(&id, &ORDER), |turn| async move {
            assert!(turn.attempt.settles());
            Outcome::done("settled", "")
        })
        .await;
    assert_eq!(a, Outcome::done("settled", ""));
}
