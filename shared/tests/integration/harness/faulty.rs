//! A ledger that fails on command: the idempotency table going away at the worst moment (after
//! BigCommerce acted, before the answer is kept). Each injected failure is counted, so a test
//! can assert that its fault actually fired.

use super::engine::{
    Add, Claim, Counted, DynamoLedger, Entry, Lease, Ledger, LedgerError, Outcome, Record, Scope,
};
use shared::actions::codes::CodeSeed;
use shared::actions::engine::Target;
use shared::ids::RequestId;
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug, Default)]
pub struct Faults {
    /// Fail the next N writes of each kind.
    pub complete: AtomicU32,
    pub release: AtomicU32,
    pub mark_uncertain: AtomicU32,
    pub unlease: AtomicU32,
    /// The counters of cumulative limits (DynamoDB down when a limit is counted).
    pub count: AtomicU32,
    /// How many injected failures fired.
    pub fired: AtomicU32,
}

impl Faults {
    fn take(&self, which: &AtomicU32) -> Result<(), LedgerError> {
        let took = which
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if took {
            self.fired.fetch_add(1, Ordering::SeqCst);
            Err(LedgerError("injected: the table is unavailable".into()))
        } else {
            Ok(())
        }
    }

    pub fn fired(&self) -> u32 {
        self.fired.load(Ordering::SeqCst)
    }

    pub fn clear(&self) {
        for f in [
            &self.complete,
            &self.release,
            &self.mark_uncertain,
            &self.unlease,
            &self.count,
        ] {
            f.store(0, Ordering::SeqCst);
        }
    }
}

#[derive(Debug, Clone)]
pub struct FaultyLedger {
    pub inner: DynamoLedger,
    pub faults: std::sync::Arc<Faults>,
}

impl FaultyLedger {
    pub fn new(inner: DynamoLedger) -> Self {
        Self {
            inner,
            faults: Default::default(),
        }
    }
}

impl Ledger for FaultyLedger {
    async fn read(&self, id: &RequestId) -> Result<Option<Record>, LedgerError> {
        self.inner.read(id).await
    }
    async fn claim(
        &self,
        id: &RequestId,
        scope: &Scope,
        now: i64,
        at: i64,
        seed: CodeSeed,
    ) -> Result<Claim, LedgerError> {
        self.inner.claim(id, scope, now, at, seed).await
    }
    async fn complete(&self, id: &RequestId, c: i64, o: &Outcome) -> Result<(), LedgerError> {
        self.faults.take(&self.faults.complete)?;
        self.inner.complete(id, c, o).await
    }
    async fn release(&self, id: &RequestId, c: i64) -> Result<(), LedgerError> {
        self.faults.take(&self.faults.release)?;
        self.inner.release(id, c).await
    }
    async fn mark_uncertain(&self, id: &RequestId, c: i64, at: i64) -> Result<(), LedgerError> {
        self.faults.take(&self.faults.mark_uncertain)?;
        self.inner.mark_uncertain(id, c, at).await
    }
    async fn take_over(
        &self,
        id: &RequestId,
        c: i64,
        now: i64,
        at: i64,
        seed: Option<CodeSeed>,
    ) -> Result<bool, LedgerError> {
        self.inner.take_over(id, c, now, at, seed).await
    }
    async fn lease(
        &self,
        o: &Target,
        id: &RequestId,
        now: i64,
        until: i64,
    ) -> Result<Lease, LedgerError> {
        self.inner.lease(o, id, now, until).await
    }
    async fn unlease(&self, o: &Target, id: &RequestId, entry: Entry) -> Result<(), LedgerError> {
        self.faults.take(&self.faults.unlease)?;
        self.inner.unlease(o, id, entry).await
    }
    async fn forget_open(&self, o: &Target, id: &RequestId) -> Result<(), LedgerError> {
        self.inner.forget_open(o, id).await
    }
    async fn open_requests(&self, o: &Target) -> Result<Vec<RequestId>, LedgerError> {
        self.inner.open_requests(o).await
    }
    async fn count(
        &self,
        counter: &str,
        id: &RequestId,
        adds: &[Add],
        now: i64,
        keep: i64,
    ) -> Result<Counted, LedgerError> {
        self.faults.take(&self.faults.count)?;
        self.inner.count(counter, id, adds, now, keep).await
    }
    async fn uncount(&self, counter: &str, id: &RequestId) -> Result<(), LedgerError> {
        self.inner.uncount(counter, id).await
    }
}
