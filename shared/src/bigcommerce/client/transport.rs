//! The transport every BigCommerce call goes through: base URL and token, per-request
//! timeouts, retries (429 always, honouring BigCommerce's wait; 5xx and timeouts for reads
//! only), the write budget, no redirects, and BigCommerce's error shapes turned into `BcError`.

use crate::bigcommerce::error::BcError;
use crate::quota::{Priority, Reading, Spend, Verdict, Watch};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

const MAX_ATTEMPTS: u32 = 3;

/// A read that takes longer is retried (or given up) rather than waited for.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a write may run, and how much of the deadline must remain to send one at all.
/// Writes (refund, void, status, promotion) are never retried on a timeout or 5xx: they may
/// have landed. Only 429 (not processed) is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteBudget {
    pub timeout: Duration,
    pub min_left: Duration,
}

impl Default for WriteBudget {
    fn default() -> Self {
        WriteBudget {
            timeout: Duration::from_secs(8),
            min_left: Duration::from_secs(5),
        }
    }
}

/// Whether a call changes anything at BigCommerce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Safe to repeat: GETs, and POSTs that only compute (refund quotes).
    Read,
    Write,
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// `https://api.bigcommerce.com/stores/{hash}/`
    root: Url,
    token: SecretString,
    deadline: Instant,
    writes: WriteBudget,
    /// Set when BigCommerce answered 401 to any call of this client (shared by its clones):
    /// the token may have been rotated, and nothing this client sent was carried out.
    token_refused: Arc<AtomicBool>,
    /// Set once a write was sent and not refused for its token: it may have been carried out.
    wrote: Arc<AtomicBool>,
    /// The store's quota as this container saw it, and this request's spend (`None`: uncounted).
    quota: Option<(Arc<Watch>, Arc<Spend>)>,
    /// Which calls of this client give way first when the share runs low.
    priority: Priority,
    /// Past the deadline, when an essential call of this request waited for the next quota
    /// window (`quota::patiently`): the request's calls may run until then (shared by clones).
    extended: Arc<std::sync::Mutex<Option<Instant>>>,
    /// Whether an essential call may wait for the next window at all.
    may_wait: bool,
    /// The shared cache, as this request read it (`None`: every read goes to BigCommerce).
    cache: Option<Arc<crate::cache::Session>>,
}

/// A call counted against the share and not yet back.
struct InFlight(Arc<Watch>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.answered();
    }
}

/// An essential call (an auto-link, a customer's orders) waits this long at most for the next
/// window when the share is spent, if the request's deadline allows: a late answer beats a 503.
/// A lookup's essential calls may wait longer, up to its late bound (`quota::patiently`). An
/// optional call never waits: a card without tracking is still true, and says so.
const MAX_WINDOW_WAIT: Duration = Duration::from_secs(3);
/// What a call that waited for the next window has, from the window's start, to be answered.
const AFTER_WINDOW_WAIT: Duration = Duration::from_secs(2);

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("root", &self.root.as_str())
            .finish_non_exhaustive()
    }
}

/// A reqwest client for BigCommerce, built once per container and shared. It follows no
/// redirect: a 3xx would resend `X-Auth-Token` (and a refund's body) to another host. It trusts
/// the system's root certificates. A trust store it cannot read leaves a client whose HTTPS calls
/// fail with a clear error (never a panic at start).
pub fn http_client() -> reqwest::Client {
    let builder = || {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .pool_idle_timeout(Duration::from_secs(50))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gladly-bigcommerce/", env!("CARGO_PKG_VERSION")))
    };
    match builder().build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the system's root certificates are unusable; calls to BigCommerce will fail");
            match builder().tls_built_in_native_certs(false).build() {
                Ok(c) => c,
                Err(_) => reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap_or_default(),
            }
        }
    }
}

