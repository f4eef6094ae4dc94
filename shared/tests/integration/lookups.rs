//! The real lookup handlers against the sandbox store and moto's Secrets Manager: what Gladly
//! (and so the agent) sees, including every failure path the contract names.

use crate::harness::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// Signing keys an admin rotates between (each 32 bytes or more, as every key must be).
const OLD_KEY: &str = "old-signing-key-0123456789abcdefgh";
const NEW_KEY: &str = "new-signing-key-0123456789abcdefgh";
const ROTATED_KEY: &str = "rotated-signing-key-0123456789abcd";

#[tokio::test]
async fn auto_link_by_email_makes_one_call_and_matches_exactly_one() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    clear_log(&sb).await;
    let body =
        basic(json!({"emails": ["Jane.Doe@example.com"], "id": "gladly-1", "name": "Jane Doe"}));
    let resp = app
        .call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &body, SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let v = json_of(&resp);
    assert_eq!(ids(&v), vec!["1"]);
    let r = &v["results"][0];
    assert_eq!(r["emails"][0]["original"], "jane.doe@example.com");
    assert_eq!(
        r["phones"][0],
        json!({"original": "+15125550100", "type": "MOBILE"})
    );
    assert_eq!(r["customAttributes"]["storeCreditAmount"], "$12.50");
    assert!(
        r.get("transactions").is_none(),
        "BASIC answers carry no orders"
    );
    // A new container also reads the store's settings once (country, currency, storefronts).
    let (cold, by_route) = calls(&sb).await;
    assert_eq!(by_route["GET /v3/customers"], 1);
    assert_eq!(cold, 1 + STORE_FACTS_CALLS, "{by_route}");
    clear_log(&sb).await;
    app.call(
        Function::LookupCustomer,
        signed("POST", "/lookup", &body, SIGNING_KEY),
    )
    .await;
    assert_eq!(calls(&sb).await.0, 1, "a warm container makes one call");
}

/// `GET /v2/store`, `/v3/channels` and `/v3/sites`, side by side, once per container an hour.
const STORE_FACTS_CALLS: u64 = 3;

#[tokio::test]
async fn the_store_profile_is_read_once_per_container() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    clear_log(&sb).await;
    for customer in ["1", "2", "28"] {
        let resp = app
            .call(
                Function::LookupCustomer,
                signed("POST", "/lookup", &detailed(customer), SIGNING_KEY),
            )
            .await;
        assert_eq!(resp.status(), 200);
    }
    let (_, by_route) = calls(&sb).await;
    for route in ["GET /v2/store", "GET /v3/channels", "GET /v3/sites"] {
        assert_eq!(by_route[route], 1, "{route}: {by_route}");
    }
}

#[tokio::test]
async fn guests_are_found_by_email_with_a_second_call() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    clear_log(&sb).await;
    let body = basic(json!({"emails": ["riley.guest@example.com"], "id": "gladly-2"}));
    let v = app.lookup(&body).await.1;
    assert_eq!(ids(&v), vec!["guest:riley.guest@example.com"]);
    assert_eq!(v["results"][0]["name"], "Riley Guest");
    assert_eq!(calls(&sb).await.0, 2 + STORE_FACTS_CALLS);

    // Its DETAILED lookup lists the guest orders by billing email.
    let v = json_of(
        &app.call(
            Function::LookupCustomer,
            signed(
                "POST",
                "/lookup",
                &detailed("guest:riley.guest@example.com"),
                SIGNING_KEY,
            ),
        )
        .await,
    );
    let tx = v["results"][0]["transactions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(tx.len(), 3);
    assert!(tx
        .iter()
        .all(|t| t["externalCustomerId"] == "guest:riley.guest@example.com"));
}

