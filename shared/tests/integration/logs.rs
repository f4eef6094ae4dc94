//! The logs of a request, captured (`harness::capture`: per test thread, beside every other
//! test in the process).

use crate::harness::gladly::*;
use crate::harness::*;
use serde_json::{json, Value};

#[tokio::test]
async fn log_lines_carry_the_correlation_id_and_no_unmasked_email() {
    let sb = sandbox().await;
    let lookups = TestApp::new(&sb).await;
    let actions = TestApp::new(&sb).await;
    let (_guard, logs) = crate::harness::capture::logs();
    shared::telemetry::capture_emf();
    // Shipments fail, so the answer is partial and a warning is logged inside the request.
    fault(
        &sb,
        json!({"route": "GET /v2/orders/{id}/shipments", "status": 500}),
    )
    .await;
    let guest_orders = "/customers/guest%3Ariley.guest%40example.com/orders";
    let r = lookups
        .call(
            Function::LookupCustomer,
            signed(
                "POST",
                "/lookup",
                &basic(json!({"emails": [GUEST]})),
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = lookups
        .call(
            Function::LookupOrders,
            signed("GET", guest_orders, "", SIGNING_KEY),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = lookups
        .call(
            Function::LookupCustomer,
            signed(
                "POST",
                "/lookup",
                &detailed(&format!("guest:{GUEST}")),
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = actions
        .call(
            Function::CreateDiscount,
            signed("GET", GUEST_PATH, "", SIGNING_KEY),
        )
        .await;
    assert_eq!(r.status(), 200);
    let url = action_url(&json_of(&r));
    let body = json!({"type": "percent", "value": "10"}).to_string();
    let _ = actions
        .call(
            Function::CreateDiscount,
            signed("POST", &url, &body, SIGNING_KEY),
        )
        .await;
    let mut req = unsigned("GET", guest_orders, "");
    req.headers_mut().insert(
        "gladly-correlation-id",
        http::HeaderValue::from_static(CORRELATION),
    );
    req.headers_mut().insert(
        "x-b3-traceid",
        http::HeaderValue::from_static("b3trace0001"),
    );
    let r = lookups.call(Function::LookupOrders, req).await;
    assert_eq!(r.status(), 401);
    assert!(
        faulted(&sb).await >= 1,
        "the shipments fault must have fired"
    );

    let text = logs.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() >= 6, "{text}");
    for l in &lines {
        assert_eq!(l["span"]["correlation_id"], CORRELATION, "{l}");
        assert_eq!(l["span"]["trace_id"], "b3trace0001", "{l}");
    }
    assert!(
        !text.contains(GUEST) && !text.contains("riley.guest%40"),
        "an unmasked email: {text}"
    );
    assert!(
        !text.contains("gladly-authorization") && !text.contains("Signature="),
        "{text}"
    );
    let summaries: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "answered")
        .collect();
    assert_eq!(summaries.len(), 6, "one summary line per request: {text}");
    let routes: Vec<&str> = summaries
        .iter()
        .filter_map(|l| l["fields"]["route"].as_str())
        .collect();
    assert!(
        routes.contains(&"GET /customers/{customerId}/orders"),
        "{routes:?}"
    );
    assert!(
        routes.contains(&"POST /customers/{customerId}/discount/{requestId}"),
        "{routes:?}"
    );
    let partial = summaries.iter().find(|l| {
        l["fields"]["left_out"]
            .as_str()
            .is_some_and(|s| s.contains("shipments"))
    });
    assert!(
        partial.is_some(),
        "a summary says what was left out: {text}"
    );
    assert!(summaries
        .iter()
        .any(|l| l["fields"]["bc_calls"].as_u64().unwrap_or(0) > 0
            && l["fields"]["bc_quota_left"].is_u64()));

    // The discount left one audit line: what was made, with its marker, and no shopper.
    let rid = url.rsplit('/').next().unwrap_or_default();
    let audits: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["audit"] == true)
        .collect();
    assert_eq!(audits.len(), 1, "{text}");
    assert_eq!(audits[0]["fields"]["marker"], format!("[gladly:{rid}]"));
    assert!(
        audits[0]["fields"]["what"]
            .as_str()
            .is_some_and(|w| w.starts_with("Discount code GLADLY-")),
        "{}",
        audits[0]
    );

    let emf = shared::telemetry::captured_emf();
    assert_eq!(emf.len(), 6);
    for line in &emf {
        assert_emf(line);
    }
}

#[tokio::test]
async fn no_log_line_holds_a_code_that_stands_for_money() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let (_guard, logs) = crate::harness::capture::logs();
    // One run that makes both kinds: a discount code and a gift certificate, each submitted
    // twice (the repeat answers from the ledger).
    let mut codes = Vec::new();
    for (form, body) in [
        (
            "/customers/1/discount",
            json!({"type": "percent", "value": "10"}),
        ),
        (
            "/customers/1/gift-certificate",
            json!({"amount": "20", "to_name": "Jane Doe", "to_email": "jane.doe@example.com",
                   "from_email": "care@example.com"}),
        ),
    ] {
        let (status, f) = app.form(form).await;
        assert_eq!(status, 200, "{f}");
        let path = action_url(&f);
        for _ in 0..2 {
            let (status, v) = app.submit(&path, &body).await;
            assert_eq!(status, 200, "{v}");
            let message = v["message"].as_str().unwrap_or_default();
            let code = message
                .split_whitespace()
                .find(|w| w.starts_with("GLADLY-") || w.starts_with("GC-"))
                .unwrap_or_default()
                .to_string();
            codes.push(code);
        }
    }
    codes.dedup();
    assert!(
        codes.len() == 2 && codes.iter().all(|c| c.len() >= 16),
        "premise: both codes were made and shown to the agent: {codes:?}"
    );
    let text = logs.text();
    let audits: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["audit"] == true)
        .collect();
    assert_eq!(
        audits.len(),
        4,
        "premise: the capture saw every audit line: {text}"
    );
    for code in &codes {
        // Not the code, nor any run of its secret characters longer than the last four.
        let secret = &code[code.find('-').map_or(0, |i| i + 1)..];
        assert!(
            !text.contains(&secret[..secret.len() - 4]),
            "{code} in {text}"
        );
        let tail = &secret[secret.len() - 4..];
        assert!(
            audits.iter().any(|a| a["fields"]["what"]
                .as_str()
                .is_some_and(|w| w.contains(tail))),
            "the audit line names the code by its last four: {audits:?}"
        );
    }
}

#[test]
fn a_quota_share_out_of_range_is_refused_by_name_and_the_default_used() {
    use shared::config::StoreConfig;
    let (guard, buf) = crate::harness::capture::logs();
    {
        let with = |v: serde_json::Value| {
            let secret =
                serde_json::json!({"store_hash": "abc", "access_token": "t", "quota_share": v});
            StoreConfig::from_secret(&secret.to_string()).map(|c| c.quota_share.value())
        };
        assert_eq!(with(serde_json::json!("0.25")), Ok(0.25));
        assert_eq!(with(serde_json::json!(0.8)), Ok(0.8));
        for bad in [
            serde_json::json!("0"),
            serde_json::json!("-1"),
            serde_json::json!("1.5"),
            serde_json::json!("half"),
            serde_json::json!(true),
            serde_json::json!("NaN"),
        ] {
            assert_eq!(
                with(bad.clone()),
                Ok(0.5),
                "{bad}: the default, and the secret still works"
            );
        }
    }
    drop(guard);
    let text = buf.text();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("quota_share")).collect();
    assert!(!lines.is_empty(), "logged: {text}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("\"level\":\"ERROR\"") && l.contains("\"key\":\"quota_share\"")),
        "{lines:?}"
    );
}
