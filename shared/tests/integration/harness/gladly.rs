//! Requests as Gladly and API Gateway send them (signed, with Gladly's ids), and a few fakes.

use super::{gladly_time, SIGNING_KEY};
use lambda_http::Context;
use serde_json::{json, Value};
use shared::auth::{sign, SignatureInput};
use std::sync::{Arc, Mutex};

pub const CORRELATION: &str = "corr-7Hq2xZ";
pub const GUEST: &str = "riley.guest@example.com";
pub const GUEST_PATH: &str = "/customers/guest%3Ariley.guest%40example.com/discount";

/// The headers Gladly sends and signs.
pub fn gladly_headers(time: &str) -> Vec<(&'static str, String)> {
    vec![
        ("accept", "application/json".into()),
        ("content-type", "application/json".into()),
        ("gladly-correlation-id", CORRELATION.into()),
        ("gladly-time", time.into()),
        ("x-b3-traceid", "b3trace0001".into()),
    ]
}

/// Gladly's headers at `time` and the signature with `key` over them, for
/// `(signed_path, signed_query)`: what the signer canonicalised.
pub fn authorization(
    key: &str,
    time: &str,
    method: &str,
    signed_path: &str,
    signed_query: &str,
    body: &str,
) -> (Vec<(&'static str, String)>, String) {
    let headers = gladly_headers(time);
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let auth = sign(
        key,
        &SignatureInput {
            method,
            path: signed_path,
            query: signed_query,
            headers: &pairs,
            body: body.as_bytes(),
        },
    );
    (headers, auth)
}

/// An API Gateway HTTP API (payload 2.0) event, as API Gateway hands it to the function.
pub fn event(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Value {
    let h: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), json!(v)))
        .collect();
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": h,
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "adaptor.example.com",
            "domainPrefix": "adaptor",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "Gladly"},
            "requestId": "apigw-1", "routeKey": "$default", "stage": "$default",
            "time": "26/Nov/2026:09:16:41 +0000", "timeEpoch": 0
        },
        "body": if body.is_empty() { Value::Null } else { json!(body) },
        "isBase64Encoded": false
    })
}

/// A signed event: `signed_path`/`signed_query` are what the signer canonicalised.
pub fn signed_event(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    signed_path: &str,
    signed_query: &str,
    body: &str,
) -> Value {
    let (mut headers, auth) = authorization(
        SIGNING_KEY,
        &gladly_time(0),
        method,
        signed_path,
        signed_query,
        body,
    );
    headers.push(("gladly-authorization", auth));
    event(method, raw_path, raw_query, &headers, body)
}

pub fn lambda_context() -> Context {
    let mut c = Context::default();
    c.request_id = "lambda-req-42".into();
    c
}

pub fn status_of(answer: &Value) -> u64 {
    answer["statusCode"].as_u64().unwrap_or(0)
}

pub fn body_of(answer: &Value) -> Value {
    let body = answer["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    super::says_why(status_of(answer) as u16, &body);
    body
}

/// A TCP listener (its own thread) that keeps what reaches it and answers `answer` to each.
pub fn listener(answer: String) -> (u16, Arc<Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for sock in l.incoming() {
            let Ok(mut sock) = sock else { continue };
            let _ = sock.set_read_timeout(Some(std::time::Duration::from_millis(300)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = sock.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if rest.len() >= len {
                        break;
                    }
                }
            }
            seen2
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(String::from_utf8_lossy(&buf).to_string());
            let _ = sock.write_all(answer.as_bytes());
        }
    });
    (port, seen)
}

/// Checks one line against CloudWatch's Embedded Metric Format specification.
pub fn assert_emf(line: &str) {
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let aws = &v["_aws"];
    assert!(
        aws["Timestamp"].is_i64() || aws["Timestamp"].is_u64(),
        "{line}"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics");
    assert!(!directives.is_empty());
    for d in directives {
        assert!(
            d["Namespace"].as_str().is_some_and(|n| !n.is_empty()),
            "{line}"
        );
        for set in d["Dimensions"].as_array().expect("Dimensions") {
            let set = set.as_array().expect("a dimension set");
            assert!(!set.is_empty() && set.len() <= 30);
            for dim in set {
                let name = dim.as_str().expect("dimension name");
                assert!(
                    v[name].is_string(),
                    "dimension {name} must be a string member: {line}"
                );
            }
        }
        for m in d["Metrics"].as_array().expect("Metrics") {
            let name = m["Name"].as_str().expect("metric name");
            assert!(
                v[name].is_number(),
                "metric {name} must be a number member: {line}"
            );
            // CloudWatch's standard units that these metrics use.
            let units = ["Count", "Milliseconds", "Percent", "None"];
            assert!(
                m["Unit"].as_str().is_none_or(|u| units.contains(&u)),
                "{line}"
            );
        }
    }
}
