//! Where exactly-once is remembered: one record per `requestId` (claimed before anything moves,
//! then done, uncertain or released) and one lease item per order (who may change it now, and
//! which requests on it are not settled yet). DynamoDB in production and tests (moto); memory
//! for unit tests. The rules that use these live in `once.rs`.

use super::once::{Outcome, Scope};
use crate::ids::{OrderId, RequestId};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Mutex;

/// How long a record is kept (DynamoDB TTL on `expires_at`).
pub const KEEP_SECS: i64 = 30 * 24 * 3600;

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// An attempt is (or was, if it died) under way.
    Pending,
    /// An attempt ended without knowing whether BigCommerce acted.
    Uncertain,
    /// Final: replayed to every repeat.
    Done(Outcome),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// What the request id was minted for (`refund:order:101`, see `Scope::key`).
    pub scope: String,
    pub state: State,
    /// When the current attempt claimed it; fences writes of an attempt that was taken over.
    pub claimed_at_ms: i64,
    /// From then on BigCommerce has finished anything this attempt sent, so a marker search
    /// tells the truth and the record may be taken over.
    pub settle_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    Won,
    Lost(Record),
}

/// The per-order lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// Ours until it expires; `open` are the requests on this order not settled yet (ours too).
    Held {
        open: Vec<RequestId>,
    },
    Busy,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("idempotency store: {0}")]
pub struct LedgerError(pub String);

pub trait Ledger: Send + Sync {
    fn read(
        &self,
        id: &RequestId,
    ) -> impl Future<Output = Result<Option<Record>, LedgerError>> + Send;
    /// Creates the record (pending) only if none exists.
    fn claim(
        &self,
        id: &RequestId,
        scope: &Scope,
        now_ms: i64,
        settle_at_ms: i64,
    ) -> impl Future<Output = Result<Claim, LedgerError>> + Send;
    /// Done, if the record is still the attempt's that claimed it at `claimed_at_ms`.
    fn complete(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        outcome: &Outcome,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    /// Forgets a claim whose attempt moved nothing, so the same form can be sent again.
    fn release(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    fn mark_uncertain(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        settle_at_ms: i64,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    /// Takes over a record not done whose attempt claimed it at `claimed_at_ms`; false if
    /// another attempt took it first.
    fn take_over(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        now_ms: i64,
        settle_at_ms: i64,
    ) -> impl Future<Output = Result<bool, LedgerError>> + Send;
    /// Takes the order's lease for `owner` until `until_ms` (or renews it), and lists `owner`
    /// among the order's open requests.
    fn lease(
        &self,
        order: OrderId,
        owner: &RequestId,
        now_ms: i64,
        until_ms: i64,
    ) -> impl Future<Output = Result<Lease, LedgerError>> + Send;
    /// Gives the lease back; `settled` also takes `owner` off the open list.
    fn unlease(
        &self,
        order: OrderId,
        owner: &RequestId,
        settled: bool,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    /// Takes a settled request off the order's open list.
    fn forget_open(
        &self,
        order: OrderId,
        id: &RequestId,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    fn open_requests(
        &self,
        order: OrderId,
    ) -> impl Future<Output = Result<Vec<RequestId>, LedgerError>> + Send;
}

/// The lease item's key: a `:` never occurs in a `RequestId`, so it cannot collide with one.
fn lease_key(order: OrderId) -> String {
    format!("lease:order:{order}")
}

/// The DynamoDB table of the contract: key `request_id` (S), TTL attribute `expires_at`.
#[derive(Debug, Clone)]
pub struct DynamoLedger {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn ss(v: &RequestId) -> AttributeValue {
    AttributeValue::Ss(vec![v.to_string()])
}

fn err(e: impl std::fmt::Display) -> LedgerError {
    LedgerError(e.to_string())
}

/// `Ok(true)` if a conditional write happened, `Ok(false)` if its condition did not hold.
fn applied<T, E, R>(
    r: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, LedgerError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
    match r {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
        Err(e) => Err(err(DisplayErrorContext(&e))),
    }
}

fn open_list(item: Option<&HashMap<String, AttributeValue>>) -> Vec<RequestId> {
    let mut ids: Vec<RequestId> = item
        .and_then(|i| i.get("open"))
        .and_then(|v| v.as_ss().ok())
        .map(|v| v.iter().filter_map(|s| RequestId::parse(s)).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

impl DynamoLedger {
    pub fn new(client: aws_sdk_dynamodb::Client, table: &str) -> Self {
        Self {
            client,
            table: table.to_string(),
        }
    }

    /// From the SDK's environment (`AWS_ENDPOINT_URL_DYNAMODB` for moto); `endpoint` overrides.
    pub async fn connect(table: &str, endpoint: Option<&str>) -> Self {
        Self::new(crate::config::dynamodb_client(endpoint), table)
    }

    fn parse(item: &HashMap<String, AttributeValue>) -> Option<Record> {
        let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
        let num = |k: &str| {
            item.get(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<i64>().ok())
        };
        let state = match text("state")?.as_str() {
            // An answer we cannot read is not a done we could replay: settle again.
            "done" => serde_json::from_str::<Outcome>(&text("answer")?)
                .map(State::Done)
                .unwrap_or(State::Uncertain),
            "uncertain" => State::Uncertain,
            _ => State::Pending,
        };
        Some(Record {
            scope: text("scope").unwrap_or_default(),
            state,
            claimed_at_ms: num("claimed_at").unwrap_or(0),
            settle_at_ms: num("settle_at").unwrap_or(0),
        })
    }
}

impl Ledger for DynamoLedger {
    async fn read(&self, id: &RequestId) -> Result<Option<Record>, LedgerError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("request_id", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| err(e.into_service_error()))?;
        Ok(out.item().and_then(Self::parse))
    }

    async fn claim(
        &self,
        id: &RequestId,
        scope: &Scope,
        now_ms: i64,
        settle_at_ms: i64,
    ) -> Result<Claim, LedgerError> {
        // A record released between our write and our read lets us try once more.
        for _ in 0..2 {
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("request_id", s(id.as_str()))
                .item("scope", s(&scope.key()))
                .item("state", s("pending"))
                .item("claimed_at", n(now_ms))
                .item("settle_at", n(settle_at_ms))
                .item("expires_at", n(now_ms / 1000 + KEEP_SECS))
                .condition_expression("attribute_not_exists(request_id)")
                .send()
                .await;
            if applied(put)? {
                return Ok(Claim::Won);
            }
            if let Some(r) = self.read(id).await? {
                return Ok(Claim::Lost(r));
            }
        }
        Err(LedgerError(format!(
            "request {id} is being claimed and released repeatedly"
        )))
    }

    async fn complete(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        outcome: &Outcome,
    ) -> Result<(), LedgerError> {
        let stored = serde_json::to_string(outcome).map_err(err)?;
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(id.as_str()))
            .update_expression("SET #s = :done, answer = :a")
            .condition_expression("claimed_at = :mine")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":a", s(&stored))
            .expression_attribute_values(":mine", n(claimed_at_ms))
            .send()
            .await;
        applied(r).map(|_| ())
    }

    async fn release(&self, id: &RequestId, claimed_at_ms: i64) -> Result<(), LedgerError> {
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("request_id", s(id.as_str()))
            .condition_expression("#s <> :done AND claimed_at = :mine")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":mine", n(claimed_at_ms))
            .send()
            .await;
        applied(r).map(|_| ())
    }

    async fn mark_uncertain(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        settle_at_ms: i64,
    ) -> Result<(), LedgerError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(id.as_str()))
            .update_expression("SET #s = :u, settle_at = :at")
            .condition_expression("#s <> :done AND claimed_at = :mine")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":u", s("uncertain"))
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":at", n(settle_at_ms))
            .expression_attribute_values(":mine", n(claimed_at_ms))
            .send()
            .await;
        applied(r).map(|_| ())
    }

