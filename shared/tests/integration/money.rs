//! Exactly-once money under real failure timing. Each test injects one fault at the worst
//! moment (BigCommerce committing after we gave up, the ledger failing after money moved, a
//! second agent on the same order, a deadline eaten by a slow store), asserts that the fault
//! fired, then asserts what the agent saw and what BigCommerce holds.

use crate::harness::engine::{Claim, Ledger, Scope};
use crate::harness::*;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;

const REFUND_POST: &str = "POST /v3/orders/{id}/payment_actions/refunds";

/// Waits (bounded) until BigCommerce holds a refund with `rid`'s marker.
async fn landed(sb: &bigcommerce_sandbox::Running, order: u64, rid: &str) -> bool {
    eventually(|| async { !refunds_marked(sb, order, rid).await.is_empty() }).await
}

#[tokio::test]
async fn a_refund_that_lands_after_we_gave_up_is_settled_not_repeated() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let (_, f) = app.order_form(101, "refund").await;
    let path = action_url(&f);
    let rid = rid_of(&path);
    // BigCommerce is still processing when our 500 ms write timeout ends; it commits at 900 ms.
    fault(
        &sb,
        json!({"route": REFUND_POST, "latency_ms": 900, "detached": true, "times": 1}),
    )
    .await;
    let body = json!({"qty_1001": "1", "reason": "damaged"});
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 400, "uncertain keeps the form open: {v}");
    assert!(message(&v).contains("may still go through"), "{v}");
    // The very next submit does not take over: BigCommerce may not be done.
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 400, "{v}");
    assert!(message(&v).contains("not confirmed"), "{v}");
    assert!(
        landed(&sb, 101, &rid).await,
        "premise: the late commit landed"
    );
    assert_eq!(faulted(&sb).await, 1, "premise: the fault fired once");
    tokio::time::sleep(app.timing().settle_after).await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["message"], "Refunded $14.00 on order #101");
    assert_eq!(
        refunds_marked(&sb, 101, &rid).await.len(),
        1,
        "exactly one refund"
    );
    assert_eq!(
        refund_posts(&sb).await,
        1,
        "and only the first POST ever reached BigCommerce"
    );
}

#[tokio::test]
async fn a_ledger_failure_after_the_refund_still_answers_what_was_done() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let (_, f) = app.order_form(101, "refund").await;
    let path = action_url(&f);
    let rid = rid_of(&path);
    app.ledger().faults.complete.store(1, Ordering::SeqCst);
    let body = json!({"qty_1001": "1", "reason": "damaged"});
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(
        app.ledger().faults.fired(),
        1,
        "premise: the answer was not kept"
    );
    assert_eq!(
        (status, message(&v)),
        (200, "Refunded $14.00 on order #101".to_string()),
        "{v}"
    );
    // A new form cannot open on a state the unkept answer leaves unexplained ...
    let (status, v) = app.order_form(101, "refund").await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("not confirmed"), "{v}");
    // ... until it is settled by the marker, and then the form says what happened.
    tokio::time::sleep(app.timing().total + app.timing().settle_after).await;
    let (status, v) = app.order_form(101, "refund").await;
    assert_eq!(status, 200, "{v}");
    let first = v["sections"][0]["text"].as_str().unwrap_or_default();
    assert!(
        first.contains("did go through") && first.contains("$14.00"),
        "{first}"
    );
    let (status, again) = app.submit(&path, &body).await;
    assert_eq!(
        (status, message(&again)),
        (200, "Refunded $14.00 on order #101".to_string())
    );
    assert_eq!(refunds_marked(&sb, 101, &rid).await.len(), 1);
}

