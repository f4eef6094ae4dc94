//! Refunding at BigCommerce: quote, check, pick the method, refund, with the request's marker
//! leading the reason, so a later attempt can tell whether this one already refunded.

use super::input::{self, Destination, RefundInput};
use super::policy::{self, Refundable};
use crate::actions::action::Job;
use crate::actions::engine::{Looked, Outcome};
use crate::actions::ledger::Ledger;
use crate::actions::limits;
use crate::actions::outcomes::{
    append_audit, currency_of, describe_payments, marked, marker, not_confirmed, unavailable,
    write_failed,
};
use crate::actions::restock;
use crate::bigcommerce::models::{Refund, RefundPayment};
use crate::bigcommerce::requests::OrderPut;
use crate::bigcommerce::requests::{RefundItem, RefundPaymentPost, RefundPost};
use crate::bigcommerce::{BcError, StoreActions};
use crate::ids::{OrderId, RequestId};
use crate::money::{Currency, Money};
use rust_decimal::Decimal;

pub(crate) fn refund_answer(
    order: OrderId,
    refund: &Refund,
    currency: &Currency,
    reason: &str,
) -> Outcome {
    let amount = Money::new(refund.total_amount, currency.clone());
    Outcome::done(
        format!("Refunded {amount} on order #{order}"),
        format!(
            "{amount} to {}. Reason: {reason}.",
            describe_payments(&refund.payments)
        ),
    )
}

/// The refund this request made, if any.
pub(crate) fn ours<'a>(refunds: &'a [Refund], id: &RequestId) -> Option<&'a Refund> {
    let m = marker(id);
    refunds
        .iter()
        .find(|r| r.reason.contains(&m) || r.items.iter().any(|i| i.reason.contains(&m)))
}

/// The refund's reason as the agent wrote it, without our marker.
pub(crate) fn reason_of(refund: &Refund, id: &RequestId) -> String {
    let r = if refund.reason.is_empty() {
        refund
            .items
            .first()
            .map(|i| i.reason.as_str())
            .unwrap_or("")
    } else {
        refund.reason.as_str()
    };
    r.replace(&marker(id), "").trim().to_string()
}

/// Quote, check, pick the method, refund. Nothing before the final POST moves money.
pub(crate) async fn do_refund<S: StoreActions>(
    store: &S,
    order: OrderId,
    r: &Refundable,
    req: &RefundInput,
    reason_text: &str,
    request_id: &RequestId,
) -> Outcome {
    let reason = marked(request_id, reason_text, 1000);
    let digits = r.currency.minor_digits();
    let mut items: Vec<RefundItem> = req
        .items
        .iter()
        .map(|(id, q)| RefundItem::Product {
            item_id: *id,
            quantity: *q,
            reason: reason.clone(),
        })
        .collect();
    if req.shipping > Decimal::ZERO {
        if let Some(sid) = r.shipping_item_id {
            items.push(RefundItem::Shipping {
                item_id: sid,
                amount: req.shipping.round_dp(digits),
                reason: reason.clone(),
            });
        }
    }
    if req.amount > Decimal::ZERO {
        items.push(RefundItem::Order {
            item_id: order.0,
            amount: req.amount.round_dp(digits),
            reason: reason.clone(),
        });
    }
    let quote = match store.refund_quote(order, &items).await {
        Ok(q) => q,
        Err(BcError::Rejected { message, .. }) => {
            return Outcome::refused(
                format!("BigCommerce refused the refund: {message}. Nothing was refunded."),
                "Reopen the form to see what remains refundable.",
            )
        }
        Err(e) => return unavailable(&e),
    };
    if quote.total_refund_amount != req.total {
        return Outcome::refused(
            format!(
                "BigCommerce quotes {} for this refund, not the {} asked; nothing was refunded. Reopen the form to see what remains.",
                r.money(quote.total_refund_amount),
                r.money(req.total)
            ),
            "Nothing was refunded.",
        );
    }
    let wanted = |m: &Vec<RefundPayment>| match req.destination {
        Destination::StoreCredit => m.iter().all(|p| p.provider_id == "storecredit"),
        Destination::Original => m
            .iter()
            .all(|p| p.provider_id != "storecredit" && !p.offline),
    };
    let Some(method) = quote
        .refund_methods
        .iter()
        .find(|m| !m.is_empty() && wanted(m))
    else {
        let to = if req.destination == Destination::StoreCredit {
            "store credit"
        } else {
            "the original payment"
        };
        return Outcome::refused(
            format!(
                "BigCommerce offers no way to refund this order to {to}; nothing was refunded."
            ),
            "Pick the other destination, or refund in the BigCommerce control panel.",
        );
    };
    let paid: Decimal = method.iter().map(|p| p.amount).sum();
    if paid != quote.total_refund_amount {
        return Outcome::refused(
            "BigCommerce's refund options do not add up to its quote; nothing was refunded.",
            "Refund in the BigCommerce control panel.",
        );
    }
    let payments: Vec<RefundPaymentPost> = method
        .iter()
        .map(|p| RefundPaymentPost {
            provider_id: p.provider_id.clone(),
            amount: p.amount.round_dp(digits),
            offline: p.offline,
        })
        .collect();
    let body = RefundPost {
        items: &items,
        payments,
    };
    match store.create_refund(order, &body).await {
        Ok(mut refund) => {
            if refund.payments.is_empty() {
                refund.payments = method.clone();
            }
            if refund.total_amount.is_zero() {
                refund.total_amount = paid;
            }
            refund_answer(order, &refund, &r.currency, reason_text)
        }
        Err(e) => write_failed(&e, "the refund", |message| {
            Outcome::refused(
                format!("BigCommerce refused the refund: {message}. Nothing was refunded."),
                "Reopen the form to see what remains refundable.",
            )
        }),
    }
}

