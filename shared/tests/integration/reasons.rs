//! The merchant's reasons (`reasons` in the secret): the reason select of refund, cancel and
//! gift certificate, carried into the refund's items, the staff-notes audit line, the audit log
//! line and the `ActionsByReason` metric; a list that does not read is logged by name and each
//! form keeps its own.

use crate::harness::*;
use serde_json::{json, Value};

const LISTED: &str = "Broken in transit, Late, Goodwill";

/// The options of a form's `reason` select, as (value, text).
fn reason_options(form: &Value) -> Vec<(String, String)> {
    form["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["attr"] == "reason")
        .and_then(|s| s["input"]["options"].as_array())
        .into_iter()
        .flatten()
        .map(|o| {
            (
                o["value"].as_str().unwrap_or_default().to_string(),
                o["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn words(list: &[&str]) -> Vec<(String, String)> {
    list.iter()
        .map(|w| (w.to_string(), w.to_string()))
        .collect()
}

#[tokio::test]
async fn the_merchants_reasons_are_every_money_forms_select_and_follow_the_refund() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    secret["reasons"] = json!(LISTED);
    let app = TestApp::of(&sb).secret(secret).build().await;
    let listed = words(&["Broken in transit", "Late", "Goodwill"]);
    for (path, what) in [
        ("/orders/101/refund", "refund"),
        ("/orders/102/cancel", "cancel"),
        ("/customers/1/gift-certificate", "gift certificate"),
        ("/orders/104/replacement", "replacement"),
        ("/customers/1/store-credit", "store credit"),
    ] {
        let (status, form) = app.form(path).await;
        assert_eq!(status, 200, "{what}: {form}");
        assert_eq!(reason_options(&form), listed, "{what}: {form}");
    }

    let (_guard, logs) = crate::harness::capture::logs();
    shared::telemetry::capture_emf();
    // A reason of the action's own list is not one any more: a 400 naming it, nothing sent.
    clear_log(&sb).await;
    let (status, v) = app
        .submit(
            "/orders/101/refund/reasons-refund-0001",
            json!({"amount": "1.00", "reason": "damaged"}),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(field_attrs(&v), ["reason"], "{v}");
    assert_eq!(refund_posts(&sb).await, 0, "nothing was refunded");

    let (status, v) = app
        .submit(
            "/orders/101/refund/reasons-refund-0002",
            json!({"amount": "1.00", "reason": "broken in transit"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    // A repeat answers from the ledger and is not counted again.
    let (status, _) = app
        .submit(
            "/orders/101/refund/reasons-refund-0002",
            json!({"amount": "1.00", "reason": "broken in transit"}),
        )
        .await;
    assert_eq!(status, 200);
    let refunds = refunds_marked(&sb, 101, "reasons-refund-0002").await;
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert!(
        refunds[0].to_string().contains("Broken in transit"),
        "the refund carries the reason's words: {}",
        refunds[0]
    );
    let notes = bc_order(&sb, 101).await["staff_notes"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        notes.contains("Reason: Broken in transit"),
        "the staff notes' audit line: {notes}"
    );

    // The gift certificate asks the merchant's reason too.
    let gift = json!({"amount": "20", "to_name": "Jane Doe", "to_email": "jane.doe@example.com",
                      "from_email": "care@example.com"});
    let (status, v) = app
        .submit("/customers/1/gift-certificate/reasons-gift-0001", &gift)
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(field_attrs(&v), ["reason"], "{v}");
    let mut with_reason = gift.clone();
    with_reason["reason"] = json!("Goodwill");
    let (status, v) = app
        .submit(
            "/customers/1/gift-certificate/reasons-gift-0002",
            &with_reason,
        )
        .await;
    assert_eq!(status, 200, "{v}");

    let (status, v) = app
        .submit(
            "/orders/102/cancel/reasons-cancel-0001",
            json!({"reason": "Late"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let notes = bc_order(&sb, 102).await["staff_notes"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(notes.contains("Late"), "{notes}");

    let emf = shared::telemetry::captured_emf();
    let by_reason: Vec<(String, String)> = emf
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["ActionsByReason"] == 1)
        .map(|v| {
            (
                v["Action"].as_str().unwrap_or_default().to_string(),
                v["Reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        by_reason,
        [
            ("refund", "Broken in transit"),
            ("gift_certificate", "Goodwill"),
            ("cancel", "Late"),
        ]
        .map(|(a, r)| (a.to_string(), r.to_string())),
        "each action done once, by its reason; refused and repeated ones not: {emf:?}"
    );
    let audits: Vec<Value> = logs
        .text()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["audit"] == true)
        .collect();
    assert!(
        audits
            .iter()
            .any(|a| a["fields"]["reason"] == "Broken in transit"),
        "the audit line names the reason: {audits:?}"
    );
}

#[tokio::test]
async fn a_reasons_list_that_does_not_read_is_logged_by_name_and_each_form_keeps_its_own() {
    let sb = sandbox().await;
    // The line is logged once per container (process) for one problem: the first store shows it.
    for (i, bad) in [json!("Late,,Broken"), json!(""), json!(["Late"])]
        .into_iter()
        .enumerate()
    {
        let mut secret = store_secret(&sb);
        secret["reasons"] = bad.clone();
        let app = TestApp::of(&sb).secret(secret).build().await;
        let (_guard, logs) = crate::harness::capture::logs();
        let (status, form) = app.form("/orders/101/refund").await;
        assert_eq!(status, 200, "{bad}: {form}");
        let values: Vec<String> = reason_options(&form).into_iter().map(|(v, _)| v).collect();
        assert!(
            values.contains(&"damaged".to_string()) && !values.contains(&"Late".to_string()),
            "{bad}: the refund's own list holds: {values:?}"
        );
        let (status, form) = app.form("/customers/1/gift-certificate").await;
        assert_eq!(status, 200);
        assert!(reason_options(&form).is_empty(), "{bad}: {form}");
        let text = logs.text();
        assert!(
            i > 0
                || text.lines().any(|l| l.contains("\"level\":\"ERROR\"")
                    && l.contains("\"key\":\"reasons\"")
                    && !l.contains(",,")),
            "{bad}: the key is named at ERROR, never its value: {text}"
        );
    }
    // Unset: no log line, and each form its own list (the cancel's own values).
    let app = TestApp::new(&sb).await;
    let (_guard, logs) = crate::harness::capture::logs();
    let (_, form) = app.form("/orders/102/cancel").await;
    assert!(
        reason_options(&form)
            .iter()
            .any(|(v, _)| v == "customer_request"),
        "{form}"
    );
    assert!(!logs.text().contains("\"key\":\"reasons\""));
}
