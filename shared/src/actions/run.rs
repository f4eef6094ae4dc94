//! What each action does at BigCommerce, under the exactly-once engine (`once.rs`): look for
//! this request's marker first, then act. Every write carries the `[gladly:<requestId>]` marker
//! at its front (refund reason, staff notes, promotion name), so no truncation drops it and a
//! later attempt can always tell whether this request already acted.

use super::input::{
    self, defang, CancelInput, Destination, DiscountInput, DiscountKind, RefundInput,
    CANCEL_REASONS, REFUND_REASONS,
};
use super::once::{Looked, Outcome, Scope};
use super::policy::{self, CancelPlan, Refundable};
use crate::bigcommerce::models::{Order, Refund, RefundPayment};
use crate::bigcommerce::{BcError, StoreActions};
use crate::ids::{OrderId, RequestId, ShopperId};
use crate::money::{Currency, Money};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Money as BigCommerce's v3 bodies take it: a JSON number, rounded to the currency.
fn wire(d: Decimal, currency: &Currency) -> Value {
    use rust_decimal::prelude::ToPrimitive;
    d.round_dp(currency.minor_digits())
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The marker an action leaves at BigCommerce.
pub fn marker(id: &RequestId) -> String {
    format!("[gladly:{id}]")
}

/// `[gladly:<id>] text`, cut to `max` characters from the end, so the marker always survives.
pub fn marked(id: &RequestId, text: &str, max: usize) -> String {
    format!("{} {}", marker(id), text.trim())
        .chars()
        .take(max)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// BigCommerce answered nothing usable before anything was sent, or refused to start: nothing
/// changed, the same form may be sent again.
fn unavailable(e: &BcError) -> Outcome {
    match e {
        BcError::Unauthorized | BcError::Forbidden => Outcome::refused(
            format!("{e}; nothing was changed."),
            "The store's BigCommerce API account needs the Orders (modify) and Marketing (modify) scopes; ask the store admin.",
        ),
        BcError::NotSent => Outcome::nothing_done(
            "BigCommerce was slow to answer, so nothing was sent; nothing was changed.",
            "Submit the form again.",
        ),
        _ => Outcome::nothing_done(
            format!("BigCommerce did not answer ({e}); nothing was changed."),
            "Submit the form again in a moment.",
        ),
    }
}

/// A write that may or may not have landed.
fn not_confirmed(e: &BcError, what: &str) -> Outcome {
    Outcome::uncertain(
        format!("BigCommerce did not confirm {what} ({e}); it may still go through."),
        "Submit this same form again in a little while: it checks what happened first and never does it twice.",
    )
}

/// The outcome of a write that failed: refused, not sent, or unknown.
fn write_failed(e: &BcError, what: &str, refused: impl FnOnce(&str) -> Outcome) -> Outcome {
    match e {
        BcError::Rejected { message, .. } => refused(message),
        BcError::RateLimited | BcError::NotSent | BcError::Unauthorized | BcError::Forbidden => {
            unavailable(e)
        }
        _ => not_confirmed(e, what),
    }
}

fn label(options: &[(&str, &str)], value: &str) -> String {
    options
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| value.to_string())
}

fn describe_payments(payments: &[RefundPayment]) -> String {
    payments
        .iter()
        .map(|p| match p.provider_id.as_str() {
            "storecredit" => "store credit".to_string(),
            _ if !p.provider_description.is_empty() => {
                format!("the original payment ({})", p.provider_description)
            }
            other => format!("the original payment ({other})"),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn refund_answer(order: OrderId, refund: &Refund, currency: &Currency, reason: &str) -> Outcome {
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
fn ours<'a>(refunds: &'a [Refund], id: &RequestId) -> Option<&'a Refund> {
    let m = marker(id);
    refunds
        .iter()
        .find(|r| r.reason.contains(&m) || r.items.iter().any(|i| i.reason.contains(&m)))
}

/// The refund's reason as the agent wrote it, without our marker.
fn reason_of(refund: &Refund, id: &RequestId) -> String {
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

fn currency_of(o: &Order) -> Currency {
    Currency::new(o.currency()).unwrap_or_else(Currency::usd)
}

/// Quote, check, pick the method, refund. Nothing before the final POST moves money.
async fn do_refund<S: StoreActions>(
    store: &S,
    order: OrderId,
    r: &Refundable,
    req: &RefundInput,
    reason_text: &str,
    request_id: &RequestId,
) -> Outcome {
    let reason = marked(request_id, reason_text, 1000);
    let mut items: Vec<Value> = req
        .items
        .iter()
        .map(|(id, q)| json!({ "item_type": "PRODUCT", "item_id": id, "quantity": q, "reason": reason }))
        .collect();
    if req.shipping > Decimal::ZERO {
        if let Some(sid) = r.shipping_item_id {
            items.push(json!({ "item_type": "SHIPPING", "item_id": sid, "amount": wire(req.shipping, &r.currency), "reason": reason }));
        }
    }
    if req.amount > Decimal::ZERO {
        items.push(json!({ "item_type": "ORDER", "item_id": order.0, "amount": wire(req.amount, &r.currency), "reason": reason }));
    }
    let items = Value::Array(items);
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
    let payments: Vec<Value> = method
        .iter()
        .map(|p| json!({ "provider_id": p.provider_id, "amount": wire(p.amount, &r.currency), "offline": p.offline }))
        .collect();
    match store
        .create_refund(order, &json!({ "items": items, "payments": payments }))
        .await
    {
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

/// `POST /orders/{id}/refund/{requestId}` once claimed. When settling, an earlier refund with
/// this request's marker is the answer. The input is checked against what remains now, and a
/// mistake releases the claim, so the agent can fix the form and send it again.
pub async fn refund<S: StoreActions>(
    store: &S,
    order: OrderId,
    body: &[u8],
    request_id: &RequestId,
    settle: bool,
) -> Outcome {
    let (o, refunds) = tokio::join!(store.order(order), store.refunds(order));
    let o = match o {
        Ok(Some(o)) => o,
        Ok(None) => return Outcome::refused(format!("Order #{order} does not exist."), ""),
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
        return refund_answer(order, done, &currency, &reason_of(done, request_id));
    }
    if let Err(why) = policy::refund_allowed(&o) {
        return Outcome::refused(why, "Nothing was refunded.");
    }
    let r = Refundable::of(&o, &refunds);
    let req = match input::refund(body, &r, o.customer_id != 0) {
        Ok(req) => req,
        Err(errors) => return Outcome::invalid(errors),
    };
    let mut reason_text = label(REFUND_REASONS, &req.reason);
    if !req.note.is_empty() {
        reason_text = format!("{reason_text}: {}", req.note);
    }
    do_refund(store, order, &r, &req, &reason_text, request_id).await
}

/// `POST /orders/{id}/cancel/{requestId}`: refund or void first (each step checks whether it
/// already happened), then the status. A cancel interrupted after the money moved finishes on
/// the next submit.
pub async fn cancel<S: StoreActions>(
    store: &S,
    order: OrderId,
    req: &CancelInput,
    request_id: &RequestId,
    settle: bool,
) -> Outcome {
    let reason_text = label(CANCEL_REASONS, &req.reason);
    let o = match store.order(order).await {
        Ok(Some(o)) => o,
        Ok(None) => return Outcome::refused(format!("Order #{order} does not exist."), ""),
        Err(e) if settle => return not_confirmed(&e, "whether the earlier attempt cancelled"),
        Err(e) => return unavailable(&e),
    };
    let currency = currency_of(&o);
    let refunds = if settle || policy::payment(&o) == policy::Payment::Captured {
        match store.refunds(order).await {
            Ok(r) => r,
            Err(e) if settle => return not_confirmed(&e, "whether the earlier attempt refunded"),
            Err(e) => return unavailable(&e),
        }
    } else {
        Vec::new()
    };
    let earlier = ours(&refunds, request_id).cloned();
    if o.status_id == policy::status::CANCELLED {
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
            Outcome::done(
                format!("Order #{order} cancelled"),
                detail.unwrap_or_else(|| format!("Reason: {reason_text}.")),
            )
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
            if r.total_left > Decimal::ZERO {
                let full = RefundInput {
                    items: Vec::new(),
                    shipping: Decimal::ZERO,
                    amount: r.total_left,
                    reason: "other".into(),
                    destination: Destination::Original,
                    note: String::new(),
                    total: r.total_left,
                };
                match do_refund(
                    store,
                    order,
                    &r,
                    &full,
                    &format!("Order cancelled: {reason_text}"),
                    request_id,
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
    let notes = format!(
        "{} Cancelled via Gladly: {reason_text}.{}{}",
        marker(request_id),
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
    match store
        .set_status(order, policy::status::CANCELLED, Some(&notes))
        .await
    {
        Ok(()) => Outcome::done(
            format!("Order #{order} cancelled"),
            money_note.unwrap_or_else(|| format!("Reason: {reason_text}. Nothing was charged.")),
        ),
        // The money moved and BigCommerce will not cancel: that is final, and said as it is.
        Err(BcError::Rejected { message, .. }) if moved => Outcome::done(
            format!("Order #{order}: money returned, but not cancelled"),
            format!("{} BigCommerce refused to cancel the order: {message}. Change its status in the control panel.", money_note.unwrap_or_default()),
        ),
        // A status PUT that timed out may have landed: uncertain, whatever moved before it.
        Err(e) => write_failed(&e, "the cancellation", |message| {
            Outcome::refused(
                format!("BigCommerce refused to cancel order #{order}: {message}"),
                "Nothing was changed.",
            )
        }),
    }
}

/// The coupon code a request id makes: the same id always makes the same code, and the code
/// carries 65 bits of the request's randomness (13 characters of 5 bits), so two requests
/// practically never share one (and if they do, it is refused, never passed off as made).
pub fn code_for(id: &RequestId) -> String {
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let digest = Sha256::digest(id.as_str().as_bytes());
    let mut bits: u128 = 0;
    for b in digest.iter().take(9) {
        bits = (bits << 8) | u128::from(*b);
    }
    let tail: String = (0..13)
        .map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char)
        .collect();
    format!("GLADLY-{tail}")
}

fn discount_summary(d: &DiscountInput, ends: &str) -> String {
    let what = match &d.kind {
        DiscountKind::Percent(p) => format!("{p}% off"),
        DiscountKind::Fixed(a) => format!("{a} off (store currency)"),
        DiscountKind::FreeShipping => "free shipping".to_string(),
    };
    let uses = if d.uses == 1 {
        "single use".to_string()
    } else {
        format!("{} uses", d.uses)
    };
    let min = if d.min_purchase > Decimal::ZERO {
        format!(", minimum purchase {}", d.min_purchase)
    } else {
        String::new()
    };
    let scope = if d.storefronts.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = d.storefronts.iter().map(|(_, n)| n.as_str()).collect();
        format!(", on {} only", names.join(" and "))
    };
    format!("{what}, {uses}{min}{scope}, valid until {ends}")
}

/// `POST /customers/{id}/discount/{requestId}`: one promotion (its name starts with the
/// marker) and one code, both findable by the request id, so a repeat never makes a second.
pub async fn discount<S: StoreActions>(
    store: &S,
    shopper: &ShopperId,
    d: &DiscountInput,
    request_id: &RequestId,
) -> Outcome {
    let code = code_for(request_id);
    let name = marked(
        request_id,
        &format!("Gladly {code} for {}", defang(&shopper.to_string())),
        255,
    );
    let ends_at = chrono::Utc::now() + chrono::TimeDelta::days(i64::from(d.days));
    // The day it ends where the store is (its time zone), as the agent will tell the shopper.
    let ends = ends_at
        .with_timezone(&d.store_utc_offset)
        .format("%Y-%m-%d")
        .to_string();
    let done = |c: &str| {
        Outcome::done(
            format!("Discount code {c} created"),
            format!(
                "{}. Paste the code to the shopper.",
                discount_summary(d, &ends)
            ),
        )
    };
    let collision = || {
        Outcome::refused(
            "This form's code is already taken by another promotion; nothing was created.",
            "Close the form and open it again for a new code.",
        )
    };
    let promotion = match store.find_promotion(&name).await {
        Ok(p) => p,
        Err(e) => return unavailable(&e),
    };
    match store.find_code(&code).await {
        Ok(Some(c)) if promotion.as_ref().is_some_and(|p| p.id == c.promotion_id) => {
            return done(&c.code)
        }
        Ok(Some(_)) => return collision(),
        Ok(None) => {}
        Err(e) => return unavailable(&e),
    }
    let promotion = match promotion {
        Some(p) => p,
        None => {
            let action = match &d.kind {
                DiscountKind::Percent(p) => {
                    json!({ "cart_value": { "discount": { "percentage_amount": p.to_string() } } })
                }
                DiscountKind::Fixed(a) => {
                    json!({ "cart_value": { "discount": { "fixed_amount": a.to_string() } } })
                }
                DiscountKind::FreeShipping => {
                    json!({ "shipping": { "free_shipping": true, "zone_ids": "*" } })
                }
            };
            let mut rule = json!({ "action": action, "apply_once": true });
            if d.min_purchase > Decimal::ZERO {
                rule["condition"] =
                    json!({ "cart": { "minimum_spend": d.min_purchase.to_string() } });
            }
            let body = json!({
                "name": name,
                "redemption_type": "COUPON",
                "status": "ENABLED",
                "rules": [rule],
                "max_uses": d.uses,
                "start_date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "end_date": ends_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                // Empty means every storefront, as BigCommerce reads it.
                "channels": d.storefronts.iter().map(|(id, _)| json!({ "id": id })).collect::<Vec<_>>(),
            });
            match store.create_promotion(&body).await {
                Ok(p) => p,
                Err(e) => {
                    return write_failed(&e, "the promotion", |message| {
                        Outcome::refused(
                            format!("BigCommerce refused the discount: {message}"),
                            "Nothing was created.",
                        )
                    })
                }
            }
        }
    };
    match store.create_code(promotion.id, &code, d.uses).await {
        Ok(c) => done(&c.code),
        // Made by a concurrent or earlier attempt of this very request, or a collision: ask.
        Err(BcError::Rejected { status: 409, .. }) => match store.find_code(&code).await {
            Ok(Some(c)) if c.promotion_id == promotion.id => done(&c.code),
            Ok(_) => collision(),
            Err(e) => not_confirmed(&e, "the coupon code"),
        },
        Err(e) => write_failed(&e, "the coupon code", |message| {
            Outcome::refused(
                format!("BigCommerce refused the coupon code: {message}"),
                "A promotion without a code was left; it is reused when this form is sent again.",
            )
        }),
    }
}

/// What `id` did at BigCommerce, changing nothing: the settle step of the engine for requests
/// that are not the one being submitted.
pub async fn look<S: StoreActions>(store: &S, scope: &Scope, id: &RequestId) -> Looked {
    match scope {
        Scope::Refund(order) => {
            let (o, refunds) = tokio::join!(store.order(*order), store.refunds(*order));
            match (o, refunds) {
                (Ok(o), Ok(refunds)) => {
                    let currency = o.as_ref().map(currency_of).unwrap_or_else(Currency::usd);
                    match ours(&refunds, id) {
                        Some(r) => {
                            Looked::Found(refund_answer(*order, r, &currency, &reason_of(r, id)))
                        }
                        None => Looked::NotFound,
                    }
                }
                (Err(e), _) | (_, Err(e)) => Looked::Unknown(e.to_string()),
            }
        }
        Scope::Cancel(order) => {
            let (o, refunds) = tokio::join!(store.order(*order), store.refunds(*order));
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
            let cancelled =
                o.status_id == policy::status::CANCELLED && o.staff_notes.contains(&marker(id));
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
        Scope::Discount(_) => match store.find_code(&code_for(id)).await {
            Ok(Some(c)) => Looked::Found(Outcome::done(
                format!("Discount code {} created", c.code),
                "Created by an earlier submit of the form.",
            )),
            Ok(None) => Looked::NotFound,
            Err(e) => Looked::Unknown(e.to_string()),
        },
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn rid(s: &str) -> RequestId {
        RequestId::parse(s).unwrap_or_else(RequestId::new_random)
    }

    #[test]
    fn codes_are_stable_readable_and_carry_65_bits() {
        let a = rid("0123456789abcdef");
        assert_eq!(code_for(&a), code_for(&a));
        assert_ne!(code_for(&a), code_for(&rid("0123456789abcdeg")));
        let c = code_for(&a);
        assert!(c.starts_with("GLADLY-") && c.len() == 20, "{c}");
        assert!(!c[7..].contains(['0', 'O', '1', 'I']));
        // 10,000 random requests, no two codes alike.
        let codes: std::collections::HashSet<String> = (0..10_000)
            .map(|_| code_for(&RequestId::new_random()))
            .collect();
        assert_eq!(codes.len(), 10_000);
    }

    #[test]
    fn the_marker_survives_any_length() {
        let id = rid("0123456789abcdef");
        let long = "x".repeat(5000);
        let m = marked(&id, &long, 1000);
        assert!(m.starts_with("[gladly:0123456789abcdef] "));
        assert_eq!(m.chars().count(), 1000);
    }
}
