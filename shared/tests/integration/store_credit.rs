//! Add store credit (issue 25), end to end against the sandbox and moto: the form and what it
//! offers whom, bad input and the ceiling, and the money suite as it runs for refunds: a write
//! that lands after we gave up, a lost answer, the ledger failing after the write, two agents on
//! one form and on two forms for one shopper, and the shopper's balance changing around our
//! write. Each test asserts that its fault fired, then what the agent saw and what BigCommerce
//! holds.

use crate::harness::engine::Ledger;
use crate::harness::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub const CREDIT_PUT: &str = "PUT /v3/customers";

/// The sandbox's own view of customer `id`: its store credit and its notes.
pub async fn account(sb: &bigcommerce_sandbox::Running, id: u64) -> (Decimal, String) {
    let v: Value = reqwest::Client::new()
        .get(format!(
            "{}/v3/customers?id:in={id}&include=storecredit",
            sb.store_url()
        ))
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("customer")
        .json()
        .await
        .expect("customer json");
    let c = &v["data"][0];
    let amount = &c["store_credit_amounts"][0]["amount"];
    let credit = Decimal::from_str(&amount.to_string()).unwrap_or_default();
    (credit, c["notes"].as_str().unwrap_or_default().to_string())
}

/// `PUT /v3/customers` calls since the log was cleared.
pub async fn credit_puts(sb: &bigcommerce_sandbox::Running) -> u64 {
    calls(sb).await.1[CREDIT_PUT].as_u64().unwrap_or(0)
}

/// Lines in `notes` carrying the marker of the request `path` submits.
fn marked(notes: &str, path: &str) -> usize {
    notes.matches(&marker_of(path)).count()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

/// The submit path of a fresh form on `customer`.
async fn form_path(app: &TestApp<impl Ledger>, customer: u64) -> String {
    let (status, form) = app
        .form(&format!("/customers/{customer}/store-credit"))
        .await;
    assert_eq!(status, 200, "{form}");
    action_url(&form)
}

#[tokio::test]
async fn credit_is_added_once_and_the_answer_gives_the_balance_before_and_after() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let detailed = app.detailed("1").await;
    assert!(
        action_names(&detailed["results"][0]).contains(&"Add store credit".to_string()),
        "offered on a registered shopper's profile: {detailed}"
    );
    let (status, _) = app.form("/lookup/customers/1/store-credit").await;
    assert_eq!(status, 200, "the form also answers under the Lookup URL");
    let (status, form) = app.form("/customers/1/store-credit").await;
    assert_eq!(status, 200, "{form}");
    let intro = form["sections"][0]["text"].as_str().unwrap_or_default();
    assert!(
        intro.contains("$12.50 of store credit")
            && intro.contains("(USD)")
            && intro.contains("up to $50.00"),
        "the balance, the currency and the limit: {intro}"
    );
    let path = action_url(&form);
    assert!(path.starts_with("/customers/1/store-credit/"), "{form}");
    let body = json!({"amount": "10", "reason": "late"});
    let (status, first) = app.submit(&format!("/lookup{path}"), &body).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["message"], "Added $10.00 store credit (Arrived late)");
    assert!(
        first["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Balance $12.50 before, $22.50 after.")),
        "{first}"
    );
    let (credit, notes) = account(&sb, 1).await;
    assert_eq!(credit, dec("22.5"));
    assert!(
        notes.contains(&format!("{} ", marker_of(&path)))
            && notes.contains("Store credit via Gladly: +10.00 USD, balance 12.50 -> 22.50 USD, reason: Arrived late"),
        "the proof landed with the credit: {notes}"
    );
    // Again, and twice at once (a double click, two agents on one form): the same answer.
    clear_log(&sb).await;
    let (status, again) = app.submit(&path, &body).await;
    assert_eq!((status, &again), (200, &first));
    let (a, b) = tokio::join!(app.submit(&path, &body), app.submit(&path, &body));
    assert_eq!((a.0, &a.1, b.0, &b.1), (200, &first, 200, &first));
    assert_eq!(credit_puts(&sb).await, 0, "nothing written again");
    assert_eq!(account(&sb, 1).await, (credit, notes));
}

