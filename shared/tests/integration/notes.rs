//! Note the order (issue 25): appended to the staff notes once, never replacing what is there,
//! end to end against the sandbox and moto.

use crate::harness::*;
use serde_json::json;

const PUT_ORDER: &str = "PUT /v2/orders/{id}";

async fn staff_notes(sb: &bigcommerce_sandbox::Running, order: u64) -> String {
    bc_order(sb, order).await["staff_notes"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn put_notes(sb: &bigcommerce_sandbox::Running, order: u64, notes: &str) {
    reqwest::Client::new()
        .put(format!("{}/v2/orders/{order}", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .json(&json!({ "staff_notes": notes }))
        .send()
        .await
        .expect("staff notes written");
    assert_eq!(
        staff_notes(sb, order).await,
        notes,
        "premise: the note is there"
    );
}

async fn order_puts(sb: &bigcommerce_sandbox::Running) -> u64 {
    calls(sb).await.1[PUT_ORDER].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn a_note_is_appended_once_below_what_was_there() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    put_notes(&sb, 101, "VIP: handle with care").await;
    let (status, _) = app.form("/lookup/orders/101/note").await;
    assert_eq!(status, 200, "the form also answers under the Lookup URL");
    let (status, form) = app.order_form(101, "note").await;
    assert_eq!(status, 200, "{form}");
    let path = action_url(&form);
    assert!(path.starts_with("/orders/101/note/"), "{form}");
    let text = "Shopper called twice about the gift wrap.\n\tWants it in blue. [gladly:x]";
    let body = json!({ "note": format!("  {text}  ") });
    let (status, first) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["message"], "Note added to order #101");
    let notes = staff_notes(&sb, 101).await;
    let (before, added) = notes.split_once('\n').unwrap_or_default();
    assert_eq!(before, "VIP: handle with care", "kept: {notes}");
    assert!(
        added.starts_with(&marker_of(&path))
            && added.contains("UTC Note via Gladly: Shopper called twice")
            && added.ends_with("Wants it in blue. (gladly:x)"),
        "whole, after the marker and time, brackets defanged: {notes}"
    );
    // Again, and twice at once: the same answer, nothing appended.
    clear_log(&sb).await;
    let (status, again) = app.submit(&path, &body).await;
    assert_eq!((status, &again), (200, &first));
    let (a, b) = tokio::join!(app.submit(&path, &body), app.submit(&path, &body));
    assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
    assert_eq!(order_puts(&sb).await, 0);
    assert_eq!(staff_notes(&sb, 101).await, notes);
    // A second form is a second note: both kept.
    let second = action_url(&app.order_form(101, "note").await.1);
    let (status, v) = app
        .submit(
            &format!("/lookup{second}"),
            &json!({"note": "Called back."}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let now = staff_notes(&sb, 101).await;
    assert!(now.starts_with(&format!("{notes}\n")), "{now}");
    assert_eq!(now.matches("[gladly:").count(), 2, "{now}");
}

#[tokio::test]
async fn a_lost_answer_is_found_by_its_marker_never_appended_again() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let path = action_url(&app.order_form(106, "note").await.1);
    let body = json!({"note": "Left at the neighbour's."});
    // BigCommerce writes the notes but the answer is a 502.
    fault(
        &sb,
        json!({"route": PUT_ORDER, "status": 502, "after": true, "times": 1}),
    )
    .await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(
        faulted(&sb).await,
        1,
        "premise: the write was answered with the fault"
    );
    assert_eq!(status, 400, "uncertain keeps the form open: {v}");
    tokio::time::sleep(app.timing().settle_after).await;
    clear_log(&sb).await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["message"], "Note added to order #106");
    assert_eq!(order_puts(&sb).await, 0, "found, not written again");
    let notes = staff_notes(&sb, 106).await;
    assert_eq!(notes.matches(&marker_of(&path)).count(), 1, "{notes}");
}

#[tokio::test]
async fn every_bad_note_is_a_400_naming_the_field_and_changes_nothing() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    put_notes(&sb, 102, "before").await;
    let path = action_url(&app.order_form(102, "note").await.1);
    clear_log(&sb).await;
    for (body, code) in [
        (json!({ "note": "x".repeat(1001) }), "too_long"),
        (json!({"note": ""}), "required"),
        (json!({"note": "   \n\t "}), "required"),
        (json!({}), "required"),
        (json!({"note": "ring\u{7}the bell"}), "invalid"),
        (json!({"note": "nul\u{0}"}), "invalid"),
    ] {
        let (status, v) = app.submit(&path, &body).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert_eq!(field_attrs(&v), vec!["note"], "{body}: {v}");
        let named = v["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["attr"] == "note");
        assert_eq!(
            named.map(|e| e["code"].clone()),
            Some(json!(code)),
            "{body}: {v}"
        );
    }
    assert_eq!(order_puts(&sb).await, 0);
    assert_eq!(staff_notes(&sb, 102).await, "before");
    // Exactly 1,000 characters is whole, the same form still usable.
    let full = "é".repeat(1000);
    let (status, v) = app.submit(&path, &json!({ "note": full })).await;
    assert_eq!(status, 200, "{v}");
    assert!(staff_notes(&sb, 102).await.ends_with(&full));
}

#[tokio::test]
async fn no_note_on_a_cancelled_declined_or_incomplete_order() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    // 114 Cancelled (customer 2), 135 Declined, 136 Incomplete (customer 7): sandbox/seed.json.
    for order in [114, 135, 136] {
        let (status, v) = app.order_form(order, "note").await;
        assert_eq!(status, 406, "{order}: {v}");
        assert!(message(&v).contains(&format!("#{order}")), "{v}");
    }
    clear_log(&sb).await;
    let (status, v) = app
        .submit("/orders/114/note/0123456789abcdef", &json!({"note": "hi"}))
        .await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("Cancelled"), "{v}");
    let (status, v) = app
        .submit(
            "/orders/99999/note/0123456789abcdef",
            &json!({"note": "hi"}),
        )
        .await;
    assert_eq!(status, 406, "{v}");
    assert_eq!(order_puts(&sb).await, 0);
    assert_eq!(staff_notes(&sb, 114).await, "");
    // The link: on live orders, not on the cancelled one.
    assert!(app
        .card_actions("1", 101)
        .await
        .contains(&"Add note".to_string()));
    assert!(
        app.card_actions("1", 104)
            .await
            .contains(&"Add note".to_string()),
        "shipped too"
    );
    let cancelled = app.card("2", 114).await;
    assert!(!cancelled.is_null(), "premise: the card is shown");
    assert!(
        !action_names(&cancelled).contains(&"Add note".to_string()),
        "{cancelled}"
    );
}

#[tokio::test]
async fn a_note_switched_off_is_neither_offered_nor_written() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    secret["actions"] = json!("refund, cancel");
    let app = TestApp::of(&sb).secret(secret).build().await;
    let actions = app.card_actions("1", 101).await;
    assert!(
        actions.contains(&"Refund".to_string()),
        "premise: {actions:?}"
    );
    assert!(!actions.contains(&"Add note".to_string()), "{actions:?}");
    let (status, v) = app.order_form(101, "note").await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("switched off"), "{v}");
    clear_log(&sb).await;
    let (status, v) = app
        .submit("/orders/101/note/0123456789abcdef", &json!({"note": "hi"}))
        .await;
    assert_eq!(status, 406, "{v}");
    assert_eq!(order_puts(&sb).await, 0);
    // Switched on by name.
    let mut secret = store_secret(&sb);
    secret["actions"] = json!("note");
    let app = TestApp::of(&sb).secret(secret).build().await;
    assert_eq!(app.card_actions("1", 101).await, vec!["Add note"]);
}
