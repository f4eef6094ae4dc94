//! Ready for a real Gladly: both URL prefixes, both signing flavours, default deny, outbound
//! hardening, token rotation in the actions, generic 5xx bodies, logs and metrics.

use crate::harness::gladly::*;
use crate::harness::*;
use lambda_http::Request;
use serde_json::{json, Value};

#[tokio::test]
async fn the_base_url_and_the_lookup_prefix_both_serve() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let body = basic(json!({"emails": ["jane.doe@example.com"], "id": "g-1"}));
    let (status, v) = app.submit("/", &body).await;
    assert_eq!(status, 200);
    assert_eq!(v["results"].as_array().map(Vec::len), Some(1));

    let actions = TestApp::new(&sb).await;
    // The form and its submit under the /lookup prefix (a formUrl joined to the Lookup URL).
    let (status, form) = actions.form("/lookup/orders/105/refund").await;
    assert_eq!(status, 200, "{form}");
    let url = action_url(&form);
    assert!(url.starts_with("/orders/105/refund/"), "{url}");
    let submit = json!({"mode": "partial", "qty_1009": "1", "reason": "damaged"});
    let (status, v) = actions.submit(&format!("/lookup{url}"), &submit).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("Refunded")));

    // And the same under the host, for every action.
    for path in [
        "/lookup/orders/102/cancel",
        &format!("/lookup{GUEST_PATH}"),
        GUEST_PATH,
    ] {
        let (status, v) = actions.form(path).await;
        assert_eq!(status, 200, "{path}: {v}");
    }
}

#[tokio::test]
async fn both_gladly_signing_flavours_over_a_guest_path_pass_the_edge_and_tampering_fails() {
    let sb = sandbox().await;
    let actions = TestApp::new(&sb).await;
    let call = |ev: Value| actions.event(Function::CreateDiscount, ev);
    // The sample adaptor's flavour: the raw path as sent.
    let raw = signed_event("GET", GUEST_PATH, "", GUEST_PATH, "", "");
    // The App Platform flavour: the decoded path.
    let decoded_path = "/customers/guest:riley.guest@example.com/discount";
    let decoded = signed_event("GET", GUEST_PATH, "", decoded_path, "", "");
    assert_ne!(
        raw["headers"]["gladly-authorization"], decoded["headers"]["gladly-authorization"],
        "the flavours must sign differently for this test to mean anything"
    );
    for ev in [raw, decoded] {
        let answer = call(ev).await;
        assert_eq!(status_of(&answer), 200, "{answer}");
        assert!(body_of(&answer)["title"].is_string());
    }
    // Signed for another shopper, sent for this one: refused under either flavour.
    let tampered = {
        let mut ev = signed_event(
            "GET",
            "/customers/guest%3Aeve%40example.com/discount",
            "",
            "/customers/guest%3Aeve%40example.com/discount",
            "",
            "",
        );
        ev["rawPath"] = json!(GUEST_PATH);
        ev
    };
    let answer = call(tampered).await;
    assert_eq!(status_of(&answer), 401, "{answer}");
    // A query, signed either way, is covered too; a query other than the one signed is not.
    let query = "z=1&a=b%20c";
    for (signed_path, signed_query, want) in [
        (GUEST_PATH, query, 200),
        (decoded_path, "a=b+c&z=1", 200),
        (GUEST_PATH, "z=2&a=b%20c", 401),
    ] {
        let ev = signed_event("GET", GUEST_PATH, query, signed_path, signed_query, "");
        assert_eq!(
            status_of(&call(ev).await),
            want,
            "{signed_path}?{signed_query}"
        );
    }
}

