//! Cancelling at BigCommerce: refund or void first (each step checks whether it already
//! happened), then the status, whose staff note carries the request's marker.

use super::input::CancelInput;
use super::policy::{self, CancelPlan};
use crate::actions::action::Job;
use crate::actions::engine::{Looked, Outcome};
use crate::actions::ledger::Ledger;
use crate::actions::order::{self, status};
use crate::actions::outcomes::{
    append_audit, currency_of, describe_payments, marker, not_confirmed, unavailable, write_failed,
};
use crate::actions::refund::input::{Destination, RefundInput};
use crate::actions::refund::policy::{within_refund_ceiling, Refundable};
use crate::actions::refund::run::{limited_refund, ours};
use crate::actions::restock;
use crate::bigcommerce::requests::OrderPut;
use crate::bigcommerce::{BcError, StoreActions};
use crate::ids::{OrderId, RequestId};
use crate::money::Money;
use rust_decimal::Decimal;

/// `POST /orders/{id}/cancel/{requestId}`: refund or void first (each step checks whether it
/// already happened), then the status. A cancel interrupted after the money moved finishes on
/// the next submit.
pub async fn cancel<S: StoreActions, L: Ledger>(
    job: Job<'_, S, L>,
    order: OrderId,
    req: &CancelInput,
) -> Outcome {
    let (store, ledger, request_id, rails) = (job.store, job.ledger, job.request, job.rails);
    let settle = job.attempt.settles();
    let reason_text = &req.reason.text;
    crate::telemetry::reason(reason_text);
    let o = match store.order(order).await {
        Ok(Some(o)) => o,
        Ok(None) => return Outcome::refused(format!("Order #{order} does not exist."), "Nothing was changed. Look the shopper up again: the order may have been deleted or merged."),
        Err(e) if settle => return not_confirmed(&e, "whether the earlier attempt cancelled"),
        Err(e) => return unavailable(&e),
    };
    let currency = currency_of(&o);
    let refunds = if settle || order::payment(&o) == order::Payment::Captured {
        match store.refunds(order).await {
            Ok(r) => r,
            Err(e) if settle => return not_confirmed(&e, "whether the earlier attempt refunded"),
            Err(e) => return unavailable(&e),
        }
    } else {
        Vec::new()
    };
    let earlier = ours(&refunds, request_id).cloned();
    if o.status_id == status::CANCELLED {
        // Ours if it carries our marker, or if our refund went through before someone else
        // cancelled it: either way this request's money moved, so it is not "nothing changed".
        return if o.staff_notes.contains(&marker(request_id)) || earlier.is_some() {
            let detail = earlier.map(|r| {
                format!(
                    "Refunded {} to {}.",
                    Money::new(r.total_amount, currency.clone()),
                    describe_payments(&r.payments)
                )
            });
            let done = Outcome::done(
                format!("Order #{order} cancelled"),
                detail.unwrap_or_else(|| format!("Reason: {reason_text}.")),
            );
            finish_with_restock(store, ledger, &o, req.restock, request_id, done).await
        } else {
            Outcome::refused(
                format!("Order #{order} is already cancelled."),
                "Nothing was changed.",
            )
        };
    }
    // Once our own refund went through, the order reads as (partially) refunded: finish the cancel.
    let plan = match (&earlier, policy::cancel_plan(&o)) {
        (Some(_), _) => CancelPlan::StatusOnly,
        (None, Ok(p)) => p,
        (None, Err(why)) => return Outcome::refused(why, "Nothing was changed."),
    };
    let mut money_note = earlier.as_ref().map(|r| {
        format!(
            "Refunded {} to {}.",
            Money::new(r.total_amount, currency.clone()),
            describe_payments(&r.payments)
        )
    });
    let mut moved = earlier.is_some();
    match plan {
        CancelPlan::RefundThenCancel => {
            let r = Refundable::of(&o, &refunds);
            if let Err(why) = within_refund_ceiling(r.total_left, &o, rails) {
                return Outcome::refused(why, "The order was not cancelled.");
            }
            if r.total_left > Decimal::ZERO {
                let full = RefundInput {
                    items: Vec::new(),
                    shipping: Decimal::ZERO,
                    amount: r.total_left,
                    reason: req.reason.clone(),
                    destination: Destination::Original,
                    note: String::new(),
                    total: r.total_left,
                };
                match limited_refund(
                    &job,
                    &o,
                    &r,
                    &full,
                    &format!("Order cancelled: {reason_text}"),
                )
                .await
                {
                    Outcome::Done { detail, .. } => {
                        money_note = Some(format!("Refunded {detail}"));
                        moved = true;
                    }
                    other => return other,
                }
            }
        }
        CancelPlan::VoidThenCancel => match store.void_payment(order).await {
            Ok(()) => {
                money_note = Some("The card authorisation was released.".into());
                moved = true;
            }
            Err(e) => {
                return write_failed(&e, "the release of the payment", |message| {
                    Outcome::refused(
                        format!("BigCommerce could not release the payment: {message}. The order was not cancelled."),
                        "Nothing was changed.",
                    )
                })
            }
        },
        CancelPlan::StatusOnly => {}
    }
    let line = format!(
        "Cancelled via Gladly: {reason_text}.{}{}{}",
        money_note
            .as_deref()
            .map(|m| format!(" {m}"))
            .unwrap_or_default(),
        if req.note.is_empty() {
            String::new()
        } else {
            format!(" Note: {}.", req.note)
        },
        if req.notify {
            " Customer to be notified."
        } else {
            " Customer not to be notified."
        }
    );
    let put = OrderPut {
        status_id: Some(status::CANCELLED),
        staff_notes: Some(append_audit(&o.staff_notes, request_id, &line)),
    };
    match store.update_order(order, &put).await
    {
        Ok(()) => {
            let done = Outcome::done(
                format!("Order #{order} cancelled"),
                money_note.unwrap_or_else(|| format!("Reason: {reason_text}. Nothing was charged.")),
            );
            finish_with_restock(store, ledger, &o, req.restock, request_id, done).await
        }
        // The money moved and BigCommerce will not cancel: that is final, and said as it is.
        Err(BcError::Rejected { message, .. }) if moved => Outcome::done(
            format!("Order #{order}: money returned, but not cancelled"),
            format!("{} BigCommerce refused to cancel the order: {message}. Change its status in the control panel.", money_note.unwrap_or_default()),
        ),
        // The money moved and the status PUT was surely not applied (throttled, not sent, token
        // or scope refused): never "nothing was changed". The same form finishes the cancel.
        Err(
            e @ (BcError::RateLimited
            | BcError::OverShare
            | BcError::NotSent
            | BcError::Unauthorized
            | BcError::Forbidden { .. }),
        ) if moved => Outcome::Partial {
            message: format!(
                "{} but order #{order} is not cancelled yet ({e}).",
                money_note.unwrap_or_default()
            ),
            detail: "Send this same form again to finish the cancel; the money is not moved again."
                .into(),
        },
        // A status PUT that timed out may have landed: uncertain, whatever moved before it.
        Err(e) => write_failed(&e, "the cancellation", |message| {
            Outcome::refused(
                format!("BigCommerce refused to cancel order #{order}: {message}"),
                "Nothing was changed.",
            )
        }),
    }
}