#[tokio::test]
async fn a_guest_has_no_account_and_is_offered_the_gift_certificate() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let guest = "guest:riley.guest@example.com";
    let names = action_names(&app.detailed(guest).await["results"][0]);
    assert!(
        names.contains(&"Gift certificate".to_string())
            && !names.contains(&"Add store credit".to_string()),
        "{names:?}"
    );
    let seg = "guest%3Ariley.guest%40example.com";
    let (status, v) = app.form(&format!("/customers/{seg}/store-credit")).await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("checked out as a guest"), "{v}");
    clear_log(&sb).await;
    let (status, v) = app
        .submit(
            &format!("/customers/{seg}/store-credit/guest-request-0001"),
            &json!({"amount": "5", "reason": "goodwill"}),
        )
        .await;
    assert_eq!(status, 406, "a direct call too: {v}");
    assert!(
        v["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("gift certificate")),
        "{v}"
    );
    assert_eq!(credit_puts(&sb).await, 0);
}

#[tokio::test]
async fn bad_input_is_named_and_over_the_limit_is_refused_in_words() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    secret["max_store_credit"] = json!("20");
    let app = TestApp::of(&sb).secret(secret).build().await;
    let path = form_path(&app, 1).await;
    let before = account(&sb, 1).await;
    clear_log(&sb).await;
    let attr_of = |v: &Value| {
        v["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                Some((
                    e["attr"].as_str()?.to_string(),
                    e["code"].as_str()?.to_string(),
                ))
            })
            .collect::<Vec<_>>()
    };
    for (body, attr, code) in [
        (
            json!({"amount": "ten", "reason": "late"}),
            "amount",
            "invalid",
        ),
        (
            json!({"amount": "0", "reason": "late"}),
            "amount",
            "required",
        ),
        (
            json!({"amount": "-3", "reason": "late"}),
            "amount",
            "negative",
        ),
        (
            json!({"amount": "0.125", "reason": "late"}),
            "amount",
            "too_many_decimals",
        ),
        (
            json!({"amount": "1.001", "reason": "late"}),
            "amount",
            "ambiguous",
        ),
        (
            json!({"amount": "5", "reason": "bribe"}),
            "reason",
            "invalid",
        ),
    ] {
        let (status, v) = app.submit(&path, &body).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert_eq!(
            attr_of(&v),
            vec![(attr.to_string(), code.to_string())],
            "{body}: {v}"
        );
    }
    let (status, v) = app
        .submit(&path, &json!({"amount": "20.01", "reason": "late"}))
        .await;
    assert_eq!(status, 406, "{v}");
    assert_eq!(
        message(&v),
        "Store credit above $20.00 needs a manager (max_store_credit); this is $20.01."
    );
    assert_eq!(credit_puts(&sb).await, 0, "nothing written");
    assert_eq!(account(&sb, 1).await, before, "nothing changed");
    let (status, v) = app
        .submit(&path, &json!({"amount": "20", "reason": "late"}))
        .await;
    assert_eq!(status, 200, "the same form within the limit: {v}");
}

#[tokio::test]
async fn a_credit_that_lands_after_we_gave_up_is_settled_not_repeated() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let path = form_path(&app, 4).await;
    // A second agent has a form open on the same shopper.
    let other = form_path(&app, 4).await;
    let (start, _) = account(&sb, 4).await;
    // BigCommerce is still writing when our 500 ms write timeout ends; it commits at 900 ms.
    fault(
        &sb,
        json!({"route": CREDIT_PUT, "latency_ms": 900, "detached": true, "times": 1}),
    )
    .await;
    clear_log(&sb).await;
    let body = json!({"amount": "7.25", "reason": "damaged"});
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 400, "uncertain keeps the form open: {v}");
    assert!(message(&v).contains("may still go through"), "{v}");
    // Meanwhile no form opens on a balance the late write may still change ...
    let (status, v) = app.form("/customers/4/store-credit").await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("not confirmed yet"), "{v}");
    // ... and the second agent's credit does not read it before the late write lands.
    let (status, v) = app
        .submit(&other, &json!({"amount": "1", "reason": "goodwill"}))
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        message(&v).contains("not confirmed yet; nothing was changed"),
        "{v}"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (credit, notes) = account(&sb, 4).await;
    assert_eq!(
        credit,
        start + dec("7.25"),
        "premise: the late commit landed"
    );
    assert_eq!(faulted(&sb).await, 1, "premise: the fault fired once");
    tokio::time::sleep(app.timing().settle_after).await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["message"], "Added $7.25 store credit (Arrived damaged)");
    let (status, v) = app
        .submit(&other, &json!({"amount": "1", "reason": "goodwill"}))
        .await;
    assert_eq!(
        status, 200,
        "the second credit now reads the settled balance: {v}"
    );
    let (credit, now) = account(&sb, 4).await;
    assert_eq!(credit, start + dec("8.25"), "both, each once");
    assert_eq!((marked(&notes, &path), marked(&now, &path)), (1, 1));
    assert_eq!(
        credit_puts(&sb).await,
        2,
        "the late write was never sent again"
    );
}