    async fn take_over(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        now_ms: i64,
        settle_at_ms: i64,
    ) -> Result<bool, LedgerError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(id.as_str()))
            .update_expression("SET claimed_at = :now, settle_at = :at, #s = :p")
            .condition_expression("claimed_at = :old AND #s <> :done")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":at", n(settle_at_ms))
            .expression_attribute_values(":old", n(claimed_at_ms))
            .expression_attribute_values(":p", s("pending"))
            .expression_attribute_values(":done", s("done"))
            .send()
            .await;
        applied(r)
    }

    async fn lease(
        &self,
        order: OrderId,
        owner: &RequestId,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<Lease, LedgerError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(&lease_key(order)))
            .update_expression(
                "SET #o = :me, lease_until = :until, expires_at = :exp ADD #open :meset",
            )
            .condition_expression("attribute_not_exists(#o) OR lease_until < :now OR #o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#open", "open")
            .expression_attribute_values(":me", s(owner.as_str()))
            .expression_attribute_values(":meset", ss(owner))
            .expression_attribute_values(":until", n(until_ms))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":exp", n(now_ms / 1000 + KEEP_SECS))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match r {
            Ok(out) => Ok(Lease::Held {
                open: open_list(out.attributes()),
            }),
            Err(e) => {
                let e = e.into_service_error();
                if e.is_conditional_check_failed_exception() {
                    Ok(Lease::Busy)
                } else {
                    Err(err(e))
                }
            }
        }
    }

    async fn unlease(
        &self,
        order: OrderId,
        owner: &RequestId,
        settled: bool,
    ) -> Result<(), LedgerError> {
        let mut u = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(&lease_key(order)))
            .condition_expression("#o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":me", s(owner.as_str()));
        u = if settled {
            u.update_expression("REMOVE #o, lease_until DELETE #open :meset")
                .expression_attribute_names("#open", "open")
                .expression_attribute_values(":meset", ss(owner))
        } else {
            u.update_expression("REMOVE #o, lease_until")
        };
        applied(u.send().await).map(|_| ())
    }

    async fn forget_open(&self, order: OrderId, id: &RequestId) -> Result<(), LedgerError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(&lease_key(order)))
            .update_expression("DELETE #open :idset")
            .expression_attribute_names("#open", "open")
            .expression_attribute_values(":idset", ss(id))
            .send()
            .await;
        applied(r).map(|_| ())
    }

    async fn open_requests(&self, order: OrderId) -> Result<Vec<RequestId>, LedgerError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("request_id", s(&lease_key(order)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| err(e.into_service_error()))?;
        Ok(open_list(out.item()))
    }
}

