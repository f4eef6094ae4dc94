//! The Lambda edge: an API Gateway (HTTP API, payload 2.0) event in, its answer out.
//!
//! lambda_http's own adapter panics (`failed to build request`) on a `rawQueryString` or
//! `rawPath` that `http::Uri` refuses, such as a raw `"` or space, which API Gateway passes on
//! as sent: that panic would be a Lambda error (and fire the error alarm) for anyone who asks.
//! So the event is read here: what `http::Uri` refuses is percent-escaped for the `Request`,
//! while the raw path and query as sent stay with the request (`RawHttpPath`, `RawQuery`),
//! because the signature covers them.

use crate::http::{ApiError, RawQuery};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Context, Request, RequestExt, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::future::Future;

/// What `http::Uri` refuses in a path or query: controls, space, every byte above ASCII
/// (always escaped by `utf8_percent_encode`), and these.
const URI_REFUSED: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'#');

/// `s` with every byte `http::Uri` would refuse in a path or query percent-escaped; `%` and
/// everything else is kept as sent. `Cow::Owned` exactly when something was escaped (a lone
/// refused byte comes back from `percent-encoding` as a borrowed `"%XX"`: its `Cow` cannot say).
pub fn escape_uri_part(s: &str) -> Cow<'_, str> {
    let escaped: Cow<'_, str> = utf8_percent_encode(s, URI_REFUSED).into();
    if escaped == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(escaped.into_owned())
    }
}

/// Answers one event with `call`; never panics, whatever the event holds.
pub async fn answer_event<F, Fut>(mut event: Value, context: Context, call: F) -> Value
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let raw_path = event["rawPath"].as_str().map(String::from);
    let raw_query = event["rawQueryString"].as_str().map(String::from);
    for (key, raw) in [("rawPath", &raw_path), ("rawQueryString", &raw_query)] {
        if let Some(raw) = raw {
            if let Cow::Owned(escaped) = escape_uri_part(raw) {
                event[key] = Value::String(escaped);
            }
        }
    }
    let lambda_req: LambdaRequest = match serde_json::from_value(event) {
        Ok(r) => r,
        Err(e) => {
            // Not something API Gateway sends; nothing to authenticate, so nothing is served.
            tracing::warn!(error = %e, "event is not an API Gateway HTTP API request; refused");
            return v2_response(
                ApiError::Unauthorized("unreadable request".into()).into_response(),
            );
        }
    };
    let mut req: Request = lambda_req.into();
    if let Some(q) = raw_query {
        req.extensions_mut().insert(RawQuery(q));
    }
    let req = match raw_path {
        Some(p) => req.with_raw_http_path(p),
        None => req,
    };
    v2_response(call(req.with_lambda_context(context)).await)
}

/// The payload 2.0 answer API Gateway reads.
pub fn v2_response(resp: Response<Body>) -> Value {
    let (parts, body) = resp.into_parts();
    let headers: Map<String, Value> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str().to_string(), json!(v))))
        .collect();
    let (body, base64_encoded) = match body {
        Body::Text(t) => (Some(t), false),
        Body::Binary(b) => {
            use base64::Engine;
            (
                Some(base64::engine::general_purpose::STANDARD.encode(b)),
                true,
            )
        }
        _ => (None, false),
    };
    json!({
        "statusCode": parts.status.as_u16(),
        "headers": headers,
        "body": body,
        "isBase64Encoded": base64_encoded,
        "cookies": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_reads_as_api_gateway_reads_it() {
        // The same shape `cargo lambda watch` and Lambda function URLs read: `cookies` required.
        use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
        let v = v2_response(ApiError::Unauthorized("x".into()).into_response());
        let gw: ApiGatewayV2httpResponse = serde_json::from_value(v).expect("API Gateway");
        assert_eq!(gw.status_code, 401);
        assert_eq!(
            gw.headers.get("content-type").and_then(|h| h.to_str().ok()),
            Some("application/json")
        );
        assert!(
            matches!(gw.body, Some(Body::Text(t)) if t == r#"{"errors":[{"message":"unauthorized"}]}"#)
        );
    }

    #[test]
    fn only_refused_bytes_are_escaped() {
        assert!(matches!(escape_uri_part("a=1&b=%22x%22"), Cow::Borrowed(_)));
        assert_eq!(escape_uri_part("q=\"a b\""), "q=%22a%20b%22");
        assert_eq!(escape_uri_part("é"), "%C3%A9");
    }

    #[test]
    fn a_lone_refused_byte_is_escaped_too() {
        // `answer_event` replaces the event's path or query only when it gets `Cow::Owned`.
        assert!(matches!(escape_uri_part(" "), Cow::Owned(s) if s == "%20"));
        assert!(matches!(escape_uri_part(""), Cow::Borrowed("")));
    }

    proptest::proptest! {
        /// `percent-encoding` escapes exactly what the hand-written escaper it replaced did.
        #[test]
        fn escaping_is_as_before(any in proptest::prelude::any::<String>(), ascii in "[\\x00-\\x7f]{0,60}") {
            for s in [any, ascii] {
                let new = escape_uri_part(&s);
                let old = hand_written_escape(&s);
                proptest::prop_assert_eq!(matches!(new, Cow::Borrowed(_)), matches!(old, Cow::Borrowed(_)));
                proptest::prop_assert_eq!(new, old);
            }
        }
    }

    /// The escaper `percent-encoding` replaced, kept as the oracle of the test above.
    fn hand_written_escape(s: &str) -> Cow<'_, str> {
        let refused = |b: u8| {
            !b.is_ascii_graphic()
                || matches!(
                    b,
                    b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' | b'#'
                )
        };
        if !s.bytes().any(refused) {
            return Cow::Borrowed(s);
        }
        let mut out = String::with_capacity(s.len() + 8);
        for b in s.bytes() {
            if refused(b) {
                out.push_str(&format!("%{b:02X}"));
            } else {
                out.push(b as char);
            }
        }
        Cow::Owned(out)
    }
}