#[tokio::test]
async fn auto_link_by_phone_compares_normalised_numbers() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    for (phone, want) in [
        ("+15125550100", "1"),
        ("+442079460958", "3"),
        ("+13055550115", "15"),
    ] {
        let v = app
            .basic(json!({"phones": [phone], "id": "gladly-3"}))
            .await;
        assert_eq!(ids(&v), vec![want.to_string()], "{phone}");
    }
}

#[tokio::test]
async fn manual_search_by_name_order_number_and_no_match() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let v = app.basic(json!({"name": "jane"})).await;
    assert_eq!(
        ids(&v),
        vec!["1", "27"],
        "a manual search may answer several"
    );
    let v = app.basic(json!({"orderNumber": "#103"})).await;
    assert_eq!(ids(&v), vec!["1"]);
    let v = app.basic(json!({"email": "nobody@nowhere.example"})).await;
    assert_eq!(v, json!({"results": []}));
    let v = app.basic(json!({"orderNumber": "99999"})).await;
    assert_eq!(v, json!({"results": []}));
    // Auto-link with only a name never guesses.
    let v = app
        .basic(json!({"name": "Jane Doe", "id": "gladly-9"}))
        .await;
    assert_eq!(v, json!({"results": []}));
}

#[tokio::test]
async fn detailed_profile_with_orders_tracking_and_images_within_budget() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    clear_log(&sb).await;
    let resp = app
        .call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &detailed("2"), SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let v = json_of(&resp);
    let r = &v["results"][0];
    assert_eq!(r["externalCustomerId"], "2");
    assert_eq!(r["customAttributes"]["company"], "Chen Design Studio");
    let tx = r["transactions"].as_array().cloned().unwrap_or_default();
    assert_eq!(tx.len(), 10);
    let created: Vec<&str> = tx.iter().filter_map(|t| t["createdAt"].as_str()).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let tracked = tx
        .iter()
        .filter(|t| t["firstTrackingNumber"].is_string())
        .count();
    assert_eq!(tracked, 3, "the three shipped orders carry tracking");
    assert!(tx
        .iter()
        .all(|t| t["products"].as_array().is_some_and(|p| !p.is_empty())));
    assert!(tx[0]["products"][0]["imageUrl"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
    let (cold, by_route) = calls(&sb).await;
    assert_eq!(by_route["GET /v2/orders/{id}/shipments"], 3);
    assert_eq!(by_route["GET /v3/catalog/products"], 1);
    assert_eq!(
        cold,
        8 + STORE_FACTS_CALLS,
        "customer + orders + guest orders + 3 shipments + 1 catalog + customer groups, and the store's settings: {by_route}"
    );

    // A warm function already knows the images (and the group names).
    clear_log(&sb).await;
    app.call(
        Function::LookupCustomer,
        signed("POST", "/lookup", &detailed("2"), SIGNING_KEY),
    )
    .await;
    assert_eq!(calls(&sb).await.0, 6);
}

#[tokio::test]
async fn unknown_or_foreign_ids_are_no_match() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    for id in ["99999", "abc", "guest:nobody@example.com"] {
        let resp = app
            .call(
                Function::LookupCustomer,
                signed("POST", "/lookup", &detailed(id), SIGNING_KEY),
            )
            .await;
        assert_eq!(
            (resp.status().as_u16(), json_of(&resp)),
            (200, json!({"results": []})),
            "{id}"
        );
    }
}