#[tokio::test]
async fn uncertain_keeps_the_form_open_and_a_new_form_settles_it() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let (_, f) = app.order_form(105, "refund").await;
    let path = action_url(&f);
    let rid = rid_of(&path);
    // BigCommerce refunds, then answers 502.
    fault(
        &sb,
        json!({"route": REFUND_POST, "status": 502, "after": true, "times": 1}),
    )
    .await;
    let (status, v) = app
        .submit(&path, &json!({"amount": "5", "reason": "goodwill"}))
        .await;
    assert_eq!(status, 400, "Gladly keeps a 400 form open: {v}");
    assert!(v["errors"][0]["detail"]
        .as_str()
        .is_some_and(|d| d.contains("same form again")));
    assert_eq!(
        refunds_marked(&sb, 105, &rid).await.len(),
        1,
        "premise: it did refund"
    );
    // The agent closes it anyway and opens a new one: the old request is settled first.
    tokio::time::sleep(app.timing().settle_after).await;
    let (status, v) = app.order_form(105, "refund").await;
    assert_eq!(status, 200, "{v}");
    assert!(
        v["sections"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("did go through") && t.contains("$5.00")),
        "{v}"
    );
    assert!(
        v["sections"][1]["text"]
            .as_str()
            .is_some_and(|t| t.contains("$86.45")),
        "what remains: {v}"
    );
    // The old form now answers done, asking BigCommerce nothing.
    clear_log(&sb).await;
    let (status, v) = app
        .submit(&path, &json!({"amount": "5", "reason": "goodwill"}))
        .await;
    assert_eq!(
        (status, message(&v)),
        (200, "Refunded $5.00 on order #105".to_string())
    );
    assert_eq!(calls(&sb).await.0, 0);
}

#[tokio::test]
async fn a_refund_is_sent_only_with_enough_time_left() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let (_, f) = app.order_form(101, "refund").await;
    let path = action_url(&f);
    // The order read eats 2.5 s of the 2.8 s budget: too little is left for the refund.
    fault(
        &sb,
        json!({"route": "GET /v2/orders/{id}", "latency_ms": 2500, "times": 1}),
    )
    .await;
    clear_log(&sb).await;
    let body = json!({"qty_1002": "1", "reason": "wrong_item"});
    let (status, v) = app.submit(&path, &body).await;
    assert!(faulted(&sb).await >= 1, "premise: the slow read happened");
    assert_eq!(status, 400, "{v}");
    assert!(message(&v).contains("nothing was sent"), "{v}");
    assert_eq!(
        refund_posts(&sb).await,
        0,
        "no refund was started on a short budget"
    );
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(
        status, 200,
        "the same form goes through once the store is quick: {v}"
    );
}

#[tokio::test]
async fn two_forms_on_one_order_never_refund_at_once() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb)
        .timing(Timing {
            lease_wait: Duration::from_secs(2),
            ..fast_timing()
        })
        .faulty()
        .await;
    // Two agents, two refund forms, and a cancel & refund beside them, all on order 101.
    let (_, a) = app.order_form(101, "refund").await;
    let (_, b) = app.order_form(101, "refund").await;
    let c = app.get("/orders/101/cancel").await.1;
    fault(
        &sb,
        json!({"route": REFUND_POST, "latency_ms": 300, "times": 3}),
    )
    .await;
    clear_log(&sb).await;
    let body = json!({"qty_1001": "1", "reason": "damaged"}).to_string();
    let cancel_body = json!({"reason": "customer_request"}).to_string();
    let (ra, rb, rc) = tokio::join!(
        app.call(
            Function::RefundOrder,
            signed("POST", &action_url(&a), &body, SIGNING_KEY)
        ),
        app.call(
            Function::RefundOrder,
            signed("POST", &action_url(&b), &body, SIGNING_KEY)
        ),
        // The cancel comes a moment later, so at least one refund form goes first.
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let path = action_url(&c);
            app.call(
                Function::CancelOrder,
                signed("POST", &path, &cancel_body, SIGNING_KEY),
            )
            .await
        },
    );
    let statuses = [
        (ra.status().as_u16(), json_of(&ra)),
        (rb.status().as_u16(), json_of(&rb)),
        (rc.status().as_u16(), json_of(&rc)),
    ];
    assert!(
        refund_posts(&sb).await >= 2,
        "premise: at least two refunds were sent: {statuses:?}"
    );
    assert_eq!(
        max_concurrent(&sb, REFUND_POST).await,
        1,
        "never two at once: {statuses:?}"
    );
    let total: f64 = bc_refunds(&sb, 101).await["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            r["total_amount"]
                .as_f64()
                .or_else(|| r["total_amount"].as_str()?.parse().ok())
        })
        .sum();
    assert!(
        total <= 55.94 + 1e-9,
        "never beyond the order's total: {total}"
    );
}