#[tokio::test]
async fn unsigned_requests_to_every_route_get_401_and_nothing_else() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let leak = "/customers/guest%3Aleaky%40example.com";
    let paths = [
        ("POST", "/".to_string()),
        ("POST", "/lookup".to_string()),
        ("GET", "/lookup".to_string()),
        ("DELETE", "/".to_string()),
        ("GET", "/orders/103".to_string()),
        ("GET", "/orders/not-a-number".to_string()),
        ("POST", "/orders/103".to_string()),
        ("GET", format!("{leak}/orders")),
        ("GET", "/customers/%zz/orders".to_string()),
        ("GET", "/no/such/route".to_string()),
        ("GET", "/orders/105/refund".to_string()),
        ("GET", "/lookup/orders/105/refund".to_string()),
        ("POST", "/orders/105/refund/short".to_string()),
        ("POST", "/orders/105/refund/abcdefgh12345678".to_string()),
        ("PUT", "/orders/105/refund".to_string()),
        ("GET", "/orders/x/cancel".to_string()),
        (
            "POST",
            "/lookup/orders/102/cancel/abcdefgh12345678".to_string(),
        ),
        ("GET", format!("{leak}/discount")),
        ("POST", format!("/lookup{leak}/discount/abcdefgh12345678")),
        ("PATCH", format!("{leak}/discount")),
        ("GET", "/orders/101/address".to_string()),
        (
            "POST",
            "/lookup/orders/101/address/abcdefgh12345678".to_string(),
        ),
        ("GET", format!("{leak}/gift-certificate")),
        ("POST", format!("{leak}/gift-certificate/abcdefgh12345678")),
        ("GET", "/orders/101/note".to_string()),
        (
            "POST",
            "/lookup/orders/101/note/abcdefgh12345678".to_string(),
        ),
        ("GET", "/lookup/orders/104/replacement".to_string()),
        (
            "POST",
            "/orders/104/replacement/abcdefgh12345678".to_string(),
        ),
        ("GET", format!("{leak}/store-credit")),
        (
            "POST",
            format!("/lookup{leak}/store-credit/abcdefgh12345678"),
        ),
    ];
    let huge = "x".repeat(200 * 1024);
    for (method, path) in &paths {
        for body in ["", "not json", huge.as_str()] {
            for function in Function::ALL {
                let r = app.call(function, unsigned(method, path, body)).await;
                let function = function.name();
                assert_eq!(r.status(), 401, "{function} {method} {path}");
                let text = String::from_utf8_lossy(r.body().as_ref()).to_string();
                assert!(
                    !text.contains("leaky")
                        && !text.contains("/orders")
                        && !text.contains("no/such"),
                    "{function} echoed the path: {text}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_and_the_token_stays_home() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (port, seen) = listener(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}".into(),
    );
    fault(
        &sb,
        json!({"route": "GET /v2/orders/{id}", "status": 307, "location": format!("http://127.0.0.1:{port}/stolen")}),
    )
    .await;
    clear_log(&sb).await;
    let (status, v) = app.get("/orders/103").await;
    assert!(faulted(&sb).await >= 1, "the 307 fault must have fired");
    assert_eq!(status, 503, "{v}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(seen.is_empty(), "the other host got: {seen:?}");
    assert!(!v.to_string().contains(&sb.token));
}

#[tokio::test]
async fn secrets_manager_access_denied_leaves_no_arn_or_account_in_the_answer() {
    let denied = r#"{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/gladly-fn-role/lookup is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:gladly-bigcommerce/demo-AbCdEf because no identity-based policy allows the secretsmanager:GetSecretValue action"}"#;
    let (port, seen) = listener(format!("HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.1\r\nx-amzn-errortype: AccessDeniedException\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{denied}", denied.len()));
    let app = TestApp::on_aws(&format!("http://127.0.0.1:{port}"))
        .build()
        .await;
    for req in [
        unsigned("POST", "/lookup", "{}"),
        signed(
            "POST",
            "/lookup",
            &basic(json!({"emails": [GUEST]})),
            SIGNING_KEY,
        ),
    ] {
        let r = app.call(Function::LookupCustomer, req).await;
        assert_eq!(r.status(), 503);
        let text = String::from_utf8_lossy(r.body().as_ref()).to_string();
        for secret in [
            "123456789012",
            "arn:",
            "gladly-fn-role",
            "AccessDenied",
            "secretsmanager",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert!(
        !seen.lock().unwrap_or_else(|e| e.into_inner()).is_empty(),
        "Secrets Manager must have been asked"
    );
}

#[tokio::test]
async fn a_token_rotated_between_form_and_submit_works() {
    let sb = sandbox().await;
    let actions = TestApp::new(&sb).await;
    let r = actions
        .call(
            Function::RefundOrder,
            signed("GET", "/orders/105/refund", "", SIGNING_KEY),
        )
        .await;
    assert_eq!(r.status(), 200);
    let url = action_url(&json_of(&r));

    // The admin rotates the token: BigCommerce refuses the old one, the secret holds the new.
    control(
        &sb,
        "POST",
        "/__sandbox/settings",
        Some(json!({"access_token": "rotated-token-2"})),
    )
    .await;
    let mut secret = store_secret(&sb);
    secret["access_token"] = json!("rotated-token-2");
    actions.put_secret(&secret).await;
    clear_log(&sb).await;

    let submit = json!({"mode": "partial", "qty_1009": "1", "reason": "damaged"}).to_string();
    let r = actions
        .call(
            Function::RefundOrder,
            signed("POST", &url, &submit, SIGNING_KEY),
        )
        .await;
    let log = control(&sb, "GET", "/__sandbox/requests", None).await;
    let refused = log["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["status"] == 401)
        .count();
    assert!(
        refused >= 1,
        "the cached token must have been refused first: {log}"
    );
    assert_eq!(r.status(), 200, "{}", json_of(&r));
    assert!(json_of(&r)["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("Refunded")));

    // A form opened with the rotated token works too (the lookups' path).
    control(
        &sb,
        "POST",
        "/__sandbox/settings",
        Some(json!({"access_token": "rotated-token-3"})),
    )
    .await;
    secret["access_token"] = json!("rotated-token-3");
    actions.put_secret(&secret).await;
    let r = actions
        .call(
            Function::CancelOrder,
            signed("GET", "/orders/102/cancel", "", SIGNING_KEY),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", json_of(&r));
}

#[tokio::test]
async fn a_missing_scope_is_a_500_that_names_it() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    fault(&sb, json!({"route": "GET /v2/orders/{id}", "status": 403})).await;
    clear_log(&sb).await;
    let r = app
        .call(
            Function::LookupOrders,
            signed("GET", "/orders/103", "", SIGNING_KEY),
        )
        .await;
    assert!(faulted(&sb).await >= 1);
    assert_eq!(r.status(), 500);
    let msg = json_of(&r)["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains("lacks the Orders (read-only) scope"), "{msg}");
}

#[tokio::test]
async fn a_missing_scope_on_a_submit_is_a_500_too_and_nothing_moves() {
    let sb = sandbox().await;
    let actions = TestApp::new(&sb).await;
    fault(
        &sb,
        json!({"route": "POST /v3/orders/{id}/payment_actions/refund_quotes", "status": 403}),
    )
    .await;
    clear_log(&sb).await;
    let submit = json!({"qty_1002": "1", "reason": "damaged"}).to_string();
    let r = actions
        .call(
            Function::RefundOrder,
            signed(
                "POST",
                "/orders/101/refund/scope-missing-001",
                &submit,
                SIGNING_KEY,
            ),
        )
        .await;
    assert!(
        faulted(&sb).await >= 1,
        "premise: the quote was refused for its scope"
    );
    assert_eq!(r.status(), 500, "{}", json_of(&r));
    let msg = json_of(&r)["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        msg.contains("scope") && msg.contains("nothing was changed"),
        "{msg}"
    );
    assert_eq!(
        calls(&sb).await.1["POST /v3/orders/{id}/payment_actions/refunds"]
            .as_u64()
            .unwrap_or(0),
        0
    );
}

#[tokio::test]
async fn a_refund_is_measured_by_currency() {
    let sb = sandbox().await;
    let actions = TestApp::new(&sb).await;
    shared::telemetry::capture_emf();
    let r = actions
        .call(
            Function::RefundOrder,
            signed("GET", "/orders/105/refund", "", SIGNING_KEY),
        )
        .await;
    let url = action_url(&json_of(&r));
    let submit = json!({"mode": "partial", "qty_1009": "1", "reason": "damaged"}).to_string();
    let r = actions
        .call(
            Function::RefundOrder,
            signed("POST", &url, &submit, SIGNING_KEY),
        )
        .await;
    assert_eq!(r.status(), 200);
    let emf = shared::telemetry::captured_emf();
    let last: Value = serde_json::from_str(emf.last().expect("a line")).expect("json");
    assert_emf(&last.to_string());
    assert_eq!(last["Currency"], "USD");
    assert!(
        last["RefundedAmount"].as_f64().is_some_and(|a| a > 0.0),
        "{last}"
    );
    assert_eq!(last["Action"], "refund");
    assert_eq!(last["ActionOutcome"], "done");
}

#[tokio::test]
async fn a_query_with_raw_quotes_or_spaces_does_not_take_the_process_down() {
    let sb = sandbox().await;
    let lookups = TestApp::new(&sb).await;
    // The premise: lambda_http's own conversion panics on such an event.
    let hostile = "q=\"a b\"&x=<y>";
    let ev = event("POST", "/lookup", hostile, &[], "{}");
    let premise = std::panic::catch_unwind(|| {
        let parsed: Result<lambda_http::request::LambdaRequest, _> =
            serde_json::from_value(ev.clone());
        parsed.map(Request::from).is_ok()
    });
    assert!(
        premise.is_err(),
        "lambda_http no longer panics here; this guard may go"
    );

    let call = |ev: Value| lookups.event(Function::LookupCustomer, ev);
    let answer = call(ev).await;
    assert_eq!(status_of(&answer), 401, "{answer}");
    let body = basic(json!({"emails": ["jane.doe@example.com"]}));
    let answer = call(signed_event(
        "POST", "/lookup", hostile, "/lookup", hostile, &body,
    ))
    .await;
    assert_eq!(status_of(&answer), 200, "{answer}");
    assert_eq!(
        body_of(&answer)["results"].as_array().map(Vec::len),
        Some(1)
    );
    // Not even an API Gateway event: refused, no panic.
    assert_eq!(status_of(&call(json!({"nonsense": true})).await), 401);
    assert_eq!(status_of(&call(json!("text")).await), 401);
}