impl Client {
    pub fn new(
        http: reqwest::Client,
        api_base_url: &Url,
        store_hash: &str,
        token: SecretString,
        deadline: Instant,
    ) -> Result<Self, BcError> {
        let root = api_base_url
            .join(&format!("stores/{store_hash}/"))
            .map_err(|e| BcError::Network(format!("bad api_base_url: {e}")))?;
        Ok(Self {
            http,
            root,
            token,
            deadline,
            writes: WriteBudget::default(),
            token_refused: Arc::new(AtomicBool::new(false)),
            wrote: Arc::new(AtomicBool::new(false)),
            quota: None,
            priority: Priority::Essential,
            extended: Arc::new(std::sync::Mutex::new(None)),
            may_wait: true,
            cache: None,
        })
    }

    /// Counts this client's calls against the adaptor's share of the store's quota.
    pub fn with_quota(mut self, watch: Arc<Watch>, spend: Arc<Spend>) -> Self {
        self.quota = Some((watch, spend));
        self
    }

    /// Reads through the shared cache, as this request opened it.
    pub fn with_cache(mut self, session: Arc<crate::cache::Session>) -> Self {
        self.cache = Some(session);
        self
    }

    pub fn cache(&self) -> Option<&crate::cache::Session> {
        self.cache.as_deref()
    }

    /// The store hash this client calls (`…/stores/{hash}/`).
    pub fn store_hash(&self) -> Option<String> {
        self.root
            .path_segments()?
            .rfind(|s| !s.is_empty())
            .map(String::from)
    }

    /// The same client, for a call that goes before optional ones but never waits for the next
    /// window: one that spares many others (the guest index's read) and that the lookup can do
    /// without.
    pub fn at_once(&self) -> Self {
        Self {
            may_wait: false,
            ..self.once()
        }
    }

    /// The same client, for an essential call made once for many lookups (the store's
    /// settings): it may wait like any essential call, but is no measure of the rate of them.
    pub fn once(&self) -> Self {
        Self {
            priority: Priority::Once,
            ..self.clone()
        }
    }

    /// The same client (same counts), for calls that give way first when the share runs low.
    pub fn optional(&self) -> Self {
        Self {
            priority: Priority::Optional,
            ..self.clone()
        }
    }

    /// Asks the share before a call: go, wait for a window that ends soon, or leave it unsent.
    /// The guard it returns marks the call in flight until dropped: when the call is answered,
    /// fails, or is abandoned at a deadline (its future dropped), never later. A wait for the
    /// next window extends the request's calls to the wait's end (`extended`).
    async fn admit(&self) -> Result<Option<InFlight>, BcError> {
        let Some((watch, spend)) = &self.quota else {
            return Ok(None);
        };
        for _ in 0..2 {
            match spend.ask(watch, self.priority, Instant::now()) {
                Verdict::Go => return Ok(Some(InFlight(watch.clone()))),
                Verdict::Spent(ends_in) => {
                    let wake = Instant::now() + ends_in + Duration::from_millis(20);
                    let in_time = match crate::quota::patient_until() {
                        Some(late) => wake + AFTER_WINDOW_WAIT <= late,
                        None => {
                            ends_in <= MAX_WINDOW_WAIT
                                && wake + Duration::from_millis(500) <= self.deadline
                        }
                    };
                    if self.priority == Priority::Optional || !self.may_wait || !in_time {
                        break;
                    }
                    tracing::info!(
                        wait_ms = ends_in.as_millis() as u64,
                        "the share of this quota window is spent: waiting for the next window"
                    );
                    tokio::time::sleep_until(wake).await;
                    let mut extended = self.extended.lock().unwrap_or_else(|e| e.into_inner());
                    *extended = (*extended).max(Some(wake + AFTER_WINDOW_WAIT));
                }
            }
        }
        crate::telemetry::held_back(self.priority);
        Err(BcError::OverShare)
    }

    fn observe(&self, h: &reqwest::header::HeaderMap) {
        if let Some((watch, _)) = &self.quota {
            if let Some(r) = Reading::from_headers(|k| h.get(k).and_then(|v| v.to_str().ok())) {
                watch.observe(r, Instant::now(), chrono::Utc::now().timestamp_millis());
            }
        }
    }

