//! The DynamoDB ledger: the table of the contract (key `request_id` (S), TTL attribute
//! `expires_at`). Records and lease items go to and from DynamoDB through serde (`serde_dynamo`),
//! with the attribute names and state strings every earlier version wrote, so their items read.

use super::{
    entry_amounts, entry_text, over, Add, Claim, Counted, Entry, Lease, Ledger, LedgerError,
    Record, State, KEEP_SECS,
};
use crate::actions::codes::CodeSeed;
use crate::actions::engine::{Outcome, Scope, Target};
use crate::ids::RequestId;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_item};
use std::collections::HashMap;

/// A record's `state` attribute, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Uncertain,
    Done,
}

impl Status {
    const ALL: [Status; 3] = [Status::Pending, Status::Uncertain, Status::Done];

    fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Uncertain => "uncertain",
            Status::Done => "done",
        }
    }

    fn value(self) -> AttributeValue {
        AttributeValue::S(self.as_str().to_string())
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A state this version does not know is an attempt under way: it is settled, never replayed.
impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Status::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .unwrap_or(Status::Pending))
    }
}

/// A request's record as stored.
#[derive(Debug, Serialize, Deserialize)]
struct StoredRecord {
    request_id: String,
    /// `refund:order:101` (see `Scope::key`); one this version cannot read is `None`.
    #[serde(
        default,
        deserialize_with = "readable_scope",
        skip_serializing_if = "Option::is_none"
    )]
    scope: Option<Scope>,
    state: Status,
    /// The final outcome as JSON, once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    answer: Option<String>,
    #[serde(default)]
    claimed_at: i64,
    #[serde(default)]
    settle_at: i64,
    #[serde(default)]
    expires_at: i64,
    /// The request's code seed, 32 hex digits (`codes`); absent in records of earlier
    /// versions, and one that does not read is treated as absent.
    #[serde(
        default,
        deserialize_with = "readable_seed",
        serialize_with = "seed_hex",
        skip_serializing_if = "Option::is_none"
    )]
    code_seed: Option<CodeSeed>,
}

fn readable_seed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CodeSeed>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.and_then(|k| CodeSeed::from_hex(&k)))
}

fn seed_hex<S: Serializer>(seed: &Option<CodeSeed>, s: S) -> Result<S::Ok, S::Error> {
    match seed {
        Some(seed) => s.serialize_str(&seed.to_hex()),
        None => s.serialize_none(),
    }
}

fn readable_scope<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Scope>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.and_then(|k| Scope::parse(&k)))
}

impl StoredRecord {
    /// `None` for an item that is no record (no state), or done without its answer.
    fn record(self) -> Option<Record> {
        let state = match self.state {
            // An answer we cannot read is not a done we could replay: settle again.
            Status::Done => serde_json::from_str::<Outcome>(&self.answer?)
                .map(State::Done)
                .unwrap_or(State::Uncertain),
            Status::Uncertain => State::Uncertain,
            Status::Pending => State::Pending,
        };
        Some(Record {
            scope: self.scope,
            state,
            claimed_at_ms: self.claimed_at,
            settle_at_ms: self.settle_at,
            seed: self.code_seed,
        })
    }
}

/// A lease item as read: only its open list matters to a reader.
#[derive(Debug, Default, Deserialize)]
struct StoredLease {
    #[serde(default, with = "serde_dynamo::string_set")]
    open: Vec<String>,
}