#[tokio::test]
async fn authentication_failures_are_401() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let body = basic(json!({"emails": ["jane.doe@example.com"]}));
    let cases = [
        (
            "unsigned",
            unsigned("POST", "/lookup", &body),
            "missing Gladly-Authorization header",
        ),
        (
            "wrong key",
            signed("POST", "/lookup", &body, "not-the-key"),
            "request signature does not match",
        ),
        (
            "stale",
            signed_at("POST", "/lookup", &body, SIGNING_KEY, &gladly_time(-600)),
            "more than 5 minutes from now",
        ),
        (
            "future",
            signed_at("POST", "/lookup", &body, SIGNING_KEY, &gladly_time(600)),
            "more than 5 minutes from now",
        ),
    ];
    // The answer says only "unauthorized"; which check failed is in the log.
    let (guard, logs) = crate::harness::capture::logs();
    for (what, req, reason) in cases {
        let before = logs.text().len();
        let resp = app.call(Function::LookupCustomer, req).await;
        assert_eq!(resp.status(), 401, "{what}");
        assert_eq!(
            json_of(&resp),
            json!({"errors": [{"message": "unauthorized"}]}),
            "{what}"
        );
        let logged = logs.text()[before..].to_string();
        assert!(
            logged.contains("request refused") && logged.contains(reason),
            "{what}: the log keeps the reason {reason:?}: {logged}"
        );
        assert!(!logged.contains(SIGNING_KEY), "{what}");
    }
    drop(guard);
    // A body changed after signing.
    let mut req = signed("POST", "/lookup", &body, SIGNING_KEY);
    *req.body_mut() = lambda_http::Body::from(body.replace("jane", "john"));
    assert_eq!(app.call(Function::LookupCustomer, req).await.status(), 401);
}

#[tokio::test]
async fn no_auth_key_in_the_secret_refuses_everything() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    secret
        .as_object_mut()
        .map(|o| o.remove("gladly_signing_key"));
    let app = TestApp::of(&sb).secret(secret).build().await;
    let (guard, logs) = crate::harness::capture::logs();
    let resp = app
        .call(
            Function::LookupCustomer,
            signed(
                "POST",
                "/lookup",
                &basic(json!({"emails": ["jane.doe@example.com"]})),
                SIGNING_KEY,
            ),
        )
        .await;
    drop(guard);
    assert_eq!(resp.status(), 401);
    assert_eq!(
        json_of(&resp),
        json!({"errors": [{"message": "unauthorized"}]})
    );
    // The admin finds the reason in the log, at ERROR: the store's setup is at fault.
    let text = logs.text();
    assert!(
        text.lines()
            .any(|l| l.contains("\"level\":\"ERROR\"") && l.contains("no Gladly auth configured")),
        "{text}"
    );
}

#[tokio::test]
async fn basic_auth_works_alone() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    if let Some(o) = secret.as_object_mut() {
        o.remove("gladly_signing_key");
        o.insert("gladly_basic_username".into(), json!("gladly"));
        o.insert("gladly_basic_password".into(), json!("s3cret"));
    }
    let app = TestApp::of(&sb).secret(secret).build().await;
    let body = basic(json!({"emails": ["jane.doe@example.com"]}));
    let with = |creds: &str| {
        let mut r = unsigned("POST", "/lookup", &body);
        let v = format!("Basic {}", base64_encode(creds));
        r.headers_mut()
            .insert("authorization", v.parse().expect("header"));
        r
    };
    assert_eq!(
        app.call(Function::LookupCustomer, with("gladly:s3cret"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.call(Function::LookupCustomer, with("gladly:wrong"))
            .await
            .status(),
        401
    );
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn a_rotated_signing_key_or_token_works_without_a_redeploy() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    secret["gladly_signing_key"] = json!(OLD_KEY);
    secret["access_token"] = json!("old-token");
    let app = TestApp::of(&sb).secret(secret.clone()).build().await;
    let body = basic(json!({"emails": ["jane.doe@example.com"]}));
    // Cached with the old token: BigCommerce refuses it.
    assert_eq!(
        app.call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &body, OLD_KEY)
        )
        .await
        .status(),
        500
    );
    // The admin rotates both; the next request signed with the new key succeeds at once.
    secret["gladly_signing_key"] = json!(NEW_KEY);
    secret["access_token"] = json!(sb.token);
    app.put_secret(&secret).await;
    let resp = app
        .call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &body, NEW_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(ids(&json_of(&resp)), vec!["1"]);
}

