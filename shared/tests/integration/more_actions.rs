//! The address change, the goodwill gift certificate, the managers' guardrails and the audit
//! trail, end to end against the sandbox and moto.

use crate::harness::*;
use serde_json::{json, Value};

async fn shipping_address(sb: &bigcommerce_sandbox::Running, order: u64) -> Value {
    reqwest::Client::new()
        .get(format!(
            "{}/v2/orders/{order}/shipping_addresses",
            sb.store_url()
        ))
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("addresses")
        .json::<Value>()
        .await
        .expect("json")[0]
        .clone()
}

/// An order's fields that an address change or an audit line must leave as they were.
fn untouched(o: &Value) -> Value {
    let mut o = o.clone();
    if let Some(m) = o.as_object_mut() {
        for k in ["staff_notes", "date_modified"] {
            m.remove(k);
        }
    }
    o
}

/// The sandbox store's name (`sandbox/seed.json`).
const STORE_NAME: &str = "Sandbox Kitchen Co.";

#[tokio::test]
async fn an_address_changes_once_before_shipping_and_leaves_the_order_as_it_was() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (status, _) = app.form("/lookup/orders/101/address").await;
    assert_eq!(status, 200, "the form also answers under the Lookup URL");
    let (status, form) = app.form("/orders/101/address").await;
    assert_eq!(status, 200, "{form}");
    assert_eq!(
        field_default(&form, "first_name"),
        "Jane",
        "prefilled: {form}"
    );
    assert_eq!(field_default(&form, "country_iso2"), "US");
    let path = action_url(&form);
    let before = bc_order(&sb, 101).await;
    let to = json!({"first_name": "Jane", "last_name": "Doe", "street_1": "200 Congress Ave",
                    "city": "Austin", "state": "TX", "zip": "78701", "country_iso2": "us"});
    let (status, first) = app.submit(&path, &to).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["message"], "Shipping address of order #101 changed");
    let now = shipping_address(&sb, 101).await;
    assert_eq!(
        (now["street_1"].as_str(), now["country_iso2"].as_str()),
        (Some("200 Congress Ave"), Some("US"))
    );
    let after = bc_order(&sb, 101).await;
    assert_eq!(
        untouched(&after),
        untouched(&before),
        "totals, discounts and products unchanged"
    );
    let notes = after["staff_notes"].as_str().unwrap_or_default();
    assert!(
        notes.contains(&marker_of(&path)) && notes.contains("200 Congress Ave"),
        "{notes}"
    );
    // Again: the same answer, no second change.
    clear_log(&sb).await;
    let (status, again) = app.submit(&path, &to).await;
    assert_eq!((status, &again), (200, &first));
    assert_eq!(calls(&sb).await.0, 0);
    // Shipped orders: no form, no change, in words.
    let (status, v) = app.form("/orders/104/address").await;
    assert_eq!(status, 406, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("#104")),
        "{v}"
    );
    let (status, _) = app
        .submit("/orders/104/address/0123456789abcdef", &to)
        .await;
    assert_eq!(status, 406);
    // Mistakes are named, and nothing is sent.
    clear_log(&sb).await;
    let (status, v) = app
        .submit(
            "/orders/102/address/0123456789abcdef",
            &json!({"first_name": "J", "country_iso2": "ZZ"}),
        )
        .await;
    assert_eq!(status, 400);
    let attrs: Vec<&str> = v["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["attr"].as_str())
        .collect();
    assert_eq!(
        attrs,
        vec!["last_name", "street_1", "city", "country_iso2", "zip"],
        "{v}"
    );
    assert_eq!(calls(&sb).await.0, 0);
}

