//! The one place that talks HTTP to BigCommerce: base URL, token, per-request timeouts,
//! retries (429 always, honouring BigCommerce's wait; 5xx and timeouts for reads only), and
//! never past the operation's deadline.

use super::error::BcError;
use super::models::{
    CatalogProduct, Channel, CouponCode, Customer, DataList, Order, Promotion, Refund, RefundQuote,
    Shipment, Site, StoreInformation,
};
use super::{CustomerQuery, OrderQuery, Store, StoreActions};
use crate::ids::OrderId;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
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
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("root", &self.root.as_str())
            .finish_non_exhaustive()
    }
}

/// A reqwest client for BigCommerce, built once per container and shared. It trusts the
/// system's root certificates. A trust store it cannot read leaves a client whose HTTPS calls
/// fail with a clear error (never a panic at start).
pub fn http_client() -> reqwest::Client {
    let builder = || {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .pool_idle_timeout(Duration::from_secs(50))
            .user_agent(concat!("gladly-bigcommerce/", env!("CARGO_PKG_VERSION")))
    };
    match builder().build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the system's root certificates are unusable; calls to BigCommerce will fail");
            match builder().tls_built_in_native_certs(false).build() {
                Ok(c) => c,
                Err(_) => reqwest::Client::new(),
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
        })
    }

    pub fn with_writes(mut self, writes: WriteBudget) -> Self {
        self.writes = writes;
        self
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
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
            let left = self.deadline.saturating_duration_since(Instant::now());
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
                Ok(resp) => classify(resp).await,
                Err(e) if e.is_timeout() => Attempt::Retry(BcError::Timeout, None),
                Err(e) => Attempt::Retry(BcError::Network(without_url(&e)), None),
            };
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
            if Instant::now() + wait >= self.deadline {
                return Err(err);
            }
            tracing::warn!(error = %err, wait_ms = wait.as_millis() as u64, attempt, "BigCommerce call will be retried");
            tokio::time::sleep(wait).await;
        }
    }

    async fn get<T: DeserializeOwned + Default>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<T>, BcError> {
        let url = self.url(path, query)?;
        match self.send(Method::GET, url, None, Kind::Read).await? {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(T::default())),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| BcError::Decode(e.to_string())),
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

async fn classify(resp: reqwest::Response) -> Attempt {
    let status = resp.status();
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
        StatusCode::FORBIDDEN => return Attempt::Done(Err(BcError::Forbidden)),
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
    let details: Vec<String> = v["errors"]
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
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

impl Store for Client {
    async fn customers(&self, q: &CustomerQuery) -> Result<Vec<Customer>, BcError> {
        let (key, value) = match q {
            CustomerQuery::Ids(ids) => (
                "id:in",
                ids.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
            ),
            CustomerQuery::Emails(e) => ("email:in", e.join(",")),
            CustomerQuery::Phones(p) => ("phone:in", p.join(",")),
            CustomerQuery::NameLike(n) => ("name:like", n.clone()),
        };
        let query = [
            (key, value),
            ("include", "addresses,storecredit".to_string()),
            ("limit", "25".to_string()),
        ];
        let list: Option<DataList<Customer>> = self.get("v3/customers", &query).await?;
        Ok(list.map(|l| l.data).unwrap_or_default())
    }

    async fn orders(&self, q: &OrderQuery) -> Result<Vec<Order>, BcError> {
        let mut query = vec![
            ("sort", "date_created:desc".to_string()),
            ("limit", q.limit.clamp(1, 250).to_string()),
        ];
        if let Some(c) = q.customer_id {
            query.push(("customer_id", c.to_string()));
        }
        if let Some(e) = &q.email {
            query.push(("email", e.clone()));
        }
        if q.with_line_items {
            query.push(("include", "consignments.line_items".to_string()));
            query.push(("consignment_structure", "object".to_string()));
        }
        Ok(self
            .get::<Vec<Order>>("v2/orders", &query)
            .await?
            .unwrap_or_default())
    }

    async fn order(&self, id: OrderId) -> Result<Option<Order>, BcError> {
        let query = [
            ("include", "consignments.line_items".to_string()),
            ("consignment_structure", "object".to_string()),
        ];
        self.get(&format!("v2/orders/{id}"), &query).await
    }

    async fn shipments(&self, id: OrderId) -> Result<Vec<Shipment>, BcError> {
        Ok(self
            .get::<Vec<Shipment>>(&format!("v2/orders/{id}/shipments"), &[])
            .await?
            .unwrap_or_default())
    }

    async fn catalog_products(&self, ids: &[u64]) -> Result<Vec<CatalogProduct>, BcError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let query = [
            ("id:in", list),
            ("include", "primary_image".to_string()),
            ("limit", "250".to_string()),
        ];
        let found: Option<DataList<CatalogProduct>> =
            self.get("v3/catalog/products", &query).await?;
        Ok(found.map(|l| l.data).unwrap_or_default())
    }

    async fn store_information(&self) -> Result<StoreInformation, BcError> {
        Ok(self.get("v2/store", &[]).await?.unwrap_or_default())
    }

    async fn channels(&self) -> Result<Vec<Channel>, BcError> {
        self.every_page("v3/channels").await
    }

    async fn sites(&self) -> Result<Vec<Site>, BcError> {
        self.every_page("v3/sites").await
    }
}

