//! Cumulative limits (`max_refund` per order in total, gift certificates per day) counted in
//! the idempotency table, a discount's limits, and limit keys that do not read.

use crate::harness::*;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A refund of `amount` off order `order`, with its own request id.
async fn refund_of<L: crate::harness::engine::Ledger>(
    app: &TestApp<L>,
    order: u64,
    rid: &str,
    amount: &str,
) -> (u16, Value) {
    app.submit(
        &format!("/orders/{order}/refund/{rid}"),
        json!({"amount": amount, "reason": "damaged"}),
    )
    .await
}

/// A counter item's attribute, as the table holds it.
async fn counter(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: &str,
    attr: &str,
) -> Option<AttributeValue> {
    client
        .get_item()
        .table_name(table)
        .key("request_id", AttributeValue::S(key.into()))
        .consistent_read(true)
        .send()
        .await
        .expect("read")
        .item
        .and_then(|i| i.get(attr).cloned())
}

#[tokio::test]
async fn a_refund_split_into_ten_stops_at_the_orders_limit_and_the_refused_one_changes_nothing() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    secret["max_refund"] = json!("5.50");
    let app = TestApp::of(&sb).secret(secret).build().await;
    shared::telemetry::capture_emf();
    let mut answers = Vec::new();
    for i in 0..10 {
        if i == 5 {
            clear_log(&sb).await;
        }
        answers.push(refund_of(&app, 101, &format!("split-refund-{i:04}"), "1.00").await);
    }
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 200, 406, 406, 406, 406, 406],
        "{answers:?}"
    );
    let refused = message(&answers[5].1);
    for words in [
        "$5.50",
        "max_refund",
        "$5.00 so far",
        "$0.50 left",
        "this refund is $1.00",
        "order #101",
    ] {
        assert!(refused.contains(words), "{words}: {refused}");
    }
    assert_eq!(
        refund_posts(&sb).await,
        0,
        "the refused refunds sent nothing"
    );
    let refunds = bc_refunds(&sb, 101).await;
    assert_eq!(
        refunds["data"].as_array().map(Vec::len),
        Some(5),
        "five refunds at the store: {refunds}"
    );
    // The refused one may be sent again with what is left.
    let (status, v) = refund_of(&app, 101, "split-refund-0005", "0.50").await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = refund_of(&app, 101, "split-refund-0005", "0.50").await;
    assert_eq!(status, 200, "a repeat answers again and counts once");
    let (status, v) = refund_of(&app, 101, "split-refund-0011", "0.01").await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("$0.00 left"), "{v}");
    let emf = shared::telemetry::captured_emf();
    assert!(
        emf.iter()
            .any(|l| l.contains(r#""LimitRefused":1"#) && l.contains(r#""Limit":"max_refund""#)),
        "the refusal is counted in a metric: {emf:?}"
    );
}

#[tokio::test]
async fn a_cancel_that_refunds_counts_toward_the_orders_total() {
    let sb = sandbox().await;
    let (ledger, client, table) = ledger_table().await;
    let mut secret = store_secret(&sb);
    // Order 106 is paid and unshipped: its cancel refunds the $41.94 left.
    secret["max_refund"] = json!("41.00");
    let app = TestApp::of(&sb)
        .secret(secret.clone())
        .ledger(ledger.clone())
        .await;
    let (status, v) = refund_of(&app, 106, "refund-before-cancel", "1.00").await;
    assert_eq!(status, 200, "premise: the first refund: {v}");
    let before = bc_order(&sb, 106).await["status_id"].clone();
    clear_log(&sb).await;
    let (status, v) = app
        .submit(
            "/orders/106/cancel/cancel-over-the-limit",
            json!({"reason": "out_of_stock"}),
        )
        .await;
    assert_eq!(status, 406, "{v}");
    let m = message(&v);
    assert!(
        m.contains("$41.00")
            && m.contains("$1.00 so far")
            && m.contains("$40.00 left")
            && m.contains("$40.94"),
        "{m}"
    );
    assert_eq!(refund_posts(&sb).await, 0, "nothing refunded");
    assert_eq!(
        bc_order(&sb, 106).await["status_id"],
        before,
        "not cancelled"
    );
    // Within a higher limit the cancel goes through, and its refund is counted with the first.
    secret["max_refund"] = json!("50");
    let app = TestApp::of(&sb).secret(secret).ledger(ledger).await;
    let (status, v) = app
        .submit(
            "/orders/106/cancel/cancel-within-the-limit",
            json!({"reason": "out_of_stock"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        counter(&client, &table, "limit:refund:order:106", "refunded").await,
        Some(AttributeValue::N("41.94".into())),
        "the refund and the cancel's refund share the order's total"
    );
}

#[tokio::test]
async fn two_agents_racing_for_the_last_gift_certificate_of_the_day_make_one() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    secret["max_gift_certificates_per_day"] = json!("1");
    let app = TestApp::of(&sb).secret(secret).build().await;
    // Both look for an earlier certificate slowly, so both reach the counter together.
    fault(
        &sb,
        json!({"route": "GET /v2/gift_certificates", "latency_ms": 400}),
    )
    .await;
    clear_log(&sb).await;
    let body = json!({"amount": "20", "to_name": "Jane Doe", "to_email": "jane.doe@example.com",
                      "from_email": "care@example.com"});
    let agent = |rid: &'static str| {
        let (app, body) = (&app, &body);
        async move {
            let started = Instant::now();
            let answer = app
                .submit(&format!("/customers/1/gift-certificate/{rid}"), body)
                .await;
            (started, Instant::now(), answer)
        }
    };
    let (a, b) = tokio::join!(agent("last-gift-agent-a"), agent("last-gift-agent-b"));
    assert!(
        a.0 < b.1 && b.0 < a.1,
        "premise: the two submits overlapped"
    );
    assert!(
        a.1.duration_since(a.0) >= Duration::from_millis(400)
            && b.1.duration_since(b.0) >= Duration::from_millis(400),
        "premise: both waited on the slow lookup"
    );
    let mut statuses = [a.2 .0, b.2 .0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 406], "{:?} {:?}", a.2, b.2);
    let refused = if a.2 .0 == 406 { &a.2 .1 } else { &b.2 .1 };
    let m = message(refused);
    assert!(
        m.contains("max_gift_certificates_per_day")
            && m.contains("1 made so far")
            && m.contains("0 left"),
        "{m}"
    );
    assert_eq!(
        calls(&sb).await.1["POST /v2/gift_certificates"]
            .as_u64()
            .unwrap_or(0),
        1,
        "exactly one certificate made"
    );
}