#[tokio::test]
async fn a_gift_certificate_is_made_once_within_the_ceiling() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (status, _) = app.form("/lookup/customers/1/gift-certificate").await;
    assert_eq!(status, 200, "the form also answers under the Lookup URL");
    let (status, form) = app.form("/customers/1/gift-certificate").await;
    assert_eq!(status, 200, "{form}");
    assert_eq!(field_default(&form, "to_email"), "jane.doe@example.com");
    assert_eq!(field_default(&form, "to_name"), "Jane Doe");
    // The secret names no sender: the store's own (GET /v2/store) is prefilled.
    assert_eq!(field_default(&form, "from_email"), "orders@example.com");
    assert_eq!(field_default(&form, "from_name"), STORE_NAME, "{form}");
    let path = action_url(&form);
    let body = json!({"amount": "20,00", "to_name": "Jane Doe", "to_email": "jane.doe@example.com",
                      "from_email": "care@example.com", "message": "Sorry about the mug"});
    let (status, first) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{first}");
    let message = first["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.starts_with("Gift certificate GC-") && message.ends_with("for $20.00 created"),
        "{message}"
    );
    assert!(
        first["detail"]
            .as_str()
            .is_some_and(|d| d.contains("does not email")),
        "{first}"
    );
    clear_log(&sb).await;
    let (status, again) = app.submit(&path, &body).await;
    assert_eq!((status, &again), (200, &first));
    assert_eq!(calls(&sb).await.0, 0, "a repeat asks nothing");
    let code = message.split_whitespace().nth(2).unwrap_or_default();
    let found: Value = reqwest::Client::new()
        .get(format!(
            "{}/v2/gift_certificates?code={code}",
            sb.store_url()
        ))
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(found.as_array().map(Vec::len), Some(1));
    assert_eq!(found[0]["customer_id"], 1);
    // Over the default ceiling of 100: refused in words, nothing made.
    clear_log(&sb).await;
    let over = json!({"amount": "150", "to_name": "Jane", "to_email": "jane.doe@example.com", "from_email": "care@example.com"});
    let (status, v) = app
        .submit("/customers/1/gift-certificate/over-ceiling-0001", &over)
        .await;
    assert_eq!(status, 406, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("100") && m.contains("150")),
        "{v}"
    );
    assert_eq!(
        calls(&sb).await.1["POST /v2/gift_certificates"]
            .as_u64()
            .unwrap_or(0),
        0
    );
    // Guests too.
    let (status, form) = app
        .form("/customers/guest%3Ariley.guest%40example.com/gift-certificate")
        .await;
    assert_eq!(status, 200, "{form}");
    assert_eq!(field_default(&form, "to_email"), "riley.guest@example.com");
}