#[tokio::test]
async fn bad_bodies_are_400_and_huge_ones_413() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    for body in [
        "",
        "not json",
        "[]",
        r#"{"lookupLevel":"FULL","query":{}}"#,
        r#"{"query":{}}"#,
        r#"{"lookupLevel":"DETAILED","query":{}}"#,
    ] {
        let resp = app
            .call(
                Function::LookupCustomer,
                signed("POST", "/lookup", body, SIGNING_KEY),
            )
            .await;
        assert_eq!(resp.status(), 400, "{body}");
        let v = json_of(&resp);
        assert!(
            v["errors"][0]["message"].is_string() && v["errors"][0]["detail"].is_string(),
            "{body}: {v}"
        );
    }
    let huge = basic(json!({"name": "x".repeat(70 * 1024)}));
    assert_eq!(
        app.call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &huge, SIGNING_KEY)
        )
        .await
        .status(),
        413
    );
    assert_eq!(
        app.call(
            Function::LookupCustomer,
            signed("GET", "/lookup", "", SIGNING_KEY)
        )
        .await
        .status(),
        405
    );
}

#[tokio::test]
async fn shipments_failing_still_answers_without_tracking() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    fault(
        &sb,
        json!({"route": "GET /v2/orders/{id}/shipments", "status": 500}),
    )
    .await;
    let resp = app
        .call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &detailed("2"), SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let tx = json_of(&resp)["results"][0]["transactions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(tx.len(), 10);
    assert!(tx
        .iter()
        .all(|t| t.get("firstTrackingNumber").is_none() && t["fulfillments"] == json!([])));
}

#[tokio::test]
async fn the_customer_failing_is_503() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    fault(&sb, json!({"route": "GET /v3/customers", "status": 500})).await;
    let resp = app
        .call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &detailed("1"), SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 503);
    assert!(json_of(&resp)["errors"][0]["message"].is_string());
    fault(
        &sb,
        json!({"route": "GET /v3/customers", "malformed": true}),
    )
    .await;
}

#[tokio::test]
async fn a_429_is_waited_out_and_the_lookup_succeeds() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    fault(
        &sb,
        json!({"route": "GET /v3/customers", "status": 429, "times": 1}),
    )
    .await;
    clear_log(&sb).await;
    let resp = app
        .call(
            Function::LookupCustomer,
            signed(
                "POST",
                "/lookup",
                &basic(json!({"emails": ["jane.doe@example.com"]})),
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", json_of(&resp));
    assert_eq!(ids(&json_of(&resp)), vec!["1"]);
    assert_eq!(calls(&sb).await.1["GET /v3/customers"], 2);
}

#[tokio::test]
async fn slow_shipments_are_left_out_at_the_deadline_not_timed_out() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    fault(
        &sb,
        json!({"route": "GET /v2/orders/{id}/shipments", "latency_ms": 6000}),
    )
    .await;
    let started = Instant::now();
    let resp = app
        .call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &detailed("2"), SIGNING_KEY),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(resp.status(), 200);
    assert!(
        took < Duration::from_millis(4500),
        "answered by the deadline: {took:?}"
    );
    assert_eq!(
        json_of(&resp)["results"][0]["transactions"]
            .as_array()
            .map(Vec::len),
        Some(10)
    );
}

