//! The lambda_http edge: a request becomes plain data, and every error becomes exactly one
//! status and body, from the contract's table. Nothing else decides status codes.

use crate::actions::engine::Outcome;
use crate::auth::AuthError;
use crate::bigcommerce::BcError;
use crate::config::ConfigError;
use crate::gladly::BadRequest;
use crate::lookup::LookupError;
use http::HeaderMap;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::json;

/// Gladly's bodies are small; anything larger is refused before it is parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A request as plain data.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub method: String,
    /// The path as it came over the wire (API Gateway's `rawPath`), never a normalised one.
    pub path: String,
    /// The query string as it came over the wire, without `?`.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Who to follow this request by in the logs: Gladly's ids and Lambda's.
    pub trace: Trace,
}

/// The ids that follow one Gladly request through the logs. Values are cut to 64 safe
/// characters: they come from outside and go into every log line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    pub correlation_id: Option<String>,
    pub trace_id: Option<String>,
    pub lambda_request_id: Option<String>,
}

impl Trace {
    pub fn from_headers(headers: &HeaderMap, lambda_request_id: Option<&str>) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(log_id)
        };
        Trace {
            correlation_id: header("gladly-correlation-id"),
            trace_id: header("x-b3-traceid"),
            lambda_request_id: lambda_request_id.and_then(log_id),
        }
    }
}

/// An outside id as it may appear in a log line: letters, digits, `-_.:` only, at most 64.
fn log_id(raw: &str) -> Option<String> {
    let id: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .take(64)
        .collect();
    (!id.is_empty()).then_some(id)
}

/// The query string exactly as API Gateway received it (`rawQueryString`), kept by the edge
/// when it had to escape characters that `http::Uri` refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawQuery(pub String);

impl Incoming {
    pub fn from_request(req: Request) -> Self {
        use lambda_http::RequestExt;
        let raw_path = req.raw_http_path().to_string();
        let raw_query = req.extensions().get::<RawQuery>().map(|q| q.0.clone());
        let request_id = req.lambda_context_ref().map(|c| c.request_id.clone());
        let (parts, body) = req.into_parts();
        let body = match body {
            Body::Empty => Vec::new(),
            Body::Text(t) => t.into_bytes(),
            Body::Binary(b) => b,
            _ => Vec::new(),
        };
        let trace = Trace::from_headers(&parts.headers, request_id.as_deref());
        Incoming {
            method: parts.method.as_str().to_string(),
            path: if raw_path.is_empty() {
                parts.uri.path().to_string()
            } else {
                raw_path
            },
            query: raw_query.unwrap_or_else(|| parts.uri.query().unwrap_or("").to_string()),
            headers: parts.headers,
            body,
            trace,
        }
    }

    pub fn parts(&self) -> crate::auth::RequestParts<'_> {
        crate::auth::RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    /// Path segments, percent-decoded (`guest:jane%40x.com` → `guest:jane@x.com`).
    pub fn segments(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect()
    }
}

/// Every answer that is not a success. The text of `Unavailable` and `Misconfigured` is for
/// the log only: their bodies are fixed, so nothing of AWS or BigCommerce internals (ARNs,
/// account ids, role names, hosts) ever reaches a caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{message}: {detail}")]
    BadRequest { message: String, detail: String },
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("body larger than {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("integration misconfigured: {0}")]
    Misconfigured(String),
    /// BigCommerce answered 403: the API account lacks the scope the call needs.
    #[error("the BigCommerce API account lacks the {0} scope")]
    MissingScope(&'static str),
}

/// The whole of a 401's message: which check failed is for the log only, so a caller probing
/// keys, clocks or headers learns nothing from the answer.
pub const UNAUTHORIZED_MESSAGE: &str = "unauthorized";

/// The fixed words of the 5xx answers.
pub const UNAVAILABLE_MESSAGE: &str = "temporarily unavailable";
pub const UNAVAILABLE_DETAIL: &str =
    "BigCommerce or the store's settings could not be reached in time; try again shortly.";
pub const MISCONFIGURED_MESSAGE: &str = "the integration is misconfigured";
pub const MISCONFIGURED_DETAIL: &str =
    "The store admin can find the reason in the function's log (CloudWatch).";

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest { .. } => 400,
            ApiError::Unauthorized(_) => 401,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::PayloadTooLarge => 413,
            ApiError::Unavailable(_) => 503,
            ApiError::Misconfigured(_) | ApiError::MissingScope(_) => 500,
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let one = |message: &str, detail: &str| json!({ "errors": [{ "message": message, "detail": detail }] });
        match self {
            ApiError::BadRequest { message, detail } => one(message, detail),
            ApiError::Unauthorized(_) => json!({ "errors": [{ "message": UNAUTHORIZED_MESSAGE }] }),
            ApiError::Unavailable(_) => one(UNAVAILABLE_MESSAGE, UNAVAILABLE_DETAIL),
            ApiError::Misconfigured(_) => one(MISCONFIGURED_MESSAGE, MISCONFIGURED_DETAIL),
            ApiError::MissingScope(_) => one(
                &self.to_string(),
                "Add the scope to the store's BigCommerce API account (Settings › API accounts), then try again.",
            ),
            other => json!({ "errors": [{ "message": other.to_string() }] }),
        }
    }

    pub fn into_response(self) -> Response<Body> {
        json_response(self.status(), &self.body())
    }
}