#[tokio::test]
async fn a_lost_answer_is_found_by_its_marker_never_added_again() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let path = form_path(&app, 9).await;
    // BigCommerce writes the credit but answers 502.
    fault(
        &sb,
        json!({"route": CREDIT_PUT, "status": 502, "after": true, "times": 1}),
    )
    .await;
    clear_log(&sb).await;
    let body = json!({"amount": "3", "reason": "goodwill"});
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(
        faulted(&sb).await,
        1,
        "premise: the write was answered with the fault"
    );
    assert_eq!(status, 400, "{v}");
    assert_eq!(account(&sb, 9).await.0, dec("8"), "premise: it landed");
    tokio::time::sleep(app.timing().settle_after).await;
    clear_log(&sb).await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(
        (status, message(&v)),
        (
            200,
            "Added $3.00 store credit (Goodwill gesture)".to_string()
        ),
        "{v}"
    );
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Balance $5.00 before, $8.00 after.")),
        "the balance before and after, from the line in the notes: {v}"
    );
    assert_eq!(credit_puts(&sb).await, 0, "found, not written again");
    assert_eq!(account(&sb, 9).await.0, dec("8"));
}

#[tokio::test]
async fn a_ledger_failure_after_the_credit_still_answers_what_was_done() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let path = form_path(&app, 2).await;
    app.ledger().faults.complete.store(1, Ordering::SeqCst);
    let body = json!({"amount": "4.50", "reason": "service_recovery"});
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(
        app.ledger().faults.fired(),
        1,
        "premise: the answer was not kept"
    );
    assert_eq!(
        (status, message(&v)),
        (
            200,
            "Added $4.50 store credit (Service recovery)".to_string()
        ),
        "{v}"
    );
    // A new form cannot open on a balance the unkept answer leaves unexplained ...
    let (status, v) = app.form("/customers/2/store-credit").await;
    assert_eq!(status, 406, "{v}");
    assert!(message(&v).contains("not confirmed"), "{v}");
    // ... until it is settled by the marker, and then the form says what happened.
    tokio::time::sleep(app.timing().total + app.timing().settle_after).await;
    let (status, v) = app.form("/customers/2/store-credit").await;
    assert_eq!(status, 200, "{v}");
    let first = v["sections"][0]["text"].as_str().unwrap_or_default();
    assert!(
        first.contains("did go through") && first.contains("$4.50"),
        "{first}"
    );
    assert!(
        v["sections"][1]["text"]
            .as_str()
            .is_some_and(|t| t.contains("$4.50 of store credit")),
        "the balance shown is the settled one: {v}"
    );
    clear_log(&sb).await;
    let (status, again) = app.submit(&path, &body).await;
    assert_eq!(
        (status, message(&again)),
        (
            200,
            "Added $4.50 store credit (Service recovery)".to_string()
        )
    );
    assert_eq!(credit_puts(&sb).await, 0);
    let (credit, notes) = account(&sb, 2).await;
    assert_eq!((credit, marked(&notes, &path)), (dec("4.5"), 1));
}

#[tokio::test]
async fn two_agents_adding_different_credits_to_one_shopper_at_once_both_land() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb)
        .timing(Timing {
            lease_wait: Duration::from_secs(2),
            ..fast_timing()
        })
        .faulty()
        .await;
    let (a, b) = (form_path(&app, 20).await, form_path(&app, 20).await);
    let (start, _) = account(&sb, 20).await;
    // Each write takes 300 ms: unserialised, both would read the same balance and one credit
    // would be lost.
    fault(
        &sb,
        json!({"route": CREDIT_PUT, "latency_ms": 300, "times": 2}),
    )
    .await;
    clear_log(&sb).await;
    let ((sa, va), (sb_, vb)) = tokio::join!(
        app.submit(&a, json!({"amount": "6", "reason": "late"})),
        app.submit(&b, json!({"amount": "11", "reason": "damaged"})),
    );
    assert_eq!((sa, sb_), (200, 200), "{va} {vb}");
    assert_eq!(faulted(&sb).await, 2, "premise: both writes were slow");
    assert_eq!(credit_puts(&sb).await, 2);
    // The second read came after the first write: one answer's "before" is the other's "after".
    let details = [va["detail"].to_string(), vb["detail"].to_string()];
    assert!(
        details.iter().any(|d| d.contains("Balance $100.00 before"))
            && (details
                .iter()
                .any(|d| d.contains("Balance $106.00 before, $117.00 after"))
                || details
                    .iter()
                    .any(|d| d.contains("Balance $111.00 before, $117.00 after"))),
        "{details:?}"
    );
    assert_eq!(
        account(&sb, 20).await.0,
        start + dec("17"),
        "both credits landed"
    );
}