    pub fn with_writes(mut self, writes: WriteBudget) -> Self {
        self.writes = writes;
        self
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether BigCommerce refused this client's token (401) on any call so far.
    pub fn token_refused(&self) -> bool {
        self.token_refused.load(Ordering::Relaxed)
    }

    /// Whether a write of this client may have been carried out.
    pub fn wrote(&self) -> bool {
        self.wrote.load(Ordering::Relaxed)
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, BcError> {
        let mut url = self
            .root
            .join(path)
            .map_err(|e| BcError::Network(e.to_string()))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    /// Sends one request with retries; `Ok(None)` for 404, `Ok(Some(Value::Null))` for 204.
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        kind: Kind,
    ) -> Result<Option<Value>, BcError> {
        let idempotent = kind == Kind::Read;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Every attempt, a retry after a 429 too, is spent from the adaptor's share.
            let in_flight = self.admit().await?;
            // After a wait for the next window, this request's calls (the one that waited, and
            // those the lookup makes after it) may run past the deadline, to the wait's end.
            let extended = *self.extended.lock().unwrap_or_else(|e| e.into_inner());
            let deadline = extended.map_or(self.deadline, |e| e.max(self.deadline));
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = match kind {
                _ if left.is_zero() => return Err(BcError::Timeout),
                Kind::Read => left.min(REQUEST_TIMEOUT),
                // Never start a write that the deadline would cut short.
                Kind::Write if left < self.writes.min_left => return Err(BcError::NotSent),
                Kind::Write => left.min(self.writes.timeout),
            };
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .timeout(timeout)
                .header("X-Auth-Token", self.token.expose_secret())
                .header("Accept", "application/json");
            if let Some(b) = body {
                req = req.json(b);
            }
            let outcome = match req.send().await {
                Ok(resp) => {
                    self.observe(resp.headers());
                    crate::telemetry::bc_answered(
                        resp.status().as_u16(),
                        quota_left(resp.headers()),
                    );
                    classify(resp, required_scope(&method, url.path())).await
                }
                Err(e) if e.is_timeout() => {
                    crate::telemetry::bc_answered(0, None);
                    Attempt::Retry(BcError::Timeout, None)
                }
                Err(e) => {
                    crate::telemetry::bc_answered(0, None);
                    Attempt::Retry(BcError::Network(without_url(&e)), None)
                }
            };
            drop(in_flight);
            if matches!(outcome, Attempt::Done(Err(BcError::Unauthorized))) {
                self.token_refused.store(true, Ordering::Relaxed);
            } else if kind == Kind::Write {
                self.wrote.store(true, Ordering::Relaxed);
            }
            let (err, wait) = match outcome {
                Attempt::Done(result) => return result,
                Attempt::Throttled(wait) => (BcError::RateLimited, wait),
                Attempt::Retry(err, wait) if idempotent => (err, wait),
                Attempt::Retry(err, _) => return Err(err),
            };
            if attempt >= MAX_ATTEMPTS {
                return Err(err);
            }
            let wait = wait.unwrap_or_else(|| Duration::from_millis(100 * 2u64.pow(attempt - 1)));
            if Instant::now() + wait >= deadline {
                return Err(err);
            }
            tracing::warn!(error = %err, wait_ms = wait.as_millis() as u64, attempt, "BigCommerce call will be retried");
            tokio::time::sleep(wait).await;
        }
    }

    pub(super) async fn get<T: DeserializeOwned + Default>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<T>, BcError> {
        let url = self.url(path, query)?;
        match self.send(Method::GET, url, None, Kind::Read).await? {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(T::default())),
            Some(v) => decode(v).map(Some),
        }
    }