/// `do_refund` under the order's cumulative limit (`max_refund`: what the adaptor refunds on
/// one order in total, refunds and cancels alike), when the store sets one: counted before the
/// refund is sent, given back if it surely failed, kept if it may have gone through
/// (`limits`).
pub(crate) async fn limited_refund<S: StoreActions, L: Ledger>(
    job: &Job<'_, S, L>,
    o: &crate::bigcommerce::models::Order,
    r: &Refundable,
    req: &RefundInput,
    reason_text: &str,
) -> Outcome {
    let go = do_refund(job.store, o.id, r, req, reason_text, job.request);
    match job.rails.max_refund {
        None => go.await,
        Some(max) => {
            let (amount, currency) = policy::in_store_currency(req.total, o);
            let tally = limits::refund_on_order(o.id, amount, max, currency);
            limits::within(job.ledger, job.request, &tally, go).await
        }
    }
}

/// `POST /orders/{id}/refund/{requestId}` once claimed. When settling, an earlier refund with
/// this request's marker is the answer. The input is checked against what remains now, and a
/// mistake releases the claim, so the agent can fix the form and send it again.
pub async fn refund<S: StoreActions, L: Ledger>(
    job: Job<'_, S, L>,
    order: OrderId,
    body: &[u8],
) -> Outcome {
    let (store, ledger, request_id, rails) = (job.store, job.ledger, job.request, job.rails);
    let settle = job.attempt.settles();
    let wants_restock = restock::wanted(body);
    let (o, refunds) = tokio::join!(store.order(order), store.refunds(order));
    let o = match o {
        Ok(Some(o)) => o,
        Ok(None) => return Outcome::refused(format!("Order #{order} does not exist."), "Nothing was changed. Look the shopper up again: the order may have been deleted or merged."),
        Err(e) if settle => return not_confirmed(&e, "whether the earlier attempt refunded"),
        Err(e) => return unavailable(&e),
    };
    let refunds = match refunds {
        Ok(r) => r,
        Err(e) if settle => return not_confirmed(&e, "whether the earlier attempt refunded"),
        Err(e) => return unavailable(&e),
    };
    let currency = currency_of(&o);
    if let Some(done) = ours(&refunds, request_id) {
        // Refunded earlier; a return to stock asked for and not done yet is finished now.
        let answer = refund_answer(order, done, &currency, &reason_of(done, request_id));
        let restocked = if wants_restock {
            let lines = restock::lines_of_refund(done);
            Some(restock::restock(store, ledger, &o, &lines, request_id).await)
        } else {
            None
        };
        return restock::with_restock(answer, restocked);
    }
    if let Err(why) = policy::refund_allowed(&o) {
        return Outcome::refused(why, "Nothing was refunded.");
    }
    let r = Refundable::of(&o, &refunds);
    let reasons = input::reasons(rails);
    let req = match input::parse(body, &r, o.customer_id.is_some(), &reasons) {
        Ok(req) => req,
        Err(errors) => return Outcome::invalid(errors),
    };
    if let Err(why) = policy::within_refund_ceiling(req.total, &o, rails) {
        return Outcome::refused(why, "Nothing was refunded.");
    }
    crate::telemetry::reason(&req.reason.text);
    let mut reason_text = req.reason.text.clone();
    if !req.note.is_empty() {
        reason_text = format!("{reason_text}: {}", req.note);
    }
    let outcome = limited_refund(&job, &o, &r, &req, &reason_text).await;
    let restocked = match &outcome {
        Outcome::Done { .. } if wants_restock => {
            Some(restock::restock(store, ledger, &o, &req.items, request_id).await)
        }
        _ => None,
    };
    if let Outcome::Done { message, .. } = &outcome {
        // The audit line; the refund itself already carries the marker, so a failure here is
        // logged and never changes the answer.
        let put = OrderPut {
            status_id: None,
            staff_notes: Some(append_audit(
                &o.staff_notes,
                request_id,
                &format!("{message} via Gladly. Reason: {reason_text}."),
            )),
        };
        if let Err(e) = store.update_order(order, &put).await {
            tracing::error!(error = %e, order = order.0, "refunded, but the audit line was not written");
        }
    }
    restock::with_restock(outcome, restocked)
}

/// What refund request `id` did, changing nothing (the engine's settle step).
pub async fn look<S: StoreActions>(store: &S, order: OrderId, id: &RequestId) -> Looked {
    let (o, refunds) = tokio::join!(store.order(order), store.refunds(order));
    match (o, refunds) {
        (Ok(o), Ok(refunds)) => {
            let currency = o.as_ref().map(currency_of).unwrap_or_else(Currency::usd);
            match ours(&refunds, id) {
                Some(r) => Looked::Found(refund_answer(order, r, &currency, &reason_of(r, id))),
                None => Looked::NotFound,
            }
        }
        (Err(e), _) | (_, Err(e)) => Looked::Unknown(e.to_string()),
    }
}