#[tokio::test]
async fn the_loser_is_told_another_change_to_the_account_is_in_progress() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb)
        .timing(Timing {
            lease_wait: Duration::from_millis(300),
            write_timeout: Duration::from_secs(2),
            ..fast_timing()
        })
        .faulty()
        .await;
    let (a, b) = (form_path(&app, 3).await, form_path(&app, 3).await);
    fault(
        &sb,
        json!({"route": CREDIT_PUT, "latency_ms": 1200, "times": 1}),
    )
    .await;
    let slow = app.submit(&a, json!({"amount": "2", "reason": "late"}));
    let quick = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        app.submit(&b, &json!({"amount": "3", "reason": "late"}))
            .await
    };
    let ((sa, va), (sq, vq)) = tokio::join!(slow, quick);
    assert_eq!(faulted(&sb).await, 1, "premise: the first write was slow");
    assert_eq!(sa, 200, "{va}");
    assert_eq!(sq, 400, "the form stays open: {vq}");
    assert_eq!(
        message(&vq),
        "Another change to customer 3's account is in progress; nothing was changed."
    );
    let (status, v) = app
        .submit(&b, &json!({"amount": "3", "reason": "late"}))
        .await;
    assert_eq!(status, 200, "sent again, it goes through: {v}");
    assert_eq!(account(&sb, 3).await.0, dec("5"));
}

#[tokio::test]
async fn a_balance_changed_around_our_write_is_told_to_the_agent_and_kept() {
    let sb = sandbox().await;
    let app = TestApp::of(&sb).timing(fast_timing()).faulty().await;
    let path = form_path(&app, 1).await;
    // The shopper spends credit at checkout just after our write lands.
    let spent = reqwest::Client::new()
        .post(format!(
            "{}/__sandbox/customers/1/store_credit",
            sb.base_url()
        ))
        .json(&json!({"amount": 4, "when": "after_next_write"}))
        .send()
        .await
        .expect("control");
    assert_eq!(spent.status(), 204, "premise: the change is scheduled");
    let body = json!({"amount": "10", "reason": "late"});
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(
        account(&sb, 1).await.0,
        dec("4"),
        "premise: the change landed after our write"
    );
    assert_eq!(status, 200, "the credit was added: {v}");
    assert_eq!(
        message(&v),
        "Added $10.00 store credit (Arrived late); the balance changed while we added it: check it before adding again"
    );
    assert!(
        v["detail"].as_str().is_some_and(
            |d| d.starts_with("We read $12.50 and wrote $22.50; BigCommerce now holds $4.00.")
        ),
        "{v}"
    );
    // Kept: the same form answers the same, reading nothing and writing nothing.
    clear_log(&sb).await;
    let (status, again) = app.submit(&path, &body).await;
    assert_eq!((status, &again), (200, &v));
    assert_eq!(calls(&sb).await.0, 0);
    assert_eq!(marked(&account(&sb, 1).await.1, &path), 1);
}

#[tokio::test]
async fn the_audit_line_names_the_amount_and_the_reason() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_guard, logs) = crate::harness::capture::logs();
    let path = form_path(&app, 2).await;
    let (status, v) = app
        .submit(&path, json!({"amount": "7", "reason": "price_adjustment"}))
        .await;
    assert_eq!(status, 200, "{v}");
    let text = logs.text();
    let audits: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["audit"] == true)
        .collect();
    assert_eq!(
        audits.len(),
        1,
        "premise: the capture saw the audit line: {text}"
    );
    let a = &audits[0]["fields"];
    assert_eq!(a["action"], "store_credit");
    assert_eq!(a["what"], "Added $7.00 store credit (Price adjustment)");
    assert_eq!(a["marker"], json!(marker_of(&path)));
}