#[derive(Debug, Default)]
struct LeaseItem {
    owner: Option<(RequestId, i64)>,
    open: BTreeSet<RequestId>,
}

/// In-memory ledger with the same semantics, for unit tests of the engine.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    records: Mutex<HashMap<RequestId, Record>>,
    leases: Mutex<HashMap<OrderId, LeaseItem>>,
}

impl MemoryLedger {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<RequestId, Record>) -> T) -> T {
        f(&mut self.records.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn leases<T>(&self, f: impl FnOnce(&mut HashMap<OrderId, LeaseItem>) -> T) -> T {
        f(&mut self.leases.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The record of the attempt that claimed it at `claimed_at_ms`, if not done.
fn mine<'a>(
    m: &'a mut HashMap<RequestId, Record>,
    id: &RequestId,
    claimed_at_ms: i64,
) -> Option<&'a mut Record> {
    m.get_mut(id)
        .filter(|r| r.claimed_at_ms == claimed_at_ms && !matches!(r.state, State::Done(_)))
}

impl Ledger for MemoryLedger {
    async fn read(&self, id: &RequestId) -> Result<Option<Record>, LedgerError> {
        Ok(self.with(|m| m.get(id).cloned()))
    }

    async fn claim(
        &self,
        id: &RequestId,
        scope: &Scope,
        now_ms: i64,
        settle_at_ms: i64,
    ) -> Result<Claim, LedgerError> {
        Ok(self.with(|m| match m.get(id) {
            Some(r) => Claim::Lost(r.clone()),
            None => {
                m.insert(
                    id.clone(),
                    Record {
                        scope: scope.key(),
                        state: State::Pending,
                        claimed_at_ms: now_ms,
                        settle_at_ms,
                    },
                );
                Claim::Won
            }
        }))
    }

    async fn complete(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        outcome: &Outcome,
    ) -> Result<(), LedgerError> {
        self.with(|m| {
            if let Some(r) = mine(m, id, claimed_at_ms) {
                r.state = State::Done(outcome.clone());
            }
        });
        Ok(())
    }

    async fn release(&self, id: &RequestId, claimed_at_ms: i64) -> Result<(), LedgerError> {
        self.with(|m| {
            if mine(m, id, claimed_at_ms).is_some() {
                m.remove(id);
            }
        });
        Ok(())
    }

    async fn mark_uncertain(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        settle_at_ms: i64,
    ) -> Result<(), LedgerError> {
        self.with(|m| {
            if let Some(r) = mine(m, id, claimed_at_ms) {
                r.state = State::Uncertain;
                r.settle_at_ms = settle_at_ms;
            }
        });
        Ok(())
    }

    async fn take_over(
        &self,
        id: &RequestId,
        claimed_at_ms: i64,
        now_ms: i64,
        settle_at_ms: i64,
    ) -> Result<bool, LedgerError> {
        Ok(self.with(|m| match mine(m, id, claimed_at_ms) {
            Some(r) => {
                r.claimed_at_ms = now_ms;
                r.settle_at_ms = settle_at_ms;
                r.state = State::Pending;
                true
            }
            None => false,
        }))
    }

    async fn lease(
        &self,
        order: OrderId,
        owner: &RequestId,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<Lease, LedgerError> {
        Ok(self.leases(|m| {
            let item = m.entry(order).or_default();
            match &item.owner {
                Some((o, until)) if o != owner && *until >= now_ms => Lease::Busy,
                _ => {
                    item.owner = Some((owner.clone(), until_ms));
                    item.open.insert(owner.clone());
                    Lease::Held {
                        open: item.open.iter().cloned().collect(),
                    }
                }
            }
        }))
    }

    async fn unlease(
        &self,
        order: OrderId,
        owner: &RequestId,
        settled: bool,
    ) -> Result<(), LedgerError> {
        self.leases(|m| {
            if let Some(item) = m.get_mut(&order) {
                if item.owner.as_ref().is_some_and(|(o, _)| o == owner) {
                    item.owner = None;
                    if settled {
                        item.open.remove(owner);
                    }
                }
            }
        });
        Ok(())
    }

    async fn forget_open(&self, order: OrderId, id: &RequestId) -> Result<(), LedgerError> {
        self.leases(|m| {
            if let Some(item) = m.get_mut(&order) {
                item.open.remove(id);
            }
        });
        Ok(())
    }

    async fn open_requests(&self, order: OrderId) -> Result<Vec<RequestId>, LedgerError> {
        Ok(self.leases(|m| {
            m.get(&order)
                .map(|i| i.open.iter().cloned().collect())
                .unwrap_or_default()
        }))
    }
}
