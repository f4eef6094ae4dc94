//! Exactly-once for submits: a conditional write claims each `requestId` before anything moves,
//! and the answer is kept so a repeat (double click, Gladly retry, concurrent duplicate) answers
//! as the first did. DynamoDB in production and tests (moto); memory for unit tests.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

/// How long a claim's record is kept (DynamoDB TTL on `expires_at`).
pub const KEEP_SECS: i64 = 30 * 24 * 3600;

/// A finished answer: status and body, replayed verbatim for repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// An attempt is (or was, if it crashed) under way.
    Pending,
    /// An attempt ended without knowing whether BigCommerce acted: the next one settles it.
    Uncertain,
    Done(Answer),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// What the request id was minted for (`refund:order:101`); a request id is never reused for
    /// something else.
    pub scope: String,
    pub state: State,
    pub claimed_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    Won,
    Lost(Record),
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("idempotency store: {0}")]
pub struct LedgerError(pub String);

pub trait Ledger: Send + Sync {
    fn read(&self, id: &str) -> impl Future<Output = Result<Option<Record>, LedgerError>> + Send;
    /// Creates the record only if none exists.
    fn claim(
        &self,
        id: &str,
        scope: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<Claim, LedgerError>> + Send;
    fn complete(
        &self,
        id: &str,
        answer: &Answer,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;
    /// Forgets a claim whose attempt moved nothing, so the same form can be submitted again.
    fn release(&self, id: &str) -> impl Future<Output = Result<(), LedgerError>> + Send;
    fn mark_uncertain(&self, id: &str) -> impl Future<Output = Result<(), LedgerError>> + Send;
    /// Takes over an abandoned or uncertain claim; false if another attempt took it first.
    fn take_over(
        &self,
        id: &str,
        claimed_at_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<bool, LedgerError>> + Send;
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
            "done" => {
                let a: Value = serde_json::from_str(&text("answer")?).ok()?;
                State::Done(Answer {
                    status: a["status"].as_u64().and_then(|s| u16::try_from(s).ok())?,
                    body: a["body"].clone(),
                })
            }
            "uncertain" => State::Uncertain,
            _ => State::Pending,
        };
        Some(Record {
            scope: text("scope").unwrap_or_default(),
            state,
            claimed_at_ms: num("claimed_at").unwrap_or(0),
        })
    }
}

impl Ledger for DynamoLedger {
    async fn read(&self, id: &str) -> Result<Option<Record>, LedgerError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("request_id", s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| err(e.into_service_error()))?;
        Ok(out.item().and_then(Self::parse))
    }

    async fn claim(&self, id: &str, scope: &str, now_ms: i64) -> Result<Claim, LedgerError> {
        // A record released between our write and our read lets us try once more.
        for _ in 0..2 {
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("request_id", s(id))
                .item("scope", s(scope))
                .item("state", s("pending"))
                .item("claimed_at", n(now_ms))
                .item("expires_at", n(now_ms / 1000 + KEEP_SECS))
                .condition_expression("attribute_not_exists(request_id)")
                .send()
                .await;
            match put {
                Ok(_) => return Ok(Claim::Won),
                Err(e) => {
                    let e = e.into_service_error();
                    if !e.is_conditional_check_failed_exception() {
                        return Err(err(e));
                    }
                    if let Some(r) = self.read(id).await? {
                        return Ok(Claim::Lost(r));
                    }
                }
            }
        }
        Err(LedgerError(format!(
            "request {id} is being claimed and released repeatedly"
        )))
    }

    async fn complete(&self, id: &str, answer: &Answer) -> Result<(), LedgerError> {
        let stored =
            serde_json::json!({ "status": answer.status, "body": answer.body }).to_string();
        self.client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(id))
            .update_expression("SET #s = :done, answer = :a")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":a", s(&stored))
            .send()
            .await
            .map_err(|e| err(e.into_service_error()))?;
        Ok(())
    }

    async fn release(&self, id: &str) -> Result<(), LedgerError> {
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("request_id", s(id))
            .condition_expression("#s <> :done")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":done", s("done"))
            .send()
            .await;
        applied(r).map(|_| ())
    }

    async fn mark_uncertain(&self, id: &str) -> Result<(), LedgerError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(id))
            .update_expression("SET #s = :u")
            .condition_expression("#s = :p")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":u", s("uncertain"))
            .expression_attribute_values(":p", s("pending"))
            .send()
            .await;
        applied(r).map(|_| ())
    }

    async fn take_over(
        &self,
        id: &str,
        claimed_at_ms: i64,
        now_ms: i64,
    ) -> Result<bool, LedgerError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(id))
            .update_expression("SET claimed_at = :now, #s = :p")
            .condition_expression("claimed_at = :old AND #s <> :done")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":old", n(claimed_at_ms))
            .expression_attribute_values(":p", s("pending"))
            .expression_attribute_values(":done", s("done"))
            .send()
            .await;
        applied(r)
    }
}

/// In-memory ledger with the same semantics, for unit tests of the action runner.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    records: Mutex<HashMap<String, Record>>,
}

impl MemoryLedger {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Record>) -> T) -> T {
        f(&mut self.records.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Ledger for MemoryLedger {
    async fn read(&self, id: &str) -> Result<Option<Record>, LedgerError> {
        Ok(self.with(|m| m.get(id).cloned()))
    }

    async fn claim(&self, id: &str, scope: &str, now_ms: i64) -> Result<Claim, LedgerError> {
        Ok(self.with(|m| match m.get(id) {
            Some(r) => Claim::Lost(r.clone()),
            None => {
                m.insert(
                    id.to_string(),
                    Record {
                        scope: scope.to_string(),
                        state: State::Pending,
                        claimed_at_ms: now_ms,
                    },
                );
                Claim::Won
            }
        }))
    }

    async fn complete(&self, id: &str, answer: &Answer) -> Result<(), LedgerError> {
        self.with(|m| {
            if let Some(r) = m.get_mut(id) {
                r.state = State::Done(answer.clone());
            }
        });
        Ok(())
    }

    async fn release(&self, id: &str) -> Result<(), LedgerError> {
        self.with(|m| {
            if m.get(id)
                .is_some_and(|r| !matches!(r.state, State::Done(_)))
            {
                m.remove(id);
            }
        });
        Ok(())
    }

    async fn mark_uncertain(&self, id: &str) -> Result<(), LedgerError> {
        self.with(|m| {
            if let Some(r) = m.get_mut(id).filter(|r| r.state == State::Pending) {
                r.state = State::Uncertain;
            }
        });
        Ok(())
    }

    async fn take_over(
        &self,
        id: &str,
        claimed_at_ms: i64,
        now_ms: i64,
    ) -> Result<bool, LedgerError> {
        Ok(self.with(|m| match m.get_mut(id) {
            Some(r) if r.claimed_at_ms == claimed_at_ms && !matches!(r.state, State::Done(_)) => {
                r.claimed_at_ms = now_ms;
                r.state = State::Pending;
                true
            }
            _ => false,
        }))
    }
}