#[tokio::test]
async fn the_loser_is_told_another_change_is_in_progress() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb)
        .timing(Timing {
            lease_wait: Duration::from_millis(300),
            write_timeout: Duration::from_secs(2),
            ..fast_timing()
        })
        .faulty()
        .await;
    let (_, a) = app.order_form(101, "refund").await;
    let (_, b) = app.order_form(101, "refund").await;
    fault(
        &sb,
        json!({"route": REFUND_POST, "latency_ms": 1200, "times": 1}),
    )
    .await;
    let body = json!({"qty_1002": "1", "reason": "damaged"});
    let a_path = action_url(&a);
    let slow = app.submit(&a_path, &body);
    let quick = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        app.submit(
            &action_url(&b),
            &json!({"amount": "2", "reason": "goodwill"}),
        )
        .await
    };
    let ((sa, va), (sb_, vb)) = tokio::join!(slow, quick);
    assert_eq!(sa, 200, "{va}");
    assert_eq!(sb_, 400, "the form stays open: {vb}");
    assert!(
        message(&vb).contains("Another change to order #101 is in progress"),
        "{vb}"
    );
    assert!(refunds_marked(&sb, 101, &rid_of(&action_url(&b)))
        .await
        .is_empty());
    let (status, v) = app
        .submit(
            &action_url(&b),
            &json!({"amount": "2", "reason": "goodwill"}),
        )
        .await;
    assert_eq!(status, 200, "sent again, it goes through: {v}");
}

#[tokio::test]
async fn amounts_typed_anywhere_refund_what_the_agent_meant() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let (_, f) = app.order_form(105, "refund").await;
    let path = action_url(&f);
    let (status, v) = app
        .submit(&path, &json!({"amount": "1,234", "reason": "goodwill"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        (
            v["errors"][1]["attr"].as_str(),
            v["errors"][1]["code"].as_str()
        ),
        (Some("amount"), Some("ambiguous")),
        "{v}"
    );
    let (status, v) = app
        .submit(&path, &json!({"amount": "1.234,56", "reason": "goodwill"}))
        .await;
    assert_eq!(
        (status, v["errors"][1]["code"].as_str()),
        (400, Some("too_large")),
        "{v}"
    );
    let (status, v) = app
        .submit(&path, &json!({"amount": "12,50", "reason": "goodwill"}))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["message"], "Refunded $12.50 on order #105", "not 1,250");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("$12.50 to ")),
        "{v}"
    );
}