    pub async fn post(
        &self,
        path: &str,
        body: &Value,
        kind: Kind,
    ) -> Result<Option<Value>, BcError> {
        let url = self.url(path, &[])?;
        self.send(Method::POST, url, Some(body), kind).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Option<Value>, BcError> {
        let url = self.url(path, &[])?;
        self.send(Method::PUT, url, Some(body), Kind::Write).await
    }

    pub async fn get_value(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<Value>, BcError> {
        let url = self.url(path, query)?;
        self.send(Method::GET, url, None, Kind::Read).await
    }
}

enum Attempt {
    Done(Result<Option<Value>, BcError>),
    Throttled(Option<Duration>),
    Retry(BcError, Option<Duration>),
}

/// The scope of BigCommerce's API account form a call needs, for the 403 answer.
pub fn required_scope(method: &Method, path: &str) -> &'static str {
    let read = *method == Method::GET;
    let pick = |r: &'static str, m: &'static str| if read { r } else { m };
    if path.contains("/payment_actions") {
        pick(
            "Order Transactions (read-only)",
            "Order Transactions (modify)",
        )
    } else if path.contains("/v2/orders") {
        pick("Orders (read-only)", "Orders (modify)")
    } else if path.contains("/v3/customers") {
        pick("Customers (read-only)", "Customers (modify)")
    } else if path.contains("/v3/catalog") {
        pick("Products (read-only)", "Products (modify)")
    } else if path.contains("/v3/promotions") {
        pick("Marketing (read-only)", "Marketing (modify)")
    } else {
        "needed"
    }
}

/// `X-Rate-Limit-Requests-Left`: calls left in BigCommerce's current quota window.
fn quota_left(h: &reqwest::header::HeaderMap) -> Option<u64> {
    h.get("x-rate-limit-requests-left")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

async fn classify(resp: reqwest::Response, scope: &'static str) -> Attempt {
    let status = resp.status();
    if status.is_redirection() {
        // Never followed (see `http_client`): the token stays with BigCommerce's origin.
        tracing::warn!(
            status = status.as_u16(),
            "BigCommerce answered a redirect; not followed"
        );
        return Attempt::Done(Err(BcError::Unavailable(status.as_u16())));
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Attempt::Throttled(retry_wait(resp.headers()));
    }
    if status.is_server_error() {
        return Attempt::Retry(BcError::Unavailable(status.as_u16()), None);
    }
    match status {
        StatusCode::NO_CONTENT => return Attempt::Done(Ok(Some(Value::Null))),
        StatusCode::NOT_FOUND => return Attempt::Done(Ok(None)),
        StatusCode::UNAUTHORIZED => return Attempt::Done(Err(BcError::Unauthorized)),
        StatusCode::FORBIDDEN => return Attempt::Done(Err(BcError::Forbidden { scope })),
        _ => {}
    }
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) if e.is_timeout() => return Attempt::Retry(BcError::Timeout, None),
        Err(e) => return Attempt::Retry(BcError::Network(without_url(&e)), None),
    };
    if status.is_client_error() {
        let message = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| error_message(&v))
            .unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("request refused")
                    .to_string()
            });
        return Attempt::Done(Err(BcError::Rejected {
            status: status.as_u16(),
            message,
        }));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Attempt::Done(Ok(Some(Value::Null)));
    }
    // A truncated or garbled body is retried like a 5xx for reads (the store may answer
    // properly next time) and reported if it persists.
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) => Attempt::Done(Ok(Some(v))),
        Err(e) => Attempt::Retry(BcError::Decode(e.to_string()), None),
    }
}

/// BigCommerce's wait: `X-Retry-After` (seconds) or `X-Rate-Limit-Time-Reset-Ms`, the longer.
fn retry_wait(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let num = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    let after = num("x-retry-after").map(|s| Duration::from_secs_f64(s.min(3600.0)));
    let reset = num("x-rate-limit-time-reset-ms")
        .map(|ms| Duration::from_secs_f64(ms.min(3_600_000.0) / 1000.0));
    match (after, reset) {
        (Some(a), Some(r)) => Some(a.max(r)),
        (a, r) => a.or(r),
    }
}

