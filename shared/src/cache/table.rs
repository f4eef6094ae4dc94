//! Where the shared cache lives: a DynamoDB table (key `k`, TTL attribute `expires_at`) every
//! container of every function reads and writes, or a map in memory for tests and tools. Every
//! operation is bounded in time: a slow or failing table is a cache miss, never a failed lookup.

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most a lookup waits for the cache before going to BigCommerce instead.
pub const READ_BUDGET: Duration = Duration::from_millis(250);
/// The most a lookup waits, at its end, for what it learnt to be written.
pub const WRITE_BUDGET: Duration = Duration::from_millis(300);
/// DynamoDB's limit on an item is 400 KB; a larger part is not kept.
pub const MAX_VALUE_BYTES: usize = 350_000;

/// One kept part: BigCommerce's answer as it came (JSON text), and when the call that fetched
/// it started (ms since the epoch): a part fetched before a change is never taken for newer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub value: String,
    pub at_ms: i64,
}

/// One write: the part, and until when DynamoDB keeps it (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Put {
    pub key: String,
    pub entry: Entry,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cache table: {0}")]
pub struct CacheError(pub String);

#[derive(Debug, Clone)]
pub enum Table {
    Dynamo {
        client: aws_sdk_dynamodb::Client,
        table: String,
    },
    /// For tests and tools: a map, optionally failing or slow on command.
    Memory(Arc<MemoryTable>),
}

#[derive(Debug, Default)]
pub struct MemoryTable {
    items: Mutex<HashMap<String, (Entry, i64)>>,
    counters: Mutex<HashMap<String, i64>>,
    /// Set by a test: every operation fails.
    pub down: std::sync::atomic::AtomicBool,
    /// Set by a test: keys containing any of these are throttled, as DynamoDB leaves keys of a
    /// batch unprocessed: a plain read misses them, an exact read and a write fail.
    pub throttled: Mutex<Vec<String>>,
    /// How many times a throttled key was asked for or written: a test's premise.
    pub throttled_hits: std::sync::atomic::AtomicUsize,
}

impl MemoryTable {
    pub fn raw(&self, key: &str) -> Option<Entry> {
        lock(&self.items).get(key).map(|(e, _)| e.clone())
    }

    /// Writes a key as a broken writer might have (a test's corrupt item).
    pub fn put_raw(&self, key: &str, entry: Entry) {
        lock(&self.items).insert(key.to_string(), (entry, i64::MAX));
    }

    pub fn keys(&self) -> Vec<String> {
        let mut k: Vec<String> = lock(&self.items).keys().cloned().collect();
        k.extend(lock(&self.counters).keys().cloned());
        k
    }

    fn check(&self) -> Result<(), CacheError> {
        if self.down.load(std::sync::atomic::Ordering::Relaxed) {
            Err(CacheError("down (test)".into()))
        } else {
            Ok(())
        }
    }

    fn is_throttled(&self, key: &str) -> bool {
        let hit = lock(&self.throttled)
            .iter()
            .any(|t| key.contains(t.as_str()));
        if hit {
            self.throttled_hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        hit
    }
}

/// How a read treats keys the table left unread (DynamoDB's `UnprocessedKeys`, under
/// throttling) and whether it must see every write that came before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// A cache read: an unread key is a miss, a write a moment old may not be seen yet.
    Plain,
    /// A read whose absence would be taken for "none" (the entries a write adds to): strongly
    /// consistent, and an error unless every key was read.
    Exact,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn err(e: impl std::fmt::Display) -> CacheError {
    CacheError(e.to_string())
}

fn entry_of(item: &HashMap<String, AttributeValue>) -> Option<(String, Entry)> {
    let key = item.get("k")?.as_s().ok()?.clone();
    let value = item.get("v")?.as_s().ok()?.clone();
    let at_ms = item.get("at")?.as_n().ok()?.parse::<i64>().ok()?;
    Some((key, Entry { value, at_ms }))
}

impl Table {
    pub fn dynamo(table: &str, endpoint: Option<&str>) -> Self {
        Table::Dynamo {
            client: crate::config::dynamodb_client(endpoint),
            table: table.to_string(),
        }
    }

    pub fn memory() -> (Self, Arc<MemoryTable>) {
        let m = Arc::new(MemoryTable::default());
        (Table::Memory(m.clone()), m)
    }

    /// The entries of `keys` that exist and read as entries (one BatchGetItem: one round trip).
    /// Counters are read with them, as entries whose value is the count. A key the table left
    /// unread is missing from the answer, as a miss.
    pub async fn get_many(&self, keys: &[String]) -> Result<HashMap<String, Entry>, CacheError> {
        self.get(keys, Read::Plain).await
    }

    /// As `get_many`, for entries about to be added to and written back: every write before it
    /// is seen (a strongly consistent read), and a key left unread is an error, never taken
    /// for an absent entry (whose content the write would then drop).
    pub async fn get_exact(&self, keys: &[String]) -> Result<HashMap<String, Entry>, CacheError> {
        self.get(keys, Read::Exact).await
    }

