//! The in-memory ledger: the same rules as the DynamoDB one, for unit tests of the engine.

use super::{over, Add, Claim, Counted, Entry, Lease, Ledger, LedgerError, Record, State};
use crate::actions::codes::CodeSeed;
use crate::actions::engine::{Outcome, Scope, Target};
use crate::ids::RequestId;
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

#[derive(Debug, Default)]
struct LeaseItem {
    owner: Option<(RequestId, i64)>,
    open: BTreeSet<RequestId>,
}

/// A counter: its totals, and what each request counted on it.
#[derive(Debug, Default)]
struct CounterItem {
    totals: HashMap<String, Decimal>,
    entries: HashMap<RequestId, Vec<Add>>,
}

impl CounterItem {
    fn take_back(&mut self, id: &RequestId) {
        for a in self.entries.remove(id).unwrap_or_default() {
            *self.totals.entry(a.name.to_string()).or_default() -= a.amount;
        }
    }
}

#[derive(Debug, Default)]
pub struct MemoryLedger {
    records: Mutex<HashMap<RequestId, Record>>,
    /// By the target's key (`order:101`).
    leases: Mutex<HashMap<String, LeaseItem>>,
    counters: Mutex<HashMap<String, CounterItem>>,
}

impl MemoryLedger {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<RequestId, Record>) -> T) -> T {
        f(&mut self.records.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn leases<T>(&self, f: impl FnOnce(&mut HashMap<String, LeaseItem>) -> T) -> T {
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
        seed: CodeSeed,
    ) -> Result<Claim, LedgerError> {
        Ok(self.with(|m| match m.get(id) {
            Some(r) => Claim::Lost(r.clone()),
            None => {
                m.insert(
                    id.clone(),
                    Record {
                        scope: Some(scope.clone()),
                        state: State::Pending,
                        claimed_at_ms: now_ms,
                        settle_at_ms,
                        seed: Some(seed),
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
        seed: Option<CodeSeed>,
    ) -> Result<bool, LedgerError> {
        Ok(self.with(|m| match mine(m, id, claimed_at_ms) {
            Some(r) => {
                r.seed = r.seed.or(seed);
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
        on: &Target,
        owner: &RequestId,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<Lease, LedgerError> {
        Ok(self.leases(|m| {
            let item = m.entry(on.to_string()).or_default();
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
        on: &Target,
        owner: &RequestId,
        entry: Entry,
    ) -> Result<(), LedgerError> {
        self.leases(|m| {
            if let Some(item) = m.get_mut(&on.to_string()) {
                if item.owner.as_ref().is_some_and(|(o, _)| o == owner) {
                    item.owner = None;
                    if entry == Entry::Settled {
                        item.open.remove(owner);
                    }
                }
            }
        });
        Ok(())
    }

    async fn forget_open(&self, on: &Target, id: &RequestId) -> Result<(), LedgerError> {
        self.leases(|m| {
            if let Some(item) = m.get_mut(&on.to_string()) {
                item.open.remove(id);
            }
        });
        Ok(())
    }

    async fn count(
        &self,
        counter: &str,
        id: &RequestId,
        adds: &[Add],
        _: i64,
        _: i64,
    ) -> Result<Counted, LedgerError> {
        let mut all = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let item = all.entry(counter.to_string()).or_default();
        match item.entries.get(id) {
            Some(mine) if mine.as_slice() == adds => return Ok(Counted::Counted),
            Some(_) => item.take_back(id),
            None => {}
        }
        let used = |name: &str| item.totals.get(name).copied().unwrap_or_default();
        if let Some(refused) = over(adds, used) {
            return Ok(refused);
        }
        for a in adds {
            *item.totals.entry(a.name.to_string()).or_default() += a.amount;
        }
        item.entries.insert(id.clone(), adds.to_vec());
        Ok(Counted::Counted)
    }

    async fn uncount(&self, counter: &str, id: &RequestId) -> Result<(), LedgerError> {
        let mut all = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(item) = all.get_mut(counter) {
            item.take_back(id);
        }
        Ok(())
    }

    async fn open_requests(&self, on: &Target) -> Result<Vec<RequestId>, LedgerError> {
        Ok(self.leases(|m| {
            m.get(&on.to_string())
                .map(|i| i.open.iter().cloned().collect())
                .unwrap_or_default()
        }))
    }
}