/// The message of any of BigCommerce's error shapes (v2, v3, promotions, wrapped in data).
pub fn error_message(v: &Value) -> Option<String> {
    let pick = |e: &Value| {
        e["message"]
            .as_str()
            .or_else(|| e["title"].as_str())
            .map(String::from)
    };
    let base = match v {
        Value::Array(a) => a.first().and_then(pick),
        Value::Object(_) => pick(v)
            .or_else(|| {
                v["errors"]
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(pick)
            })
            .or_else(|| v["data"].as_array().and_then(|a| a.first()).and_then(pick)),
        _ => None,
    }?;
    // v3 puts the field-level reasons in `errors: {field: message}`.
    let mut details: Vec<String> = v["errors"]
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    // v2 order creation names what it refused in `details.errors: [{type, product: {id}}]`.
    let first = match v {
        Value::Array(a) => a.first().unwrap_or(&Value::Null),
        _ => v,
    };
    for e in first["details"]["errors"].as_array().into_iter().flatten() {
        if let (Some(kind), Some(id)) = (e["type"].as_str(), e["product"]["id"].as_u64()) {
            details.push(format!("{kind}: product {id}"));
        }
    }
    Some(if details.is_empty() {
        base
    } else {
        format!("{base} ({})", details.join("; "))
    })
}

/// reqwest's errors include the URL, which is harmless but noisy; keep the reason.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "BigCommerce");
    }
    text
}

/// A typed body as JSON; a body that cannot be written (an amount out of range) is never sent.
pub(super) fn body_of<T: serde::Serialize>(body: &T) -> Result<Value, BcError> {
    serde_json::to_value(body).map_err(|e| BcError::Rejected {
        status: 400,
        message: format!("the request could not be written: {e}"),
    })
}

/// Reads BigCommerce's answer to a call as `T`; an answer of the wrong shape is an error.
pub(super) fn decode<T: DeserializeOwned>(v: Value) -> Result<T, BcError> {
    serde_json::from_value(v).map_err(|e| BcError::Decode(e.to_string()))
}

/// The `data` of a v3 answer; a missing record is BigCommerce's 404 in words.
pub(super) fn data<T: DeserializeOwned>(answer: Option<Value>) -> Result<T, BcError> {
    let v = answer.ok_or_else(|| BcError::Rejected {
        status: 404,
        message: "BigCommerce has no such record".into(),
    })?;
    decode(v.get("data").cloned().unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_messages_from_every_shape() {
        assert_eq!(
            error_message(&json!([{"status": 409, "message": "Out of stock.",
                "details": {"errors": [{"type": "OutOfStock", "product": {"id": 104, "name": "Beans"}}]}}]))
            .as_deref(),
            Some("Out of stock. (OutOfStock: product 104)")
        );
        assert_eq!(
            error_message(&json!([{"status": 400, "message": "bad status"}])).as_deref(),
            Some("bad status")
        );
        assert_eq!(
            error_message(
                &json!({"status": 422, "title": "Invalid", "errors": {"amount": "too large"}})
            )
            .as_deref(),
            Some("Invalid (too large)")
        );
        assert_eq!(
            error_message(&json!({"errors": [{"status": 409, "title": "exists"}]})).as_deref(),
            Some("exists")
        );
        assert_eq!(
            error_message(&json!({"data": [{"title": "guest store credit"}]})).as_deref(),
            Some("guest store credit")
        );
        assert_eq!(error_message(&json!("nope")), None);
    }

    #[test]
    fn the_longer_rate_limit_wait_wins() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-retry-after", "1".parse().unwrap());
        h.insert("x-rate-limit-time-reset-ms", "1500".parse().unwrap());
        assert_eq!(retry_wait(&h), Some(Duration::from_millis(1500)));
        h.remove("x-rate-limit-time-reset-ms");
        assert_eq!(retry_wait(&h), Some(Duration::from_secs(1)));
        h.insert("x-retry-after", "soon".parse().unwrap());
        assert_eq!(retry_wait(&h), None);
    }
}