#[tokio::test]
async fn a_counter_that_does_not_read_refuses_with_a_clear_answer() {
    let sb = sandbox().await;
    let (ledger, client, table) = ledger_table().await;
    let mut secret = store_secret(&sb);
    secret["max_refund"] = json!("100");
    let app = TestApp::of(&sb).secret(secret).ledger(ledger).await;
    client
        .put_item()
        .table_name(&table)
        .item(
            "request_id",
            AttributeValue::S("limit:refund:order:101".into()),
        )
        .item("refunded", AttributeValue::S("lots".into()))
        .send()
        .await
        .expect("premise: the damaged counter");
    clear_log(&sb).await;
    let (status, v) = refund_of(&app, 101, "refund-on-damaged", "1.00").await;
    assert_eq!(status, 500, "{v}");
    assert!(message(&v).contains("cannot be read"), "{v}");
    assert!(
        v["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("limit:refund:order:101")),
        "{v}"
    );
    assert_eq!(refund_posts(&sb).await, 0, "never let through uncounted");
}

#[tokio::test]
async fn a_dynamodb_outage_at_the_counter_refuses_and_changes_nothing() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    secret["max_refund"] = json!("100");
    let app = TestApp::of(&sb).secret(secret).faulty().await;
    app.ledger().faults.count.store(1, Ordering::SeqCst);
    clear_log(&sb).await;
    let (status, v) = refund_of(&app, 101, "refund-table-down", "1.00").await;
    assert_eq!(app.ledger().faults.fired(), 1, "premise: the outage fired");
    assert_eq!(status, 400, "{v}");
    assert!(
        message(&v).contains("unavailable") && message(&v).contains("nothing was changed"),
        "{v}"
    );
    assert_eq!(refund_posts(&sb).await, 0, "never let through uncounted");
    // Back up: the same form goes through.
    let (status, v) = refund_of(&app, 101, "refund-table-down", "1.00").await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn each_discount_limit_is_refused_in_its_words() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    clear_log(&sb).await;
    for (i, (body, key, words)) in [
        (
            json!({"type": "percent", "value": "60"}),
            "max_discount_percent",
            "at most 50% off; this one asks 60% off",
        ),
        (
            json!({"type": "fixed", "value": "150"}),
            "max_discount_amount",
            "at most 100.00 off (store currency); this one asks 150.00 off",
        ),
        (
            json!({"type": "percent", "value": "10", "uses": "11"}),
            "max_discount_uses",
            "at most 10 uses; this one asks 11 uses",
        ),
        (
            json!({"type": "percent", "value": "10", "days": "91"}),
            "max_discount_days",
            "at most 90 days; this one asks 91 days",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, v) = app
            .submit(
                &format!("/customers/1/discount/discount-limit-{i:04}"),
                &body,
            )
            .await;
        assert_eq!(status, 406, "{key}: {v}");
        let m = message(&v);
        assert!(m.contains(key) && m.contains(words), "{m}");
    }
    assert_eq!(
        calls(&sb).await.1["POST /v3/promotions"]
            .as_u64()
            .unwrap_or(0),
        0,
        "nothing created"
    );
    // Premise: at the limits, the code is made.
    let (status, v) = app
        .submit(
            "/customers/1/discount/discount-at-the-limits",
            json!({"type": "percent", "value": "50", "uses": "10", "days": "90"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn limit_keys_that_do_not_read_are_logged_by_name_and_their_defaults_hold() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    secret["max_discount_uses"] = json!("-5");
    secret["max_discount_days"] = json!("1e9");
    secret["max_gift_certificates_per_day"] = json!("abc");
    let app = TestApp::of(&sb).secret(secret).build().await;
    let (_guard, logs) = crate::harness::capture::logs();
    // The secret is read at the container's first request.
    let (status, v) = app
        .submit(
            "/customers/1/discount/bad-keys-0001",
            json!({"type": "percent", "value": "10", "uses": "11"}),
        )
        .await;
    assert_eq!(status, 406, "the default of 10 uses holds: {v}");
    assert!(message(&v).contains("at most 10 uses"), "{v}");
    let (status, v) = app
        .submit(
            "/customers/1/discount/bad-keys-0002",
            json!({"type": "percent", "value": "10", "days": "91"}),
        )
        .await;
    assert_eq!(status, 406, "the default of 90 days holds: {v}");
    let text = logs.text();
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for key in [
        "max_discount_uses",
        "max_discount_days",
        "max_gift_certificates_per_day",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.to_string().contains(&format!("\"key\":\"{key}\""))
                    && l.to_string().contains("\"level\":\"ERROR\"")),
            "{key} named in the log: {text}"
        );
    }
    for value in ["-5", "1e9", "abc"] {
        assert!(
            !text.contains(&format!("\"{value}\"")),
            "the value stays out: {text}"
        );
    }
}