impl From<BadRequest> for ApiError {
    fn from(e: BadRequest) -> Self {
        ApiError::BadRequest {
            message: e.message,
            detail: e.detail,
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::Unauthorized(e.to_string())
    }
}

impl From<ConfigError> for ApiError {
    fn from(e: ConfigError) -> Self {
        match e {
            // Secrets Manager itself failing is passing trouble, not a bad setup.
            ConfigError::SecretUnavailable(why) => {
                ApiError::Unavailable(format!("store secret unavailable: {why}"))
            }
            other => ApiError::Misconfigured(other.to_string()),
        }
    }
}

impl From<BcError> for ApiError {
    fn from(e: BcError) -> Self {
        match e {
            BcError::Forbidden { scope } => ApiError::MissingScope(scope),
            BcError::Unauthorized => ApiError::Misconfigured(e.to_string()),
            other => ApiError::Unavailable(other.to_string()),
        }
    }
}

impl From<LookupError> for ApiError {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::Unavailable(b) | LookupError::Store(b) => b.into(),
        }
    }
}

/// The one place an action's outcome becomes a status and Gladly's shape: 200 done; 400 keeps
/// the form open (fixable input, nothing done for a passing reason, or not yet confirmed, so
/// the same `requestId` can be sent again); 406 closes it (not possible).
pub fn outcome_response(o: &Outcome) -> Response<Body> {
    // Gladly shows both lines of a refusal; a blank one would read as a fault of ours.
    let general = |message: &str, detail: &str| {
        let or = |s: &str, default: &'static str| {
            if s.trim().is_empty() {
                default.to_string()
            } else {
                s.to_string()
            }
        };
        json!({
            "message": or(message, "This action could not be carried out."),
            "detail": or(detail, "Nothing was changed."),
        })
    };
    match o {
        Outcome::Done { message, detail } => {
            json_response(200, &json!({ "message": message, "detail": detail }))
        }
        Outcome::Invalid { errors } => {
            let mut list = vec![general(
                "Please check the form; nothing was changed.",
                "Fix the fields marked and submit again.",
            )];
            list.extend(errors.iter().map(|e| json!(e)));
            json_response(400, &json!({ "errors": list }))
        }
        Outcome::NothingDone { message, detail }
        | Outcome::Uncertain { message, detail }
        | Outcome::Partial { message, detail } => {
            json_response(400, &json!({ "errors": [general(message, detail)] }))
        }
        Outcome::Refused { message, detail } => {
            json_response(406, &json!({ "errors": [general(message, detail)] }))
        }
        Outcome::Misconfigured { message, detail } => {
            json_response(500, &json!({ "errors": [general(message, detail)] }))
        }
    }
}

/// 200 with a body: a lookup's answer, or an action's form.
pub fn ok(body: &impl Serialize) -> Response<Body> {
    json_response(200, body)
}

/// How an answer reads in the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Ok,
    Unauthorized,
    /// Any other 4xx: the request or the action was refused.
    Refused,
    Failed,
}

impl Answered {
    pub fn of(status: u16) -> Self {
        match status {
            200..=299 => Answered::Ok,
            401 => Answered::Unauthorized,
            400..=499 => Answered::Refused,
            _ => Answered::Failed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Answered::Ok => "ok",
            Answered::Unauthorized => "unauthorized",
            Answered::Refused => "refused",
            Answered::Failed => "failed",
        }
    }
}