    async fn get(&self, keys: &[String], how: Read) -> Result<HashMap<String, Entry>, CacheError> {
        let mut keys: Vec<&String> = keys.iter().collect();
        keys.sort();
        keys.dedup();
        keys.truncate(100);
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        match self {
            Table::Memory(m) => {
                m.check()?;
                if how == Read::Exact && keys.iter().any(|k| m.is_throttled(k)) {
                    return Err(CacheError("keys left unread (test)".into()));
                }
                let items = lock(&m.items);
                let counters = lock(&m.counters);
                Ok(keys
                    .into_iter()
                    .filter(|k| !m.is_throttled(k))
                    .filter_map(|k| {
                        items
                            .get(k)
                            .map(|(e, _)| (k.clone(), e.clone()))
                            .or_else(|| {
                                counters.get(k).map(|c| {
                                    (
                                        k.clone(),
                                        Entry {
                                            value: c.to_string(),
                                            at_ms: 0,
                                        },
                                    )
                                })
                            })
                    })
                    .collect())
            }
            Table::Dynamo { client, table } => {
                let mut ka = KeysAndAttributes::builder();
                for k in &keys {
                    ka = ka.keys(HashMap::from([("k".to_string(), s(k))]));
                }
                let ka = ka
                    .consistent_read(how == Read::Exact)
                    .build()
                    .map_err(err)?;
                let out = client
                    .batch_get_item()
                    .request_items(table, ka)
                    .send()
                    .await
                    .map_err(|e| err(aws_sdk_dynamodb::error::DisplayErrorContext(&e)))?;
                let unread = out
                    .unprocessed_keys()
                    .and_then(|u| u.get(table.as_str()))
                    .map_or(0, |ka| ka.keys().len());
                if how == Read::Exact && unread > 0 {
                    return Err(CacheError(format!("{unread} keys left unread (throttled)")));
                }
                let mut found = HashMap::new();
                for item in out
                    .responses()
                    .and_then(|r| r.get(table.as_str()))
                    .into_iter()
                    .flatten()
                {
                    if let Some((k, e)) = entry_of(item) {
                        found.insert(k, e);
                    } else if let (Some(k), Some(c)) = (
                        item.get("k").and_then(|v| v.as_s().ok()),
                        item.get("count").and_then(|v| v.as_n().ok()),
                    ) {
                        found.insert(
                            k.clone(),
                            Entry {
                                value: c.clone(),
                                at_ms: 0,
                            },
                        );
                    }
                }
                Ok(found)
            }
        }
    }

    /// Writes the parts (BatchWriteItem, 25 at a time, side by side). Parts the table left
    /// unwritten (throttled) make it an error: the caller must not take them for written.
    pub async fn put_many(&self, puts: Vec<Put>) -> Result<(), CacheError> {
        let puts: Vec<Put> = puts
            .into_iter()
            .filter(|p| p.entry.value.len() <= MAX_VALUE_BYTES)
            .collect();
        if puts.is_empty() {
            return Ok(());
        }
        match self {
            Table::Memory(m) => {
                m.check()?;
                let mut items = lock(&m.items);
                let mut unwritten = 0;
                for p in puts {
                    if m.is_throttled(&p.key) {
                        unwritten += 1;
                    } else {
                        items.insert(p.key, (p.entry, p.expires_at));
                    }
                }
                match unwritten {
                    0 => Ok(()),
                    n => Err(CacheError(format!("{n} parts left unwritten (test)"))),
                }
            }
            Table::Dynamo { client, table } => {
                let batches = puts.chunks(25).map(|chunk| {
                    let writes: Vec<WriteRequest> = chunk
                        .iter()
                        .filter_map(|p| {
                            let put = PutRequest::builder()
                                .item("k", s(&p.key))
                                .item("v", s(&p.entry.value))
                                .item("at", n(p.entry.at_ms))
                                .item("expires_at", n(p.expires_at))
                                .build()
                                .ok()?;
                            Some(WriteRequest::builder().put_request(put).build())
                        })
                        .collect();
                    client
                        .batch_write_item()
                        .request_items(table, writes)
                        .send()
                });
                let mut unwritten = 0;
                for r in futures::future::join_all(batches).await {
                    let out =
                        r.map_err(|e| err(aws_sdk_dynamodb::error::DisplayErrorContext(&e)))?;
                    unwritten += out
                        .unprocessed_items()
                        .and_then(|u| u.get(table.as_str()))
                        .map_or(0, Vec::len);
                }
                match unwritten {
                    0 => Ok(()),
                    n => Err(CacheError(format!("{n} parts left unwritten (throttled)"))),
                }
            }
        }
    }

    /// Adds `by` to the counter at `key` (created at 0), kept until `expires_at`.
    pub async fn add(&self, key: &str, by: u32, expires_at: i64) -> Result<(), CacheError> {
        match self {
            Table::Memory(m) => {
                m.check()?;
                *lock(&m.counters).entry(key.to_string()).or_default() += i64::from(by);
                Ok(())
            }
            Table::Dynamo { client, table } => client
                .update_item()
                .table_name(table)
                .key("k", s(key))
                .update_expression("ADD #c :by SET expires_at = :e")
                .expression_attribute_names("#c", "count")
                .expression_attribute_values(":by", n(i64::from(by)))
                .expression_attribute_values(":e", n(expires_at))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| err(aws_sdk_dynamodb::error::DisplayErrorContext(&e))),
        }
    }
}
