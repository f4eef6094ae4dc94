//! Logs and metrics. Logs: JSON lines for CloudWatch, at the level `RUST_LOG` names (`error`,
//! `warn`, `info`, `debug`; default info; `trace` is clamped to debug, because below debug the
//! Lambda runtime logs raw events with their signatures). Every line of a request carries the
//! request's span: Gladly's correlation id, its trace id and Lambda's request id.
//!
//! Metrics: one CloudWatch Embedded Metric Format line per request on stdout, which CloudWatch
//! turns into metrics without any SDK call.

use std::cell::RefCell;
use tracing_subscriber::filter::LevelFilter;

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "GladlyBigCommerce";

/// `RUST_LOG`'s level, never more verbose than debug.
pub fn level_from(var: Option<&str>) -> LevelFilter {
    var.and_then(|v| v.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO)
        .min(LevelFilter::DEBUG)
}

/// The JSON log subscriber, writing to `writer` (stdout in Lambda, a buffer in tests).
pub fn subscriber<W>(level: LevelFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_target(false)
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_writer(writer)
        .finish()
}

pub fn init() {
    let level = level_from(std::env::var("RUST_LOG").ok().as_deref());
    let _ = tracing::subscriber::set_global_default(subscriber(level, std::io::stdout));
}

/// What one request did, gathered while it runs and logged (and measured) when it ends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestStats {
    /// The route template, e.g. `GET /orders/{orderId}/refund`: never a raw path.
    pub route: String,
    /// `BASIC` or `DETAILED` for lookups.
    pub level: Option<&'static str>,
    pub bc_calls: u32,
    /// Calls that got 429.
    pub bc_throttled: u32,
    /// Calls that failed: no answer, 5xx, or 401/403.
    pub bc_errors: u32,
    pub bc_unauthorized: u32,
    /// The lowest `X-Rate-Limit-Requests-Left` seen.
    pub quota_left: Option<u64>,
    /// Parts of the answer left out (shipments, images, orders).
    pub left_out: Vec<&'static str>,
    /// For actions: the kind (`refund`, `cancel`, `discount`) and its outcome.
    pub action: Option<(&'static str, &'static str)>,
    /// The currency of the order this request read last (for the refunded amount).
    pub currency: Option<String>,
    /// Money refunded by this request, in `currency`.
    pub refunded: Option<f64>,
    /// Calls not sent because the adaptor's share of the store's quota was spent, and how many
    /// of them were essential (the customer, the orders).
    pub held_back: u32,
    pub held_back_essential: u32,
    /// Parts answered from the shared cache, and parts it did not have fresh.
    pub cache_hits: u32,
    pub cache_misses: u32,
    /// The adaptor's calls in the window as a fraction of its share (1.0: the share is spent).
    pub share_used: Option<f64>,
    /// Orders left out of `lifetimeValue`: their currency or exchange rate could not be read.
    pub left_out_of_value: u32,
    /// An action refused by a limit: its secret key (`max_refund`), or `unreadable` /
    /// `unavailable` when its counter could not be read.
    pub limit_refused: Option<&'static str>,
    /// The reason the agent picked, noted by an action's submit when it acts (never by a
    /// repeat answered from the ledger): counted by action and reason once done.
    pub reason: Option<String>,
}

tokio::task_local! {
    static STATS: RefCell<RequestStats>;
}

/// Runs `fut` with a fresh `RequestStats`, returning what it gathered. Nested inside another
/// `gather` (a bench or test around a handler), the outer one is handed the same stats.
pub async fn gather<F: std::future::Future>(fut: F) -> (F::Output, RequestStats) {
    let (out, stats) = STATS
        .scope(RefCell::new(RequestStats::default()), async move {
            let out = fut.await;
            let stats = STATS.try_with(|s| s.borrow().clone()).unwrap_or_default();
            (out, stats)
        })
        .await;
    // The handler's own stats are what an enclosing gather (a bench, a test) wants to see.
    note(|outer| *outer = stats.clone());
    (out, stats)
}