fn json_response(status: u16, body: &impl Serialize) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_string());
    let mut resp = Response::new(Body::Text(text));
    *resp.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_one_status_and_the_contract_shape() {
        let cases = [
            (
                ApiError::BadRequest {
                    message: "m".into(),
                    detail: "d".into(),
                },
                400,
            ),
            (ApiError::Unauthorized("x".into()), 401),
            (ApiError::NotFound("x".into()), 404),
            (ApiError::PayloadTooLarge, 413),
            (ApiError::Unavailable("x".into()), 503),
            (ApiError::Misconfigured("x".into()), 500),
        ];
        for (e, status) in cases {
            assert_eq!(e.status(), status);
            assert!(e.body()["errors"][0]["message"].is_string());
        }
        assert_eq!(ApiError::from(BcError::Timeout).status(), 503);
        assert_eq!(ApiError::from(BcError::Unauthorized).status(), 500);
        let scope = ApiError::from(BcError::Forbidden {
            scope: "Orders (modify)",
        });
        assert_eq!(scope.status(), 500);
        assert_eq!(
            scope.body()["errors"][0]["message"],
            "the BigCommerce API account lacks the Orders (modify) scope"
        );
    }

    #[test]
    fn server_error_bodies_say_nothing_of_the_reason() {
        let why = "AccessDeniedException: arn:aws:iam::123456789012:role/x on secret:abc";
        for e in [
            ApiError::Unavailable(why.into()),
            ApiError::Misconfigured(why.into()),
            ApiError::from(ConfigError::SecretUnavailable(why.into())),
            ApiError::from(ConfigError::SecretInvalid(why.into())),
        ] {
            assert!(e.status() >= 500);
            let body = e.body().to_string();
            assert!(
                !body.contains("123456789012") && !body.contains("arn:"),
                "{body}"
            );
            assert!(
                e.to_string().contains("123456789012"),
                "the log keeps the reason"
            );
        }
    }

    #[test]
    fn a_401_body_says_only_unauthorized() {
        for e in [
            crate::auth::AuthError::BadSignature,
            crate::auth::AuthError::StaleTime,
            crate::auth::AuthError::NotConfigured,
            crate::auth::AuthError::KeyRefused(crate::auth::KeyRefused::DemoKey),
        ] {
            let why = e.to_string();
            let api = ApiError::from(e);
            assert_eq!(api.status(), 401);
            assert_eq!(api.body(), json!({"errors": [{"message": "unauthorized"}]}));
            assert!(api.to_string().contains(&why), "the log keeps the reason");
        }
    }

    #[test]
    fn a_refusal_never_shows_a_blank_line() {
        for o in [
            Outcome::refused("Order #1 cannot be cancelled.", ""),
            Outcome::refused(" ", "  "),
            Outcome::nothing_done("m", ""),
        ] {
            let resp = outcome_response(&o);
            let body: serde_json::Value = serde_json::from_slice(resp.body().as_ref()).unwrap();
            let e = &body["errors"][0];
            for k in ["message", "detail"] {
                assert!(
                    e[k].as_str().is_some_and(|s| !s.trim().is_empty()),
                    "{k} blank in {body}"
                );
            }
        }
    }

    #[test]
    fn outcomes_map_to_gladly_statuses_and_shapes() {
        use crate::actions::fields::FieldError;
        let status = |o: &Outcome| outcome_response(o).status().as_u16();
        assert_eq!(status(&Outcome::done("m", "d")), 200);
        assert_eq!(status(&Outcome::nothing_done("m", "d")), 400);
        assert_eq!(status(&Outcome::uncertain("m", "d")), 400);
        assert_eq!(status(&Outcome::refused("m", "d")), 406);
        assert_eq!(
            status(&Outcome::Misconfigured {
                message: "m".into(),
                detail: "d".into()
            }),
            500
        );
        let invalid = Outcome::invalid(vec![FieldError {
            attr: "amount".into(),
            code: "too_large".into(),
            detail: "Max $1.00".into(),
        }]);
        let r = outcome_response(&invalid);
        assert_eq!(r.status(), 400);
        let v: serde_json::Value = serde_json::from_slice(r.body().as_ref()).unwrap_or_default();
        assert!(v["errors"][0]["message"].is_string() && v["errors"][0]["detail"].is_string());
        assert_eq!(
            v["errors"][1],
            json!({"attr": "amount", "code": "too_large", "detail": "Max $1.00"})
        );
    }

    #[test]
    fn segments_are_decoded() {
        let inc = Incoming {
            method: "GET".into(),
            path: "/customers/guest%3Ariley.guest%40example.com/orders".into(),
            query: String::new(),
            headers: HeaderMap::new(),
            body: vec![],
            trace: Trace::default(),
        };
        assert_eq!(
            inc.segments(),
            vec!["customers", "guest:riley.guest@example.com", "orders"]
        );
    }

    fn segments_of(path: &str) -> Vec<String> {
        Incoming {
            method: "GET".into(),
            path: path.into(),
            query: String::new(),
            headers: HeaderMap::new(),
            body: vec![],
            trace: Trace::default(),
        }
        .segments()
    }

    #[test]
    fn a_raw_ampersand_stays_in_its_segment() {
        // The form decoder used before cut a segment at a raw `&` ("guest:a" here).
        assert_eq!(
            segments_of("/customers/guest:a&b@x.com/orders"),
            vec!["customers", "guest:a&b@x.com", "orders"]
        );
    }

    proptest::proptest! {
        /// Decoding by `percent-encoding` equals the form decoder it replaced (`+` kept as it is),
        /// except at a raw `&`, which that one treated as the end of the segment.
        #[test]
        fn segments_decode_as_before(
            path in "(%[0-9a-fA-F]{2}|%[0-9a-zA-Z]?|[/+ =a-z@:~]|\\PC){0,40}",
        ) {
            let path = path.replace('&', "");
            let before: Vec<String> = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default()
                })
                .collect();
            proptest::prop_assert_eq!(segments_of(&path), before);
        }
    }
}