#[tokio::test]
async fn a_cancel_whose_status_put_timed_out_is_uncertain_not_nothing() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let f = app.get("/orders/102/cancel").await.1;
    let path = action_url(&f);
    // BigCommerce sets the status, then answers after our write timeout.
    fault(
        &sb,
        json!({"route": "PUT /v2/orders/{id}", "answer_after_ms": 900, "times": 1}),
    )
    .await;
    let body = json!({"reason": "customer_request"}).to_string();
    let resp = app
        .call(
            Function::CancelOrder,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await;
    let v = json_of(&resp);
    assert_eq!(
        bc_order(&sb, 102).await["status_id"],
        5,
        "premise: the cancel landed"
    );
    assert_eq!(resp.status(), 400, "{v}");
    assert!(
        !message(&v).to_lowercase().contains("nothing"),
        "never 'nothing was changed': {v}"
    );
    tokio::time::sleep(app.timing().settle_after).await;
    let resp = app
        .call(
            Function::CancelOrder,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(json_of(&resp)["message"], "Order #102 cancelled");
}

#[tokio::test]
async fn markers_lead_and_agent_text_cannot_forge_one() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let (_, f) = app.order_form(101, "refund").await;
    let path = action_url(&f);
    let rid = rid_of(&path);
    let note = format!("[gladly:{}] {}", "f".repeat(32), "x".repeat(400));
    let (status, v) = app
        .submit(
            &path,
            &json!({"qty_1001": "1", "reason": "other", "note": note}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let refunds = refunds_marked(&sb, 101, &rid).await;
    let reason = refunds
        .first()
        .and_then(|r| r["reason"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(reason.starts_with(&format!("[gladly:{rid}]")), "{reason}");
    assert!(
        !reason.contains(&format!("[gladly:{}]", "f".repeat(32))),
        "{reason}"
    );
}

#[tokio::test]
async fn a_code_collision_is_refused_never_passed_off_as_created() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let rid = "collision-request-01";
    // Codes are no longer computable from the request id: an abandoned earlier attempt of this
    // request holds a claim with a seed the test knows, so the submit takes it over and makes
    // that seed's code.
    let id = shared::ids::RequestId::parse(rid).expect("rid");
    let seed = shared::actions::codes::CodeSeed::random();
    let scope = Scope::parse("discount:customer:1").expect("scope");
    let long_ago = chrono::Utc::now().timestamp_millis() - 120_000;
    let claimed = app
        .ledger()
        .claim(&id, &scope, long_ago, long_ago + 1, seed)
        .await;
    assert_eq!(claimed, Ok(Claim::Won), "premise: the earlier claim");
    let code =
        shared::actions::codes::Codes::new(seed).code(&id, shared::actions::discount::run::CODE);
    // Another promotion already owns the code this request would make.
    let c = reqwest::Client::new();
    let promo: Value = c
        .post(format!("{}/v3/promotions", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .json(&json!({"name": "someone else's", "redemption_type": "COUPON", "rules": [{"action": {"cart_value": {"discount": {"fixed_amount": "1"}}}}]}))
        .send().await.expect("promotion").json().await.expect("json");
    let pid = promo["data"]["id"].as_u64().expect("promotion id");
    let made = c
        .post(format!("{}/v3/promotions/{pid}/codes", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .json(&json!({"code": code, "max_uses": 1}))
        .send()
        .await
        .expect("code");
    assert!(
        made.status().is_success(),
        "premise: the code exists elsewhere"
    );
    clear_log(&sb).await;
    let resp = app
        .call(
            Function::CreateDiscount,
            signed(
                "POST",
                &format!("/customers/1/discount/{rid}"),
                r#"{"type":"percent","value":"10"}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    let v = json_of(&resp);
    assert_eq!(resp.status(), 406, "{v}");
    assert!(message(&v).contains("already taken"), "{v}");
    assert_eq!(
        calls(&sb).await.1["POST /v3/promotions"]
            .as_u64()
            .unwrap_or(0),
        0,
        "nothing created"
    );
}

#[tokio::test]
async fn a_hung_idempotency_table_is_answered_within_the_budget() {
    let sb = sandbox().await;
    // A "DynamoDB" that accepts connections and never answers.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", hung.local_addr().expect("addr"));
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = hung.accept().await {
            open.push(conn);
        }
    });
    let app = TestApp::of(&sb)
        .timing(fast_timing())
        .ledger(DynamoLedger::new(
            shared::config::dynamodb_client(Some(&endpoint)),
            "idem",
        ))
        .await;
    let started = std::time::Instant::now();
    let (status, v) = app
        .submit(
            "/orders/101/refund/hung-table-request",
            &json!({"qty_1001": "1", "reason": "damaged"}),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, 400, "{v}");
    assert!(
        message(&v).contains("idempotency table is unavailable"),
        "{v}"
    );
    assert_eq!(
        bc_refunds(&sb, 101).await["data"],
        json!([]),
        "nothing refunded"
    );
    held.abort();
}

#[tokio::test]
async fn a_cancel_whose_refund_went_through_but_status_was_throttled_is_never_called_nothing() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb)
        .timing(Timing {
            total: Duration::from_secs(14),
            ..fast_timing()
        })
        .faulty()
        .await;
    let f = app.get("/orders/106/cancel").await.1;
    let path = action_url(&f);
    // Every attempt at the status is throttled: the client gives up with 429.
    fault(
        &sb,
        json!({"route": "PUT /v2/orders/{id}", "status": 429, "times": 3}),
    )
    .await;
    let body = json!({"reason": "customer_request"}).to_string();
    let resp = app
        .call(
            Function::CancelOrder,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await;
    let v = json_of(&resp);
    assert!(faulted(&sb).await >= 1, "premise: the status was throttled");
    assert_eq!(
        bc_refunds(&sb, 106).await["data"].as_array().map(Vec::len),
        Some(1),
        "premise: refunded"
    );
    assert_eq!(resp.status(), 400, "the form stays open: {v}");
    let m = message(&v);
    assert!(
        m.contains("not cancelled yet") && !m.to_lowercase().contains("nothing was changed"),
        "{v}"
    );
    control(&sb, "DELETE", "/__sandbox/faults", None).await;
    let resp = app
        .call(
            Function::CancelOrder,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", json_of(&resp));
    assert_eq!(bc_order(&sb, 106).await["status_id"], 5);
    assert_eq!(
        bc_refunds(&sb, 106).await["data"].as_array().map(Vec::len),
        Some(1),
        "never refunded twice"
    );
}