#[tokio::test]
async fn hostile_input_never_panics_and_the_function_keeps_serving() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let nasty = [
        json!({"lookupLevel": "BASIC", "query": {"emails": [{"$gt": ""}], "phones": [null, 5, "+1"]}}).to_string(),
        json!({"lookupLevel": "BASIC", "query": {"email": "a,b@c.d", "phone": "++++", "orderNumber": "1e99"}}).to_string(),
        json!({"lookupLevel": "BASIC", "query": {"name": "%", "orderNumber": "-1"}}).to_string(),
        json!({"lookupLevel": "DETAILED", "query": {"externalCustomerId": "guest:x@y.z\u{0000}"}}).to_string(),
        json!({"lookupLevel": "DETAILED", "query": {"externalCustomerId": ["1", "2"]}}).to_string(),
        json!({"lookupLevel": "BASIC", "query": {"emails": ["é@ü.example"]}, "uniqueMatchRequired": "yes"}).to_string(),
        "{\"lookupLevel\": \"BASIC\", \"query\": {\"email\": \"\u{feff}\"}}".to_string(),
        "\u{0}\u{1}".to_string(),
    ];
    for body in &nasty {
        let status = app
            .call(
                Function::LookupCustomer,
                signed("POST", "/lookup", body, SIGNING_KEY),
            )
            .await
            .status()
            .as_u16();
        assert!(status == 200 || status == 400, "{body}: {status}");
    }
    for path in [
        "/customers/%ZZ/orders",
        "/orders/1%2F2",
        "/orders/",
        "/customers//orders",
        "/orders/99999999999999999999",
    ] {
        let status = app
            .call(Function::LookupOrders, signed("GET", path, "", SIGNING_KEY))
            .await
            .status()
            .as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
    }
    let resp = app
        .call(
            Function::LookupCustomer,
            signed(
                "POST",
                "/lookup",
                &basic(json!({"emails": ["jane.doe@example.com"]})),
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn lookup_orders_routes() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let get = |path: &str| signed("GET", path, "", SIGNING_KEY);
    let v = json_of(
        &app.call(Function::LookupOrders, get("/customers/2/orders"))
            .await,
    );
    assert_eq!(v["orders"].as_array().map(Vec::len), Some(10));
    assert_eq!(v["orders"][0]["type"], "ORDER");

    let resp = app.call(Function::LookupOrders, get("/orders/103")).await;
    assert_eq!(resp.status(), 200);
    let v = json_of(&resp);
    assert_eq!(v["orders"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["orders"][0]["orderNumber"], "103");
    assert_eq!(
        v["orders"][0]["fulfillments"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        v["orders"][0]["customerOrderUrl"],
        "https://shop.example.com/account.php?action=view_order&order_id=103"
    );

    let guest = json_of(
        &app.call(
            Function::LookupOrders,
            get("/customers/guest%3Ariley.guest%40example.com/orders"),
        )
        .await,
    );
    assert_eq!(guest["orders"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        app.call(Function::LookupOrders, get("/orders/99999"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.call(Function::LookupOrders, get("/customers/abc/orders"))
            .await
            .status(),
        400
    );
    assert_eq!(
        app.call(Function::LookupOrders, unsigned("GET", "/orders/103", ""))
            .await
            .status(),
        401
    );
    assert_eq!(
        app.call(
            Function::LookupOrders,
            signed("POST", "/orders/103", "{}", SIGNING_KEY)
        )
        .await
        .status(),
        405
    );
    let none = json_of(
        &app.call(Function::LookupOrders, get("/customers/16/orders"))
            .await,
    );
    assert_eq!(none, json!({"orders": []}));
}

#[tokio::test]
async fn bad_signatures_force_at_most_one_secret_refetch_per_30_seconds() {
    let sb = sandbox().await;
    let mut secret = store_secret(&sb);
    let app = TestApp::of(&sb).secret(secret.clone()).build().await;
    let body = basic(json!({"emails": ["jane.doe@example.com"]}));
    // A stranger's bad signature refetches once...
    assert_eq!(
        app.call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &body, "stranger")
        )
        .await
        .status(),
        401
    );
    // ...so a key rotated right after is only seen when the cache expires or 30 s have passed.
    secret["gladly_signing_key"] = json!(ROTATED_KEY);
    app.put_secret(&secret).await;
    assert_eq!(
        app.call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &body, ROTATED_KEY)
        )
        .await
        .status(),
        401
    );
    // The key in the cache still works meanwhile.
    assert_eq!(
        app.call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &body, SIGNING_KEY)
        )
        .await
        .status(),
        200
    );
}