/// Changes the current request's stats; outside a request (tools, benches) it does nothing.
fn note(f: impl FnOnce(&mut RequestStats)) {
    let _ = STATS.try_with(|s| f(&mut s.borrow_mut()));
}

/// One BigCommerce answer: its status (0 when none came) and quota header.
pub fn bc_answered(status: u16, quota_left: Option<u64>) {
    note(|s| {
        s.bc_calls += 1;
        match status {
            429 => s.bc_throttled += 1,
            401 => {
                s.bc_unauthorized += 1;
                s.bc_errors += 1
            }
            0 | 403 | 500.. => s.bc_errors += 1,
            _ => {}
        }
        if let Some(q) = quota_left {
            s.quota_left = Some(s.quota_left.map_or(q, |old| old.min(q)));
        }
    })
}

pub fn route(template: impl Into<String>) {
    let t = template.into();
    note(|s| s.route = t);
}

pub fn lookup_level(level: &'static str) {
    note(|s| s.level = Some(level));
}

/// A call not sent because the adaptor's share of the store's quota was spent.
pub fn held_back(p: crate::quota::Priority) {
    note(|s| {
        s.held_back += 1;
        if p != crate::quota::Priority::Optional {
            s.held_back_essential += 1;
        }
    })
}

/// A part of an answer looked up in the shared cache: found fresh, or not.
pub fn cache(hit: bool) {
    note(|s| {
        if hit {
            s.cache_hits += 1
        } else {
            s.cache_misses += 1
        }
    })
}

pub fn share_used(fraction: f64) {
    note(|s| s.share_used = Some(s.share_used.map_or(fraction, |o| o.max(fraction))));
}

pub fn left_out(part: &'static str) {
    note(|s| {
        if !s.left_out.contains(&part) {
            s.left_out.push(part)
        }
    });
}

pub fn left_out_of_value(orders: u32) {
    note(|s| s.left_out_of_value += orders);
}

pub fn action(kind: &'static str, outcome: &'static str) {
    note(|s| s.action = Some((kind, outcome)));
}

/// An action refused by a limit (`LimitRefused`, by `Limit`).
pub fn limit_refused(limit: &'static str) {
    note(|s| s.limit_refused = Some(limit));
}

/// The reason an action's submit acts for (`ActionsByReason`, by `Action` and `Reason`).
pub fn reason(text: &str) {
    let t = text.to_string();
    note(|s| s.reason = Some(t));
}

/// The reason this request's submit noted, if it acted.
pub fn noted_reason() -> Option<String> {
    STATS.try_with(|s| s.borrow().reason.clone()).ok().flatten()
}

pub fn order_currency(currency: &str) {
    let c = currency.to_string();
    note(|s| s.currency = Some(c));
}

pub fn refunded(amount: f64) {
    note(|s| s.refunded = Some(s.refunded.unwrap_or(0.0) + amount));
}

