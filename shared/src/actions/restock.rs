//! Returning items to stock after a refund or cancel (BigCommerce never does it by itself),
//! exactly once: an inventory adjustment has no marker BigCommerce could be searched for, so the
//! step keeps its own record in the idempotency table, claimed before the adjustment is sent.
//! A step that failed for sure is released and runs again when the same form is sent again; one
//! that may have landed is never repeated, and the agent is told to check the stock.

use super::engine::{now_ms, Outcome, Scope};
use super::fields::Fields;
use super::ledger::{Claim, Ledger, State};
use super::outcomes::marked;
use crate::bigcommerce::models::{Order, Refund};
use crate::bigcommerce::requests::{StockAdjustment, StockItem};
use crate::bigcommerce::{BcError, StoreActions};
use crate::ids::RequestId;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restocked {
    /// Units returned now.
    Done(u64),
    AlreadyDone,
    /// Sent, but BigCommerce did not confirm it: not repeated.
    NotConfirmed,
    /// Not done, for sure: the same form may be sent again.
    Failed(String),
    /// The refund named no items (an amount only).
    NothingToReturn,
}

/// Whether the form asked for it (`restock`, read as every form flag is).
pub fn wanted(body: &[u8]) -> bool {
    Fields::parse(body)
        .ok()
        .and_then(|f| f.flag("restock", false).ok())
        .unwrap_or(false)
}

/// The step's own record id: derived from the request, never one a form could mint.
fn step_id(id: &RequestId) -> Option<RequestId> {
    let digest = Sha256::digest(format!("restock:{id}").as_bytes());
    RequestId::parse(&format!("restock-{}", &hex::encode(digest)[..32]))
}

/// The products a refund named: `(order-product id, quantity)`.
pub fn lines_of_refund(refund: &Refund) -> Vec<(u64, u64)> {
    refund
        .items
        .iter()
        .filter(|i| i.item_type.eq_ignore_ascii_case("PRODUCT") && i.quantity > 0)
        .map(|i| (i.item_id, i.quantity))
        .collect()
}

/// Every line of the order, for a cancel.
pub fn lines_of_order(o: &Order) -> Vec<(u64, u64)> {
    o.consignments
        .line_items
        .iter()
        .map(|l| (l.id, l.quantity))
        .collect()
}

pub async fn restock<S: StoreActions, L: Ledger>(
    store: &S,
    ledger: &L,
    o: &Order,
    lines: &[(u64, u64)],
    id: &RequestId,
) -> Restocked {
    let items: Vec<StockItem> = lines
        .iter()
        .filter_map(|(line, qty)| {
            let l = o.consignments.line_items.iter().find(|l| l.id == *line)?;
            let quantity = i64::try_from(*qty).ok().filter(|q| *q > 0)?;
            (l.variant_id > 0).then_some(StockItem {
                location_id: 0,
                variant_id: l.variant_id,
                quantity,
            })
        })
        .collect();
    if items.is_empty() {
        return Restocked::NothingToReturn;
    }
    let Some(step) = step_id(id) else {
        return Restocked::Failed("the step's record id could not be made".into());
    };
    let scope = Scope::Restock(o.id);
    let claimed_at = now_ms();
    // Never taken over: a step that may have landed is not repeated.
    match ledger
        .claim(
            &step,
            &scope,
            claimed_at,
            i64::MAX,
            crate::actions::codes::CodeSeed::random(),
        )
        .await
    {
        Err(e) => return Restocked::Failed(format!("its record could not be written ({e})")),
        Ok(Claim::Lost(r)) if matches!(r.state, State::Done(_)) => return Restocked::AlreadyDone,
        Ok(Claim::Lost(_)) => return Restocked::NotConfirmed,
        Ok(Claim::Won) => {}
    }
    let step = &step;
    let failed = |why: String| async move {
        if let Err(e) = ledger.release(step, claimed_at).await {
            tracing::error!(error = %e, "idempotency table: restock step not released");
        }
        Restocked::Failed(why)
    };
    let location = match store.default_location().await {
        Ok(Some(l)) => l,
        Ok(None) => return failed("the store has no default inventory location".into()).await,
        Err(e) => return failed(e.to_string()).await,
    };
    let units: u64 = items.iter().map(|i| i.quantity.unsigned_abs()).sum();
    let adjustment = StockAdjustment {
        reason: marked(
            id,
            &format!("Returned to stock via Gladly, order #{}", o.id),
            255,
        ),
        items: items
            .into_iter()
            .map(|i| StockItem {
                location_id: location,
                ..i
            })
            .collect(),
    };
    match store.adjust_stock(&adjustment).await {
        Ok(()) => {
            let done = Outcome::done(format!("{units} returned to stock"), "");
            if let Err(e) = ledger.complete(step, claimed_at, &done).await {
                tracing::error!(error = %e, "idempotency table: restock done but not recorded; it is not repeated");
            }
            Restocked::Done(units)
        }
        Err(
            e @ (BcError::Rejected { .. }
            | BcError::NotSent
            | BcError::RateLimited
            | BcError::OverShare
            | BcError::Unauthorized
            | BcError::Forbidden { .. }),
        ) => failed(e.to_string()).await,
        Err(e) => {
            if let Err(le) = ledger.mark_uncertain(step, claimed_at, i64::MAX).await {
                tracing::error!(error = %le, "idempotency table: unconfirmed restock not recorded");
            }
            tracing::warn!(error = %e, order = o.id.0, "restock not confirmed");
            Restocked::NotConfirmed
        }
    }
}

/// The action's answer with what happened to the stock: a failed return to stock after the
/// money moved keeps the form open (partial), so sending it again finishes only that.
pub fn with_restock(outcome: Outcome, restocked: Option<Restocked>) -> Outcome {
    let (Outcome::Done { message, detail }, Some(r)) = (&outcome, restocked) else {
        return outcome;
    };
    match r {
        Restocked::Done(n) => Outcome::done(
            message.clone(),
            format!("{detail} {n} item(s) returned to stock."),
        ),
        Restocked::AlreadyDone => Outcome::done(
            message.clone(),
            format!("{detail} The items were returned to stock."),
        ),
        Restocked::NothingToReturn => Outcome::done(
            message.clone(),
            format!("{detail} No items were named, so nothing was returned to stock."),
        ),
        Restocked::NotConfirmed => Outcome::done(
            message.clone(),
            format!("{detail} The return to stock was not confirmed by BigCommerce: check the stock levels before adjusting them by hand."),
        ),
        Restocked::Failed(why) => Outcome::Partial {
            message: format!("{message}, but the items were not returned to stock ({why})."),
            detail: "Send this same form again to return them to stock; the money is not moved again.".into(),
        },
    }
}