/// The lease item's key, `lease:order:101` or `lease:customer:5`: a `:` never occurs in a
/// `RequestId`, so it cannot collide with one.
fn lease_key(on: &Target) -> String {
    format!("lease:{on}")
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

/// The open requests of a lease item, sorted; an unreadable item lists none.
fn open_list(item: Option<&HashMap<String, AttributeValue>>) -> Vec<RequestId> {
    let stored: StoredLease = item
        .and_then(|i| from_item(i.clone()).ok())
        .unwrap_or_default();
    let mut ids: Vec<RequestId> = stored
        .open
        .iter()
        .filter_map(|s| RequestId::parse(s))
        .collect();
    ids.sort();
    ids
}

/// A counter's item key: `limit:refund:order:101`; a `:` never occurs in a `RequestId`.
fn counter_key(counter: &str) -> String {
    format!("limit:{counter}")
}

/// The attribute of a request's entry on a counter item.
fn entry_attr(id: &RequestId) -> String {
    format!("r_{id}")
}

fn num(d: Decimal) -> AttributeValue {
    AttributeValue::N(d.normalize().to_string())
}

/// A counter item as read: its totals, and the entry of one request. `None` if a total this
/// request counts on, or its entry, does not read.
struct CounterRead {
    totals: HashMap<String, Decimal>,
    mine: Option<String>,
}

impl CounterRead {
    fn of(item: &HashMap<String, AttributeValue>, adds: &[Add], mine: &str) -> Option<Self> {
        let mut totals = HashMap::new();
        for a in adds {
            match item.get(a.name) {
                None => {}
                Some(AttributeValue::N(n)) => {
                    totals.insert(a.name.to_string(), n.parse::<Decimal>().ok()?);
                }
                Some(_) => return None,
            }
        }
        let mine = match item.get(mine) {
            None => None,
            Some(AttributeValue::S(e)) if entry_amounts(e).is_some() => Some(e.clone()),
            Some(_) => return None,
        };
        Some(CounterRead { totals, mine })
    }
}

#[derive(Debug, Clone)]
pub struct DynamoLedger {
    client: aws_sdk_dynamodb::Client,
    table: String,
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
}

impl DynamoLedger {
    async fn counter_item(
        &self,
        key: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, LedgerError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("request_id", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| err(e.into_service_error()))?;
        Ok(out.item)
    }

    /// Takes entry `entry` (as read) off the counter item; `Ok(false)` if it was not there.
    async fn take_back(&self, key: &str, attr: &str, entry: &str) -> Result<bool, LedgerError> {
        let amounts = entry_amounts(entry).unwrap_or_default();
        let mut u = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(key))
            .condition_expression("#r = :entry")
            .expression_attribute_names("#r", attr)
            .expression_attribute_values(":entry", s(entry));
        let mut adds = Vec::new();
        for (i, (name, amount)) in amounts.iter().enumerate() {
            adds.push(format!("#d{i} :d{i}"));
            u = u
                .expression_attribute_names(format!("#d{i}"), name)
                .expression_attribute_values(format!(":d{i}"), num(-*amount));
        }
        let expr = if adds.is_empty() {
            "REMOVE #r".to_string()
        } else {
            format!("REMOVE #r ADD {}", adds.join(", "))
        };
        applied(u.update_expression(expr).send().await)
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
        Ok(out
            .item
            .and_then(|i| from_item::<StoredRecord>(i).ok())
            .and_then(StoredRecord::record))
    }

    async fn claim(
        &self,
        id: &RequestId,
        scope: &Scope,
        now_ms: i64,
        settle_at_ms: i64,
        seed: CodeSeed,
    ) -> Result<Claim, LedgerError> {
        let item = to_item(StoredRecord {
            request_id: id.to_string(),
            scope: Some(scope.clone()),
            state: Status::Pending,
            answer: None,
            claimed_at: now_ms,
            settle_at: settle_at_ms,
            expires_at: now_ms / 1000 + KEEP_SECS,
            code_seed: Some(seed),
        })
        .map_err(err)?;
        // A record released between our write and our read lets us try once more.
        for _ in 0..2 {
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
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
            .expression_attribute_values(":done", Status::Done.value())
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
            .expression_attribute_values(":done", Status::Done.value())
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
            .expression_attribute_values(":u", Status::Uncertain.value())
            .expression_attribute_values(":done", Status::Done.value())
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
        seed: Option<CodeSeed>,
    ) -> Result<bool, LedgerError> {
        // A record's seed is never replaced: `if_not_exists` keeps the one it has.
        let (set_seed, seed) = match seed {
            Some(seed) => (
                ", code_seed = if_not_exists(code_seed, :seed)",
                seed.to_hex(),
            ),
            None => ("", String::new()),
        };
        let mut u = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(id.as_str()))
            .update_expression(format!(
                "SET claimed_at = :now, settle_at = :at, #s = :p{set_seed}"
            ));
        if !set_seed.is_empty() {
            u = u.expression_attribute_values(":seed", s(&seed));
        }
        let r = u
            .condition_expression("claimed_at = :old AND #s <> :done")
            .expression_attribute_names("#s", "state")
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":at", n(settle_at_ms))
            .expression_attribute_values(":old", n(claimed_at_ms))
            .expression_attribute_values(":p", Status::Pending.value())
            .expression_attribute_values(":done", Status::Done.value())
            .send()
            .await;
        applied(r)
    }
    async fn lease(
        &self,
        on: &Target,
        owner: &RequestId,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<Lease, LedgerError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(&lease_key(on)))
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
        on: &Target,
        owner: &RequestId,
        entry: Entry,
    ) -> Result<(), LedgerError> {
        let mut u = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(&lease_key(on)))
            .condition_expression("#o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":me", s(owner.as_str()));
        u = if entry == Entry::Settled {
            u.update_expression("REMOVE #o, lease_until DELETE #open :meset")
                .expression_attribute_names("#open", "open")
                .expression_attribute_values(":meset", ss(owner))
        } else {
            u.update_expression("REMOVE #o, lease_until")
        };
        applied(u.send().await).map(|_| ())
    }

    async fn forget_open(&self, on: &Target, id: &RequestId) -> Result<(), LedgerError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("request_id", s(&lease_key(on)))
            .update_expression("DELETE #open :idset")
            .expression_attribute_names("#open", "open")
            .expression_attribute_values(":idset", ss(id))
            .send()
            .await;
        applied(r).map(|_| ())
    }

    /// One conditional update: the request's entry is new and every total stays within its
    /// limit, or nothing changes. When the condition fails, the item read says why: counted
    /// already (a repeat), over a limit, damaged, or changed meanwhile (tried again).
    async fn count(
        &self,
        counter: &str,
        id: &RequestId,
        adds: &[Add],
        now_ms: i64,
        keep_secs: i64,
    ) -> Result<Counted, LedgerError> {
        let (key, attr, entry) = (counter_key(counter), entry_attr(id), entry_text(adds));
        for _ in 0..4 {
            // A total missing from the item reads as 0 to the condition too, so an amount
            // over its limit on its own never gets to the write.
            if adds.iter().all(|a| a.amount <= a.limit) {
                let mut u = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key("request_id", s(&key))
                    .expression_attribute_names("#r", &attr)
                    .expression_attribute_values(":entry", s(&entry))
                    .expression_attribute_values(":exp", n(now_ms / 1000 + keep_secs));
                let (mut sums, mut conditions) =
                    (Vec::new(), vec!["attribute_not_exists(#r)".to_string()]);
                for (i, a) in adds.iter().enumerate() {
                    sums.push(format!("#d{i} :a{i}"));
                    conditions.push(format!(
                        "(attribute_not_exists(#d{i}) OR #d{i} <= :room{i})"
                    ));
                    u = u
                        .expression_attribute_names(format!("#d{i}"), a.name)
                        .expression_attribute_values(format!(":a{i}"), num(a.amount))
                        .expression_attribute_values(format!(":room{i}"), num(a.limit - a.amount));
                }
                let set = "SET #r = :entry, expires_at = :exp".to_string();
                let expr = if sums.is_empty() {
                    set
                } else {
                    format!("{set} ADD {}", sums.join(", "))
                };
                let r = u
                    .update_expression(expr)
                    .condition_expression(conditions.join(" AND "))
                    .send()
                    .await;
                match applied(r) {
                    Ok(true) => return Ok(Counted::Counted),
                    Ok(false) => {}
                    // DynamoDB may refuse the update outright rather than fail its condition
                    // when a total is not a number: a damaged item, not an outage.
                    Err(e) => {
                        let item = self.counter_item(&key).await?.unwrap_or_default();
                        return match CounterRead::of(&item, adds, &attr) {
                            None => Ok(Counted::Damaged),
                            Some(_) => Err(e),
                        };
                    }
                }
            }
            let item = self.counter_item(&key).await?.unwrap_or_default();
            let Some(read) = CounterRead::of(&item, adds, &attr) else {
                return Ok(Counted::Damaged);
            };
            match read.mine {
                Some(mine) if mine == entry => return Ok(Counted::Counted),
                // The same request counted other amounts (its form changed): give those back
                // and count again.
                Some(mine) => {
                    self.take_back(&key, &attr, &mine).await?;
                    continue;
                }
                None => {}
            }
            let used = |name: &str| read.totals.get(name).copied().unwrap_or_default();
            if let Some(refused) = over(adds, used) {
                return Ok(refused);
            }
        }
        Err(LedgerError(format!(
            "counter {counter} changed on every try"
        )))
    }

    async fn uncount(&self, counter: &str, id: &RequestId) -> Result<(), LedgerError> {
        let (key, attr) = (counter_key(counter), entry_attr(id));
        let item = self.counter_item(&key).await?.unwrap_or_default();
        match item.get(&attr) {
            None => Ok(()),
            Some(AttributeValue::S(entry)) if entry_amounts(entry).is_some() => {
                self.take_back(&key, &attr, entry).await.map(|_| ())
            }
            Some(_) => Err(LedgerError(format!(
                "counter {counter}: an entry does not read"
            ))),
        }
    }

    async fn open_requests(&self, on: &Target) -> Result<Vec<RequestId>, LedgerError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("request_id", s(&lease_key(on)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| err(e.into_service_error()))?;
        Ok(open_list(out.item()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrderId;

    fn item(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn records_read_and_write_the_stored_format_of_earlier_versions() {
        let scope = Scope::Action(
            crate::actions::kind::ActionKind::Refund,
            crate::actions::engine::Target::Order(OrderId(101)),
        );
        let pending = |code_seed: Option<CodeSeed>| {
            to_item(StoredRecord {
                request_id: "request-0001".into(),
                scope: Some(scope.clone()),
                state: Status::Pending,
                answer: None,
                claimed_at: 5,
                settle_at: 7,
                expires_at: 9,
                code_seed,
            })
            .unwrap_or_default()
        };
        let written: HashMap<String, AttributeValue> = pending(None);
        assert_eq!(
            written,
            item(&[
                ("request_id", s("request-0001")),
                ("scope", s("refund:order:101")),
                ("state", s("pending")),
                ("claimed_at", n(5)),
                ("settle_at", n(7)),
                ("expires_at", n(9)),
            ])
        );
        // The seed goes out as 32 hex digits and comes back; one that does not read is none.
        let seed = CodeSeed::random();
        let mut seeded: HashMap<String, AttributeValue> = pending(Some(seed));
        assert_eq!(seeded.get("code_seed"), Some(&s(&seed.to_hex())));
        let back = |i: HashMap<String, AttributeValue>| {
            from_item::<StoredRecord>(i)
                .ok()
                .and_then(StoredRecord::record)
                .and_then(|r| r.seed)
        };
        assert_eq!(back(seeded.clone()), Some(seed));
        seeded.insert("code_seed".into(), s("not hex"));
        assert_eq!(back(seeded), None);
        let read = |state: &str, answer: Option<&str>, scope: &str| {
            let mut i = item(&[
                ("request_id", s("request-0001")),
                ("scope", s(scope)),
                ("state", s(state)),
                ("claimed_at", n(5)),
                ("settle_at", n(7)),
            ]);
            if let Some(a) = answer {
                i.insert("answer".into(), s(a));
            }
            from_item::<StoredRecord>(i)
                .ok()
                .and_then(StoredRecord::record)
        };
        let done = Outcome::done("Refunded $1.00", "To the card.");
        let answer = serde_json::to_string(&done).unwrap_or_default();
        let rec = read("done", Some(&answer), "refund:order:101");
        assert_eq!(
            rec,
            Some(Record {
                scope: Some(scope),
                state: State::Done(done),
                claimed_at_ms: 5,
                settle_at_ms: 7,
                seed: None,
            })
        );
        let state = |st: &str, a: Option<&str>| read(st, a, "refund:order:101").map(|r| r.state);
        assert_eq!(state("uncertain", None), Some(State::Uncertain));
        assert_eq!(state("pending", None), Some(State::Pending));
        assert_eq!(
            state("who-knows", None),
            Some(State::Pending),
            "settled, never replayed"
        );
        assert_eq!(state("done", Some("{not json")), Some(State::Uncertain));
        assert_eq!(state("done", None), None);
        assert_eq!(
            read("pending", None, "teleport:order:1").map(|r| r.scope),
            Some(None),
            "an unreadable scope is nobody's"
        );
        let lease = item(&[(
            "open",
            AttributeValue::Ss(vec!["request-000b".into(), "request-000a".into()]),
        )]);
        assert_eq!(
            open_list(Some(&lease)),
            vec![
                RequestId::parse("request-000a").unwrap_or_else(RequestId::new_random),
                RequestId::parse("request-000b").unwrap_or_else(RequestId::new_random),
            ]
        );
    }
}