impl Client {
    /// Every page of a small v3 list (`meta.pagination`), 250 at a time, at most 10 pages.
    async fn every_page<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, BcError> {
        let mut all = Vec::new();
        for page in 1..=10u32 {
            let query = [("limit", "250".to_string()), ("page", page.to_string())];
            let Some(list) = self.get::<DataList<T>>(path, &query).await? else {
                break;
            };
            let more = list.has_next_page();
            all.extend(list.data);
            if !more {
                break;
            }
        }
        Ok(all)
    }
}

/// The `data` of a v3 answer; a missing record is BigCommerce's 404 in words.
fn data<T: DeserializeOwned>(answer: Option<Value>) -> Result<T, BcError> {
    let v = answer.ok_or_else(|| BcError::Rejected {
        status: 404,
        message: "BigCommerce has no such record".into(),
    })?;
    serde_json::from_value(v.get("data").cloned().unwrap_or(Value::Null))
        .map_err(|e| BcError::Decode(e.to_string()))
}

impl StoreActions for Client {
    async fn refunds(&self, id: OrderId) -> Result<Vec<Refund>, BcError> {
        let list: Option<DataList<Refund>> = self
            .get(&format!("v3/orders/{id}/payment_actions/refunds"), &[])
            .await?;
        Ok(list.map(|l| l.data).unwrap_or_default())
    }

    async fn refund_quote(&self, id: OrderId, items: &Value) -> Result<RefundQuote, BcError> {
        data(
            self.post(
                &format!("v3/orders/{id}/payment_actions/refund_quotes"),
                &serde_json::json!({ "items": items }),
                Kind::Read,
            )
            .await?,
        )
    }

    async fn create_refund(&self, id: OrderId, body: &Value) -> Result<Refund, BcError> {
        data(
            self.post(
                &format!("v3/orders/{id}/payment_actions/refunds"),
                body,
                Kind::Write,
            )
            .await?,
        )
    }

    async fn void_payment(&self, id: OrderId) -> Result<(), BcError> {
        self.post(
            &format!("v3/orders/{id}/payment_actions/void"),
            &serde_json::json!({}),
            Kind::Write,
        )
        .await?;
        Ok(())
    }

    async fn set_status(
        &self,
        id: OrderId,
        status_id: u64,
        staff_notes: Option<&str>,
    ) -> Result<(), BcError> {
        let mut body = serde_json::json!({ "status_id": status_id });
        if let Some(n) = staff_notes {
            body["staff_notes"] = Value::String(n.to_string());
        }
        match self.put(&format!("v2/orders/{id}"), &body).await? {
            Some(_) => Ok(()),
            None => Err(BcError::Rejected {
                status: 404,
                message: format!("order {id} does not exist"),
            }),
        }
    }

    async fn create_promotion(&self, body: &Value) -> Result<Promotion, BcError> {
        data(self.post("v3/promotions", body, Kind::Write).await?)
    }

    async fn find_promotion(&self, name: &str) -> Result<Option<Promotion>, BcError> {
        let list: Option<DataList<Promotion>> = self
            .get("v3/promotions", &[("name", name.to_string())])
            .await?;
        Ok(list.and_then(|l| l.data.into_iter().find(|p| p.name == name)))
    }

    async fn create_code(
        &self,
        promotion_id: u64,
        code: &str,
        max_uses: u64,
    ) -> Result<CouponCode, BcError> {
        let body =
            serde_json::json!({ "code": code, "max_uses": max_uses, "max_uses_per_customer": 1 });
        data(
            self.post(
                &format!("v3/promotions/{promotion_id}/codes"),
                &body,
                Kind::Write,
            )
            .await?,
        )
    }

    async fn find_code(&self, code: &str) -> Result<Option<CouponCode>, BcError> {
        let list: Option<DataList<CouponCode>> = self
            .get("v3/promotions/codes", &[("code", code.to_string())])
            .await?;
        Ok(list.and_then(|l| {
            l.data
                .into_iter()
                .find(|c| c.code.eq_ignore_ascii_case(code))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_messages_from_every_shape() {
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
