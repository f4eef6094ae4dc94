//! The action functions end to end: forms, submits, refusals, validation, BigCommerce failures
//! mid-action, repeats and concurrent duplicates, against the sandbox and moto's DynamoDB.

use crate::harness::*;
use serde_json::{json, Value};

#[tokio::test]
async fn cancel_an_unpaid_order_once() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let resp = app
        .call(
            Function::CancelOrder,
            signed("GET", "/orders/102/cancel", "", SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let form = json_of(&resp);
    assert_eq!(form["submitButton"], "Cancel order");
    let path = action_url(&form);
    assert!(path.starts_with("/orders/102/cancel/"));
    let body = json!({"reason": "customer_request", "note": "asked by chat"}).to_string();
    let first = app
        .call(
            Function::CancelOrder,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await;
    assert_eq!(first.status(), 200);
    let first = json_of(&first);
    assert_eq!(first["message"], "Order #102 cancelled");
    assert_eq!(bc_order(&sb, 102).await["status_id"], 5);
    clear_log(&sb).await;
    let again = json_of(
        &app.call(
            Function::CancelOrder,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await,
    );
    assert_eq!(again, first, "a repeat answers as the first did");
    assert_eq!(calls(&sb).await.0, 0, "and asks BigCommerce nothing");
    // Now cancelled: the form refuses, in words.
    let resp = app
        .call(
            Function::CancelOrder,
            signed("GET", "/orders/102/cancel", "", SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 406);
    assert!(json_of(&resp)["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("already cancelled")));
}

#[tokio::test]
async fn cancel_and_refund_a_paid_unshipped_order() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let form = app.get("/orders/106/cancel").await.1;
    assert_eq!(form["submitButton"], "Cancel & refund");
    assert!(form["sections"][0]["text"]
        .as_str()
        .is_some_and(|t| t.contains("$41.94")));
    let resp = app
        .call(
            Function::CancelOrder,
            signed(
                "POST",
                &action_url(&form),
                &json!({"reason": "out_of_stock", "notify": true}).to_string(),
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", json_of(&resp));
    let v = json_of(&resp);
    assert!(
        v["detail"].as_str().is_some_and(|d| d.contains("$41.94")),
        "{v}"
    );
    let o = bc_order(&sb, 106).await;
    assert_eq!(
        (o["status_id"].as_u64(), o["refunded_amount"].as_str()),
        (Some(5), Some("41.9400"))
    );
}

#[tokio::test]
async fn cancel_releases_an_authorisation() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let form = app.get("/orders/107/cancel").await.1;
    let resp = app
        .call(
            Function::CancelOrder,
            signed(
                "POST",
                &action_url(&form),
                r#"{"reason":"fraud_suspected"}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let o = bc_order(&sb, 107).await;
    assert_eq!(
        (o["status_id"].as_u64(), o["payment_status"].as_str()),
        (Some(5), Some("void"))
    );
}

#[tokio::test]
async fn every_action_by_order_status_allowed_or_refused() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    // (order, status, cancel allowed, refund allowed)
    let cases = [
        (101, "Awaiting Fulfillment", true, true),
        (102, "Pending", true, false),
        (103, "Partially Shipped", false, true),
        (104, "Shipped", false, true),
        (105, "Completed", false, true),
        (107, "Awaiting Shipment (authorised)", true, false),
        (110, "Awaiting Payment", true, false),
        (114, "Cancelled", false, false),
        (115, "Awaiting Pickup", true, true),
        (126, "Refunded", true, false),
        (128, "Partially Refunded", false, true),
    ];
    for (order, what, cancel_ok, refund_ok) in cases {
        let c = app
            .call(
                Function::CancelOrder,
                signed("GET", &format!("/orders/{order}/cancel"), "", SIGNING_KEY),
            )
            .await;
        assert_eq!(
            c.status() == 200,
            cancel_ok,
            "cancel {order} {what}: {}",
            json_of(&c)
        );
        if !cancel_ok {
            assert_eq!(c.status(), 406, "{order}");
            let refusal = json_of(&c);
            assert!(refusal["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains(&format!("#{order}"))));
            assert_eq!(
                refusal["errors"][0]["detail"], "The order was left unchanged.",
                "the detail says what was left as it was"
            );
        }
        let (status, body) = app.order_form(order, "refund").await;
        assert_eq!(status == 200, refund_ok, "refund {order} {what}: {body}");
        if !refund_ok {
            assert_eq!(status, 406, "{order}");
        }
    }
    // Submitting to a refused order is refused too, and changes nothing.
    let resp = app
        .call(
            Function::CancelOrder,
            signed(
                "POST",
                "/orders/104/cancel/0123456789abcdef",
                r#"{"reason":"other"}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(resp.status(), 406);
    assert_eq!(bc_order(&sb, 104).await["status_id"], 2);
}

#[tokio::test]
async fn partial_refund_shows_what_remains_and_happens_once() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (status, form) = app.order_form(105, "refund").await;
    assert_eq!(status, 200);
    let text = form["sections"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        text.contains("$91.45"),
        "101.20 total less the 9.75 already refunded: {text}"
    );
    let past = form["sections"][1]["text"].as_str().unwrap_or_default();
    assert!(
        past.starts_with("Paid by ")
            && past.contains("Earlier refunds: ")
            && past.contains("$9.75 to "),
        "the form shows how it was paid and what was refunded before: {past}"
    );
    let attrs: Vec<&str> = form["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["attr"].as_str())
        .collect();
    assert!(
        attrs.contains(&"qty_1008")
            && attrs.contains(&"qty_1009")
            && attrs.contains(&"destination")
    );
    let hint = form["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["attr"] == "qty_1009")
        .map(|s| s["hint"].clone());
    assert_eq!(hint, Some(json!("Quantity to refund, 0 to 3")));

    let path = action_url(&form);
    let body = json!({"mode": "partial", "qty_1009": "2", "shipping": "2.00", "reason": "damaged", "note": "two cracked"});
    clear_log(&sb).await;
    let (status, first) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["message"], "Refunded $21.50 on order #105");
    assert!(first["detail"]
        .as_str()
        .is_some_and(|d| d.contains("original payment") && d.contains("Arrived damaged")));
    assert_eq!(refund_posts(&sb).await, 1);
    let rid = path.rsplit('/').next().unwrap_or_default().to_string();
    let refunds = bc_refunds(&sb, 105).await;
    assert!(
        refunds["data"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["reason"].as_str().is_some_and(|x| x.contains(&rid))),
        "the refund carries the request id"
    );

    let (status, again) = app.submit(&path, &body).await;
    assert_eq!((status, &again), (200, &first));
    assert_eq!(refund_posts(&sb).await, 1, "no second refund");
    let o = bc_order(&sb, 105).await;
    assert_eq!(o["status_id"], 14);
}

#[tokio::test]
async fn validation_errors_name_the_field_and_refund_nothing() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_, form) = app.order_form(101, "refund").await;
    let path = action_url(&form);
    clear_log(&sb).await;
    let cases = [
        (json!({"qty_1001": "3", "reason": "damaged"}), "qty_1001"),
        (json!({"qty_1001": "1.5", "reason": "damaged"}), "qty_1001"),
        (json!({"shipping": "9.00", "reason": "damaged"}), "shipping"),
        (json!({"amount": "56.00", "reason": "damaged"}), "amount"),
        (json!({"amount": "0", "reason": "damaged"}), "amount"),
        (json!({"amount": "1.234", "reason": "damaged"}), "amount"),
        (json!({"qty_1001": "1"}), "reason"),
        (json!({"qty_1001": "1", "reason": "whim"}), "reason"),
        (json!({"qty_4242": "1", "reason": "damaged"}), "qty_4242"),
    ];
    for (body, attr) in cases {
        let (status, v) = app.submit(&path, &body).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert!(
            v["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["attr"] == attr && e["detail"].is_string()),
            "{body}: {v}"
        );
    }
    assert_eq!(refund_posts(&sb).await, 0);
    // The form stays usable: a corrected submit with the same request id goes through.
    let (status, v) = app
        .submit(&path, &json!({"qty_1001": "1", "reason": "damaged"}))
        .await;
    assert_eq!(status, 200, "{v}");
    // Discounts and cancels validate too.
    let resp = app
        .call(
            Function::CreateDiscount,
            signed(
                "POST",
                "/customers/1/discount/0123456789abcdef",
                r#"{"type":"percent","value":"150"}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json_of(&resp)["errors"][1]["attr"], "value");
    let resp = app
        .call(
            Function::CancelOrder,
            signed(
                "POST",
                "/orders/102/cancel/0123456789abcdef",
                r#"{"reason":"bored"}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json_of(&resp)["errors"][1]["attr"], "reason");
}

#[tokio::test]
async fn store_credit_for_accounts_and_plain_json_callers() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let body = json!({"items": [{"id": 1002, "quantity": 1}], "reason": "goodwill", "destination": "store_credit"});
    let (status, v) = app
        .submit("/orders/101/refund/app-platform-call-1", &body)
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["detail"]
        .as_str()
        .is_some_and(|d| d.contains("store credit")));
    // Guests have no account to credit.
    let (status, v) = app
        .submit(
            "/orders/156/refund/app-platform-call-2",
            &json!({"qty_1078": "1", "reason": "damaged", "destination": "store_credit"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(v["errors"][1]["attr"], "destination");
}

#[tokio::test]
async fn full_refund_then_nothing_left_and_the_lookup_shows_it() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_, form) = app.order_form(104, "refund").await;
    let (status, v) = app
        .submit(
            &action_url(&form),
            &json!({"mode": "full", "reason": "not_received"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["message"], "Refunded $59.25 on order #104",
        "the coupon-discounted total, not the item prices"
    );
    assert_eq!(bc_order(&sb, 104).await["status_id"], 4);
    let (status, v) = app.order_form(104, "refund").await;
    assert_eq!(status, 406, "{v}");
    let detailed = app.detailed("1").await;
    let card104 = card(&detailed, 104);
    assert_eq!(card104["orderStatus"], "Refunded");
    assert!(
        !action_names(&card104).contains(&"Refund".to_string()),
        "{card104}"
    );
    assert_eq!(
        app.card_actions("1", 101).await,
        vec!["Cancel & refund", "Refund", "Change address", "Add note"]
    );
    assert_eq!(
        detailed["results"][0]["actions"][0]["formUrl"],
        "/customers/1/discount"
    );
}

#[tokio::test]
async fn bigcommerce_422_mid_refund_is_said_in_words_and_nothing_is_half_done() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_, form) = app.order_form(101, "refund").await;
    let path = action_url(&form);
    fault(
        &sb,
        json!({"route": "POST /v3/orders/{id}/payment_actions/refunds", "status": 422, "times": 1}),
    )
    .await;
    let (status, v) = app
        .submit(&path, &json!({"qty_1001": "1", "reason": "damaged"}))
        .await;
    assert_eq!(status, 406, "{v}");
    assert!(v["errors"][0]["message"].as_str().is_some_and(|m| m
        .contains("BigCommerce refused the refund")
        && m.contains("Nothing was refunded")));
    assert_eq!(bc_refunds(&sb, 101).await["data"], json!([]));
    // Nothing happened, so the same form may be sent again.
    let (status, v) = app
        .submit(&path, &json!({"qty_1001": "1", "reason": "damaged"}))
        .await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn a_lost_answer_after_bigcommerce_refunded_never_refunds_twice() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_, form) = app.order_form(101, "refund").await;
    let path = action_url(&form);
    // BigCommerce makes the refund but the answer is a 502.
    fault(&sb, json!({"route": "POST /v3/orders/{id}/payment_actions/refunds", "status": 502, "after": true, "times": 1})).await;
    let body = json!({"qty_1001": "2", "reason": "damaged"});
    clear_log(&sb).await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(
        faulted(&sb).await,
        1,
        "premise: the refund was answered with the fault"
    );
    assert_eq!(status, 400, "uncertain keeps the form open: {v}");
    assert!(v["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("may still go through")));
    // Sent again at once: not settled yet, so nothing is done and the agent is told to wait.
    clear_log(&sb).await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(refund_posts(&sb).await, 0);
    // Once BigCommerce must have finished: the earlier refund is found, not repeated.
    tokio::time::sleep(app.timing().settle_after).await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["message"], "Refunded $28.00 on order #101");
    assert_eq!(refund_posts(&sb).await, 0);
    assert_eq!(
        bc_refunds(&sb, 101).await["data"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn a_5xx_before_bigcommerce_acted_is_retried_once_safely() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_, form) = app.order_form(101, "refund").await;
    let path = action_url(&form);
    fault(
        &sb,
        json!({"route": "POST /v3/orders/{id}/payment_actions/refunds", "status": 500, "times": 1}),
    )
    .await;
    let body = json!({"qty_1002": "1", "reason": "wrong_item"});
    assert_eq!(app.submit(&path, &body).await.0, 400);
    assert_eq!(
        bc_refunds(&sb, 101).await["data"],
        json!([]),
        "premise: nothing landed"
    );
    tokio::time::sleep(app.timing().settle_after).await;
    let (status, v) = app.submit(&path, &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        bc_refunds(&sb, 101).await["data"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn a_429_mid_refund_is_waited_out() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_, form) = app.order_form(101, "refund").await;
    fault(
        &sb,
        json!({"route": "POST /v3/orders/{id}/payment_actions/refunds", "status": 429, "times": 1}),
    )
    .await;
    let (status, v) = app
        .submit(
            &action_url(&form),
            &json!({"qty_1002": "1", "reason": "wrong_item"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        bc_refunds(&sb, 101).await["data"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn ten_concurrent_submits_of_one_form_make_exactly_one_refund() {
    let sb = sandbox().await;
    let first = TestApp::new(&sb).await;
    let (_, form) = first.order_form(101, "refund").await;
    let path = action_url(&form);
    // Ten handler instances (ten warm Lambdas), one table.
    let mut apps = Vec::new();
    for _ in 0..10 {
        apps.push(TestApp::of(&sb).ledger(first.ledger().clone()).await);
    }
    clear_log(&sb).await;
    let body = json!({"qty_1001": "1", "shipping": "7.95", "reason": "damaged"}).to_string();
    let answers = futures::future::join_all(apps.iter().map(|a| {
        let req = signed("POST", &path, &body, SIGNING_KEY);
        async move { json_of(&a.send(req).await) }
    }))
    .await;
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "all answer the same: {answers:?}"
    );
    assert_eq!(answers[0]["message"], "Refunded $21.95 on order #101");
    assert_eq!(
        refund_posts(&sb).await,
        1,
        "exactly one refund reached BigCommerce"
    );
    assert_eq!(
        bc_refunds(&sb, 101).await["data"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn discount_code_is_made_once_per_request() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let resp = app
        .call(
            Function::CreateDiscount,
            signed("GET", "/customers/1/discount", "", SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let path = action_url(&json_of(&resp));
    let body =
        json!({"type": "percent", "value": "10", "days": "30", "min_purchase": "50", "uses": "1"})
            .to_string();
    let first = json_of(
        &app.call(
            Function::CreateDiscount,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await,
    );
    let message = first["message"].as_str().unwrap_or_default().to_string();
    assert!(message.starts_with("Discount code GLADLY-"), "{first}");
    assert!(first["detail"]
        .as_str()
        .is_some_and(|d| d.contains("10% off") && d.contains("single use")));
    let code = message
        .split_whitespace()
        .nth(2)
        .unwrap_or_default()
        .to_string();
    clear_log(&sb).await;
    let again = json_of(
        &app.call(
            Function::CreateDiscount,
            signed("POST", &path, &body, SIGNING_KEY),
        )
        .await,
    );
    assert_eq!(again, first);
    assert_eq!(calls(&sb).await.0, 0);
    let c = reqwest::Client::new();
    let codes: Value = c
        .get(format!(
            "{}/v3/promotions/codes?code={code}",
            sb.store_url()
        ))
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("codes")
        .json()
        .await
        .expect("json");
    assert_eq!(codes["data"].as_array().map(Vec::len), Some(1));
    // Guests get codes too; free shipping needs no value.
    let resp = app
        .call(
            Function::CreateDiscount,
            signed(
                "POST",
                "/customers/guest%3Ariley.guest%40example.com/discount/guest-request-0001",
                r#"{"type":"free_shipping","days":"7"}"#,
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", json_of(&resp));
}

#[tokio::test]
async fn a_promotion_left_without_its_code_is_finished_on_retry() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    fault(
        &sb,
        json!({"route": "POST /v3/promotions/{id}/codes", "status": 503, "times": 1}),
    )
    .await;
    let path = "/customers/2/discount/retry-request-0001";
    let body = r#"{"type":"fixed","value":"5"}"#;
    assert_eq!(
        app.call(
            Function::CreateDiscount,
            signed("POST", path, body, SIGNING_KEY)
        )
        .await
        .status(),
        400
    );
    tokio::time::sleep(app.timing().settle_after).await;
    let resp = app
        .call(
            Function::CreateDiscount,
            signed("POST", path, body, SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", json_of(&resp));
    assert_eq!(
        calls(&sb).await.1["POST /v3/promotions"],
        1,
        "one promotion, reused"
    );
}

#[tokio::test]
async fn action_routes_need_gladly_auth_and_survive_junk() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    assert_eq!(
        app.call(
            Function::RefundOrder,
            unsigned("GET", "/orders/101/refund", "")
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        app.call(
            Function::RefundOrder,
            unsigned("POST", "/orders/101/refund/0123456789abcdef", "{}")
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        app.call(
            Function::CancelOrder,
            signed("GET", "/orders/101/cancel", "", "wrong")
        )
        .await
        .status(),
        401
    );
    for (path, body) in [
        ("/orders/101/refund/short", "{}"),
        ("/orders/abc/refund/0123456789abcdef", "{}"),
        ("/orders/101/refund/0123456789abcdef", "[]"),
        (
            "/orders/101/refund/0123456789abcdef",
            "{\"qty_1001\": {\"$gt\": 0}, \"reason\": \"damaged\"}",
        ),
        ("/orders/999999/refund/0123456789abcdef", "{}"),
    ] {
        let status = app
            .call(
                Function::RefundOrder,
                signed("POST", path, body, SIGNING_KEY),
            )
            .await
            .status()
            .as_u16();
        assert!((400..500).contains(&status), "{path} {body}: {status}");
    }
    let (status, _) = app.order_form(101, "refund").await;
    assert_eq!(status, 200, "still serving");
}