/// A done cancel, with the order's items returned to stock first when the agent asked.
async fn finish_with_restock<S: StoreActions, L: Ledger>(
    store: &S,
    ledger: &L,
    o: &crate::bigcommerce::models::Order,
    asked: bool,
    request_id: &RequestId,
    done: Outcome,
) -> Outcome {
    let restocked = if asked {
        let lines = restock::lines_of_order(o);
        Some(restock::restock(store, ledger, o, &lines, request_id).await)
    } else {
        None
    };
    restock::with_restock(done, restocked)
}

/// What cancel request `id` did, changing nothing (the engine's settle step).
pub async fn look<S: StoreActions>(store: &S, order: OrderId, id: &RequestId) -> Looked {
    let (o, refunds) = tokio::join!(store.order(order), store.refunds(order));
    let (o, refunds) = match (o, refunds) {
        (Ok(Some(o)), Ok(r)) => (o, r),
        (Ok(None), _) => return Looked::NotFound,
        (Err(e), _) | (_, Err(e)) => return Looked::Unknown(e.to_string()),
    };
    let currency = currency_of(&o);
    let refunded = ours(&refunds, id).map(|r| {
        format!(
            "Refunded {} to {}.",
            Money::new(r.total_amount, currency.clone()),
            describe_payments(&r.payments)
        )
    });
    let cancelled = o.status_id == status::CANCELLED && o.staff_notes.contains(&marker(id));
    match (cancelled, refunded) {
        (true, note) => Looked::Found(Outcome::done(
            format!("Order #{order} cancelled"),
            note.unwrap_or_else(|| "Cancelled by an earlier submit of the form.".into()),
        )),
        (false, Some(note)) => Looked::Found(Outcome::done(
            format!("Order #{order}: money returned, but not cancelled"),
            format!("{note} The cancellation itself did not go through; open Cancel again to finish it."),
        )),
        (false, None) => Looked::NotFound,
    }
}