#[tokio::test]
async fn a_certificate_made_by_an_earlier_version_is_found_not_made_again() {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    let sb = sandbox().await;
    let (ledger, client, table) = crate::harness::ledger_table().await;
    let app = TestApp::of(&sb).timing(fast_timing()).ledger(ledger).await;
    let rid = "legacy-gift-request-01";
    let id = shared::ids::RequestId::parse(rid).expect("rid");
    // An earlier version claimed this request without a seed, made the certificate with the
    // code it derived from the request id, and lost the answer.
    let legacy =
        shared::actions::codes::legacy_code(&id, shared::actions::gift_certificate::run::CODE);
    let long_ago = chrono::Utc::now().timestamp_millis() - 120_000;
    client
        .put_item()
        .table_name(&table)
        .item("request_id", S(rid.into()))
        .item("scope", S("gift_certificate:customer:1".into()))
        .item("state", S("uncertain".into()))
        .item("claimed_at", N(long_ago.to_string()))
        .item("settle_at", N((long_ago + 1).to_string()))
        .send()
        .await
        .expect("the earlier version's record");
    let made = reqwest::Client::new()
        .post(format!("{}/v2/gift_certificates", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .json(
            &json!({"to_name": "Jane Doe", "to_email": "jane.doe@example.com", "from_name": "Shop",
                      "from_email": "care@example.com", "amount": "20", "code": legacy}),
        )
        .send()
        .await
        .expect("certificate");
    assert!(
        made.status().is_success(),
        "premise: the legacy certificate exists"
    );
    clear_log(&sb).await;
    let body = json!({"amount": "20", "to_name": "Jane Doe", "to_email": "jane.doe@example.com",
                      "from_email": "care@example.com"});
    let (status, v) = app
        .submit(&format!("/customers/1/gift-certificate/{rid}"), &body)
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(
        v["message"].as_str().is_some_and(|m| m.contains(&legacy)),
        "the earlier certificate, still valid: {v}"
    );
    assert_eq!(
        calls(&sb).await.1["POST /v2/gift_certificates"]
            .as_u64()
            .unwrap_or(0),
        0,
        "not made again"
    );
}

#[tokio::test]
async fn guardrails_hide_switched_off_actions_and_refuse_over_the_ceiling() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    secret["actions"] = json!("refund, gift_certificate");
    secret["max_refund"] = json!("10");
    let app = TestApp::of(&sb).secret(secret).build().await;
    let detailed = app.detailed("1").await;
    assert_eq!(
        action_names(&detailed["results"][0]),
        vec!["Gift certificate"]
    );
    let card101 = card(&detailed, 101);
    assert_eq!(action_names(&card101), vec!["Refund"], "{card101}");
    let r = app
        .call(
            Function::CancelOrder,
            signed("GET", "/orders/101/cancel", "", SIGNING_KEY),
        )
        .await;
    assert_eq!(r.status(), 406);
    assert!(json_of(&r)["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("switched off")));
    clear_log(&sb).await;
    let r = app
        .call(
            Function::RefundOrder,
            signed(
                "POST",
                "/orders/101/refund/over-the-ceiling-1",
                r#"{"qty_1001":"1","reason":"damaged"}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    let v = json_of(&r);
    assert_eq!(r.status(), 406, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("$10.00") && m.contains("$14.00")),
        "{v}"
    );
    assert_eq!(
        calls(&sb).await.1["POST /v3/orders/{id}/payment_actions/refunds"]
            .as_u64()
            .unwrap_or(0),
        0
    );
    let r = app
        .call(
            Function::RefundOrder,
            signed(
                "POST",
                "/orders/101/refund/under-the-ceiling",
                r#"{"amount":"9.99","reason":"goodwill"}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", json_of(&r));
}

#[tokio::test]
async fn every_order_change_leaves_one_audit_line_and_keeps_earlier_notes() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    // A note someone left before.
    reqwest::Client::new()
        .put(format!("{}/v2/orders/106", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .json(&json!({"staff_notes": "VIP: handle with care"}))
        .send()
        .await
        .expect("note");
    let path = "/orders/106/refund/audit-refund-00001";
    let r = app
        .call(
            Function::RefundOrder,
            signed(
                "POST",
                path,
                r#"{"amount":"5","reason":"goodwill","note":"late"}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", json_of(&r));
    let form = app.get("/orders/106/cancel").await.1;
    let cancel_path = action_url(&form);
    let r = app
        .call(
            Function::CancelOrder,
            signed(
                "POST",
                &cancel_path,
                r#"{"reason":"customer_request"}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", json_of(&r));
    let notes = bc_order(&sb, 106).await["staff_notes"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let lines: Vec<&str> = notes.lines().collect();
    assert_eq!(lines.len(), 3, "{notes}");
    assert_eq!(lines[0], "VIP: handle with care");
    assert!(
        lines[1].starts_with(&marker_of(path))
            && lines[1].contains("Refunded $5.00")
            && lines[1].contains("UTC"),
        "{notes}"
    );
    assert!(
        lines[2].starts_with(&marker_of(&cancel_path)) && lines[2].contains("Cancelled via Gladly"),
        "{notes}"
    );
}

const ADJUST: &str = "POST /v3/inventory/adjustments/relative";

/// The variant of an order line, as BigCommerce's order products name it.
async fn variant_of(sb: &bigcommerce_sandbox::Running, order: u64, line: u64) -> u64 {
    let products: Value = reqwest::Client::new()
        .get(format!("{}/v2/orders/{order}/products", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("products")
        .json()
        .await
        .expect("json");
    products
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["id"] == line)
        .and_then(|p| p["variant_id"].as_u64())
        .unwrap_or(0)
}

fn stock(sb: &bigcommerce_sandbox::Running, variant: u64) -> i64 {
    sb.state
        .data()
        .stock
        .get(&(bigcommerce_sandbox::inventory::DEFAULT_LOCATION, variant))
        .copied()
        .unwrap_or(bigcommerce_sandbox::inventory::STARTING_STOCK)
}

#[tokio::test]
async fn a_refund_returns_its_items_to_stock_once() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let variant = variant_of(&sb, 101, 1001).await;
    assert!(variant > 0, "premise: the line has a variant");
    let form = app.get("/orders/101/refund").await.1;
    assert!(
        form["sections"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["attr"] == "restock"),
        "{form}"
    );
    let path = action_url(&form);
    let body = json!({"qty_1001": "2", "reason": "damaged", "restock": true}).to_string();
    clear_log(&sb).await;
    let r = app
        .call(
            Function::RefundOrder,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await;
    let first = json_of(&r);
    assert_eq!(r.status(), 200, "{first}");
    assert!(
        first["detail"]
            .as_str()
            .is_some_and(|d| d.contains("2 item(s) returned to stock")),
        "{first}"
    );
    assert_eq!(stock(&sb, variant), 22);
    // Twice at once, then again: one refund, one adjustment.
    let (a, b) = tokio::join!(
        app.call(
            Function::RefundOrder,
            signed("POST", &path, &body, SIGNING_KEY)
        ),
        app.call(
            Function::RefundOrder,
            signed("POST", &path, &body, SIGNING_KEY)
        ),
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    assert_eq!(stock(&sb, variant), 22);
    let (_, by_route) = calls(&sb).await;
    assert_eq!(
        (
            by_route[ADJUST].as_u64(),
            by_route["POST /v3/orders/{id}/payment_actions/refunds"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn a_failed_restock_after_the_refund_is_finished_by_the_same_form_never_by_refunding() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let variant = variant_of(&sb, 101, 1001).await;
    let form = app.get("/orders/101/refund").await.1;
    let path = action_url(&form);
    let body = json!({"qty_1001": "1", "reason": "damaged", "restock": "true"}).to_string();
    fault(&sb, json!({"route": ADJUST, "status": 422, "times": 1})).await;
    clear_log(&sb).await;
    let r = app
        .call(
            Function::RefundOrder,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await;
    let v = json_of(&r);
    assert_eq!(faulted(&sb).await, 1, "premise: the adjustment was refused");
    assert_eq!(r.status(), 400, "the form stays open: {v}");
    let message = v["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message
            .starts_with("Refunded $14.00 on order #101, but the items were not returned to stock"),
        "{v}"
    );
    assert_eq!(
        refunds_marked(&sb, 101, path.rsplit('/').next().unwrap_or_default())
            .await
            .len(),
        1
    );
    assert_eq!(stock(&sb, variant), 20);
    let r = app
        .call(
            Function::RefundOrder,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await;
    let v = json_of(&r);
    assert_eq!(r.status(), 200, "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("1 item(s) returned to stock")),
        "{v}"
    );
    assert_eq!(stock(&sb, variant), 21);
    let (_, by_route) = calls(&sb).await;
    assert_eq!(
        by_route["POST /v3/orders/{id}/payment_actions/refunds"].as_u64(),
        Some(1),
        "never refunded again"
    );
    assert_eq!(
        refunds_marked(&sb, 101, path.rsplit('/').next().unwrap_or_default())
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_cancel_returns_every_item_to_stock() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let form = app.get("/orders/106/cancel").await.1;
    let order = bc_order(&sb, 106).await;
    let lines: Vec<u64> = reqwest::Client::new()
        .get(format!("{}/v2/orders/106/products", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("products")
        .json::<Value>()
        .await
        .expect("json")
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_u64())
        .collect();
    assert!(!lines.is_empty(), "premise: {order}");
    let r = app
        .call(
            Function::CancelOrder,
            signed(
                "POST",
                &action_url(&form),
                r#"{"reason":"out_of_stock","restock":true}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    let v = json_of(&r);
    assert_eq!(r.status(), 200, "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("returned to stock")),
        "{v}"
    );
    for line in lines {
        assert!(
            stock(&sb, variant_of(&sb, 106, line).await) > 20,
            "line {line} restocked"
        );
    }
}