/// The request's EMF line: a JSON object CloudWatch reads as metrics. Dimensions: the function,
/// and for lookups the level, for actions the kind; refunded money by currency; actions done by
/// their reason.
pub fn emf_line(function: &str, status: u16, ms: u64, s: &RequestStats, now_ms: i64) -> String {
    use serde_json::{json, Map, Value};
    let answered = crate::http::Answered::of(status);
    let mut metrics = vec![
        json!({"Name": "Requests", "Unit": "Count"}),
        json!({"Name": "Latency", "Unit": "Milliseconds"}),
        json!({"Name": "Unauthorized", "Unit": "Count"}),
        json!({"Name": "ServerErrors", "Unit": "Count"}),
        json!({"Name": "PartialAnswers", "Unit": "Count"}),
        json!({"Name": "BigCommerceCalls", "Unit": "Count"}),
        json!({"Name": "BigCommerceThrottled", "Unit": "Count"}),
        json!({"Name": "BigCommerceErrors", "Unit": "Count"}),
        json!({"Name": "BigCommerceTokenRefused", "Unit": "Count"}),
        json!({"Name": "HeldBackForQuota", "Unit": "Count"}),
        json!({"Name": "CacheHits", "Unit": "Count"}),
        json!({"Name": "CacheMisses", "Unit": "Count"}),
    ];
    let mut root = Map::new();
    root.insert("Function".into(), json!(function));
    root.insert("Outcome".into(), json!(answered.as_str()));
    root.insert("Requests".into(), json!(1));
    root.insert("Latency".into(), json!(ms));
    root.insert(
        "Unauthorized".into(),
        json!(u8::from(answered == crate::http::Answered::Unauthorized)),
    );
    root.insert(
        "ServerErrors".into(),
        json!(u8::from(answered == crate::http::Answered::Failed)),
    );
    root.insert(
        "PartialAnswers".into(),
        json!(u8::from(!s.left_out.is_empty())),
    );
    root.insert("BigCommerceCalls".into(), json!(s.bc_calls));
    root.insert("BigCommerceThrottled".into(), json!(s.bc_throttled));
    root.insert("BigCommerceErrors".into(), json!(s.bc_errors));
    root.insert("BigCommerceTokenRefused".into(), json!(s.bc_unauthorized));
    root.insert("HeldBackForQuota".into(), json!(s.held_back));
    root.insert("CacheHits".into(), json!(s.cache_hits));
    root.insert("CacheMisses".into(), json!(s.cache_misses));
    if let Some(f) = s.share_used {
        metrics.push(json!({"Name": "QuotaShareUsed", "Unit": "Percent"}));
        root.insert("QuotaShareUsed".into(), json!((f * 100.0).round()));
    }
    if s.left_out_of_value > 0 {
        metrics.push(json!({"Name": "OrdersLeftOutOfLifetimeValue", "Unit": "Count"}));
        root.insert(
            "OrdersLeftOutOfLifetimeValue".into(),
            json!(s.left_out_of_value),
        );
    }
    if let Some(q) = s.quota_left {
        metrics.push(json!({"Name": "QuotaLeft", "Unit": "Count"}));
        root.insert("QuotaLeft".into(), json!(q));
    }
    let mut dimensions = vec![json!(["Function"]), json!(["Function", "Outcome"])];
    if let Some(level) = s.level {
        root.insert("LookupLevel".into(), json!(level));
        dimensions.push(json!(["LookupLevel", "Outcome"]));
    }
    if let Some((kind, action_outcome)) = s.action {
        root.insert("Action".into(), json!(kind));
        root.insert("ActionOutcome".into(), json!(action_outcome));
        dimensions.push(json!(["Action", "ActionOutcome"]));
    }
    let mut directives = vec![json!({
        "Namespace": NAMESPACE,
        "Dimensions": dimensions,
        "Metrics": metrics,
    })];
    if let Some(limit) = s.limit_refused {
        root.insert("Limit".into(), json!(limit));
        root.insert("LimitRefused".into(), json!(1));
        directives.push(json!({
            "Namespace": NAMESPACE,
            "Dimensions": [["Limit"]],
            "Metrics": [{"Name": "LimitRefused", "Unit": "Count"}],
        }));
    }
    if let (Some((_, "done" | "partial")), Some(reason)) = (s.action, &s.reason) {
        root.insert("Reason".into(), json!(reason));
        root.insert("ActionsByReason".into(), json!(1));
        directives.push(json!({
            "Namespace": NAMESPACE,
            "Dimensions": [["Action", "Reason"]],
            "Metrics": [{"Name": "ActionsByReason", "Unit": "Count"}],
        }));
    }
    if let Some(amount) = s.refunded {
        let currency = s.currency.as_deref().unwrap_or("unknown");
        root.insert("Currency".into(), json!(currency));
        root.insert("RefundedAmount".into(), json!(amount));
        directives.push(json!({
            "Namespace": NAMESPACE,
            "Dimensions": [["Currency"]],
            "Metrics": [{"Name": "RefundedAmount", "Unit": "None"}],
        }));
    }
    root.insert(
        "_aws".into(),
        json!({ "Timestamp": now_ms, "CloudWatchMetrics": directives }),
    );
    Value::Object(root).to_string()
}

thread_local! {
    static CAPTURED: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Writes the EMF line to stdout, where Lambda's log agent picks it up (only under Lambda or
/// `cargo lambda`, so tests and tools stay quiet), and to this thread's capture if one is on.
pub fn emit(line: &str) {
    CAPTURED.with(|c| {
        if let Some(lines) = c.borrow_mut().as_mut() {
            lines.push(line.to_string());
        }
    });
    if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    }
}

/// Starts keeping this thread's EMF lines (for tests); `captured` hands them over.
pub fn capture_emf() {
    CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
}

pub fn captured_emf() -> Vec<String> {
    CAPTURED.with(|c| c.borrow_mut().take().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_is_clamped_to_debug() {
        assert_eq!(level_from(Some("trace")), LevelFilter::DEBUG);
        assert_eq!(level_from(Some("debug")), LevelFilter::DEBUG);
        assert_eq!(level_from(Some("warn")), LevelFilter::WARN);
        assert_eq!(level_from(Some("nonsense")), LevelFilter::INFO);
        assert_eq!(level_from(None), LevelFilter::INFO);
    }

    #[tokio::test]
    async fn stats_are_per_request_and_keep_the_lowest_quota() {
        let ((), s) = gather(async {
            bc_answered(200, Some(120));
            bc_answered(429, Some(3));
            bc_answered(200, Some(90));
            left_out("shipments");
            left_out("shipments");
        })
        .await;
        assert_eq!(s.bc_calls, 3);
        assert_eq!(s.bc_throttled, 1);
        assert_eq!(s.quota_left, Some(3));
        assert_eq!(s.left_out, vec!["shipments"]);
        // Outside a request nothing is gathered and nothing panics.
        bc_answered(200, None);
    }

    #[tokio::test]
    async fn a_gather_around_a_handler_sees_the_handler_s_stats() {
        let (((), inner), outer) = gather(gather(async {
            bc_answered(429, Some(0));
            left_out("orders");
        }))
        .await;
        assert_eq!(inner.bc_throttled, 1);
        assert_eq!(outer, inner);
    }

    #[tokio::test]
    async fn an_action_done_is_counted_by_its_reason_and_nothing_else_is() {
        let metric = |outcome: &'static str, noted: bool| {
            let s = RequestStats {
                action: Some(("refund", outcome)),
                reason: noted.then(|| "Broken in transit".to_string()),
                ..RequestStats::default()
            };
            let v: serde_json::Value =
                serde_json::from_str(&emf_line("refund-order", 200, 5, &s, 0)).unwrap();
            let counted = v["_aws"]["CloudWatchMetrics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["Metrics"][0]["Name"] == "ActionsByReason");
            (counted, v["Reason"].clone(), v["ActionsByReason"].clone())
        };
        assert_eq!(
            metric("done", true),
            (
                true,
                serde_json::json!("Broken in transit"),
                serde_json::json!(1)
            )
        );
        assert!(metric("partial", true).0);
        // Refused, invalid or uncertain: nothing left the store for that reason.
        for outcome in ["refused", "invalid", "uncertain", "nothing_done"] {
            assert!(!metric(outcome, true).0, "{outcome}");
        }
        // A repeat answered from the ledger noted no reason: not counted twice.
        assert!(!metric("done", false).0);
        let ((), s) = gather(async { reason("Late") }).await;
        assert_eq!(s.reason.as_deref(), Some("Late"));
        assert_eq!(noted_reason(), None);
    }
}
