//! Carrying out a submitted action exactly once: claim the request id, look for its marker at
//! BigCommerce when an earlier attempt may have acted, act, and keep the answer.

use super::input::{
    self, CancelInput, Destination, DiscountInput, DiscountKind, RefundInput, CANCEL_REASONS,
    REFUND_REASONS,
};
use super::ledger::{Answer, Claim, Ledger, LedgerError, State};
use super::policy::{self, CancelPlan, Refundable};
use crate::bigcommerce::models::{Refund, RefundPayment};
use crate::bigcommerce::{BcError, StoreActions};
use crate::ids::{OrderId, ShopperId};
use crate::money::{Currency, Money};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// A claim older than this with no answer belongs to an attempt that died.
pub const LEASE_MS: i64 = 60_000;
/// How long a duplicate waits for the first attempt's answer.
pub const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Finished (possibly earlier): the answer is final and kept.
    Done(Answer),
    /// Nothing was changed at BigCommerce: the claim is released, the form may be sent again.
    NothingDone(Answer),
    /// BigCommerce may or may not have acted: the next attempt checks before acting.
    Uncertain(Answer),
}

pub fn ok(message: impl Into<String>, detail: impl Into<String>) -> Answer {
    Answer {
        status: 200,
        body: json!({ "message": message.into(), "detail": detail.into() }),
    }
}

pub fn refusal(status: u16, message: impl Into<String>) -> Answer {
    Answer {
        status,
        body: json!({ "errors": [{ "message": message.into() }] }),
    }
}

/// Money as BigCommerce's v3 bodies take it: a JSON number, rounded to the currency.
fn wire(d: Decimal, currency: &Currency) -> Value {
    use rust_decimal::prelude::ToPrimitive;
    d.round_dp(currency.minor_digits())
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The marker an action leaves at BigCommerce (refund reason, promotion name).
pub fn marker(request_id: &str) -> String {
    format!("[gladly:{request_id}]")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn unavailable(e: &BcError) -> Answer {
    refusal(
        503,
        format!("BigCommerce did not answer ({e}); nothing was changed. Try again."),
    )
}

fn uncertain(e: &BcError, what: &str) -> Outcome {
    Outcome::Uncertain(refusal(
        503,
        format!("BigCommerce did not confirm {what} ({e}). Submitting the same form again is safe: it checks what happened first."),
    ))
}

/// Runs `act` at most once per request id. `act(settle)` is told whether an earlier attempt may
/// have acted, so it must look for its marker before acting again.
pub async fn once<L, F, Fut>(
    ledger: &L,
    request_id: &str,
    scope: &str,
    act: F,
) -> Result<Answer, LedgerError>
where
    L: Ledger,
    F: Fn(bool) -> Fut,
    Fut: std::future::Future<Output = Outcome>,
{
    let started = tokio::time::Instant::now();
    let settle = loop {
        match ledger.claim(request_id, scope, now_ms()).await? {
            Claim::Won => break false,
            Claim::Lost(r) if r.scope != scope => {
                return Ok(refusal(
                    406,
                    "This form was opened for a different action; close it and open it again.",
                ));
            }
            Claim::Lost(r) => {
                match r.state {
                    State::Done(answer) => return Ok(answer),
                    State::Uncertain => {
                        if ledger
                            .take_over(request_id, r.claimed_at_ms, now_ms())
                            .await?
                        {
                            break true;
                        }
                    }
                    State::Pending if now_ms() - r.claimed_at_ms > LEASE_MS => {
                        if ledger
                            .take_over(request_id, r.claimed_at_ms, now_ms())
                            .await?
                        {
                            break true;
                        }
                    }
                    State::Pending => {
                        if started.elapsed() > WAIT_FOR_FIRST {
                            return Ok(refusal(503, "The same request is still being carried out; look again in a moment."));
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
    };
    match act(settle).await {
        Outcome::Done(answer) => {
            ledger.complete(request_id, &answer).await?;
            Ok(answer)
        }
        Outcome::NothingDone(answer) => {
            ledger.release(request_id).await?;
            Ok(answer)
        }
        Outcome::Uncertain(answer) => {
            ledger.mark_uncertain(request_id).await?;
            Ok(answer)
        }
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

fn refund_answer(order: OrderId, refund: &Refund, currency: &Currency, reason: &str) -> Answer {
    let amount = Money::new(refund.total_amount, currency.clone());
    ok(
        format!("Refunded {amount} on order #{order}"),
        format!(
            "To {}. Reason: {reason}.",
            describe_payments(&refund.payments)
        ),
    )
}

/// The refund this request made earlier, if any.
fn ours<'a>(refunds: &'a [Refund], request_id: &str) -> Option<&'a Refund> {
    let m = marker(request_id);
    refunds
        .iter()
        .find(|r| r.reason.contains(&m) || r.items.iter().any(|i| i.reason.contains(&m)))
}

/// Quote, check, pick the method, refund. Nothing before the final POST moves money.
async fn do_refund<S: StoreActions>(
    store: &S,
    order: OrderId,
    r: &Refundable,
    req: &RefundInput,
    reason_text: &str,
    request_id: &str,
) -> Outcome {
    let reason = format!("{reason_text} {}", marker(request_id));
    let reason: String = reason
        .chars()
        .rev()
        .take(1000)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
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
            return Outcome::NothingDone(refusal(
                406,
                format!("BigCommerce refused the refund: {message}. Nothing was refunded."),
            ))
        }
        Err(e) => return Outcome::NothingDone(unavailable(&e)),
    };
    if quote.total_refund_amount != req.total {
        return Outcome::NothingDone(refusal(
            406,
            format!(
                "BigCommerce quotes {} for this refund, not the {} asked; nothing was refunded. Reopen the form to see what remains.",
                r.money(quote.total_refund_amount),
                r.money(req.total)
            ),
        ));
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
        return Outcome::NothingDone(refusal(
            406,
            format!(
                "BigCommerce offers no way to refund this order to {to}; nothing was refunded."
            ),
        ));
    };
    let paid: Decimal = method.iter().map(|p| p.amount).sum();
    if paid != quote.total_refund_amount {
        return Outcome::NothingDone(refusal(
            406,
            "BigCommerce's refund options do not add up to its quote; nothing was refunded.",
        ));
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
            Outcome::Done(refund_answer(order, &refund, &r.currency, reason_text))
        }
        Err(BcError::Rejected { message, .. }) => Outcome::NothingDone(refusal(
            406,
            format!("BigCommerce refused the refund: {message}. Nothing was refunded."),
        )),
        Err(BcError::RateLimited) => Outcome::NothingDone(unavailable(&BcError::RateLimited)),
        Err(e) => uncertain(&e, "the refund"),
    }
}

/// `POST /orders/{id}/refund/{requestId}` once claimed. When settling, an earlier refund with
/// this request's marker is the answer. The input is checked against what remains now, and a
/// mistake releases the claim, so the agent can fix the form and send it again.
pub async fn refund<S: StoreActions>(
    store: &S,
    order: OrderId,
    body: &[u8],
    request_id: &str,
    settle: bool,
) -> Outcome {
    let (o, refunds) = tokio::join!(store.order(order), store.refunds(order));
    let o = match o {
        Ok(Some(o)) => o,
        Ok(None) => {
            return Outcome::NothingDone(refusal(404, format!("Order #{order} does not exist")))
        }
        Err(e) => return Outcome::NothingDone(unavailable(&e)),
    };
    let refunds = match refunds {
        Ok(r) => r,
        Err(e) if settle => return uncertain(&e, "whether the earlier attempt refunded"),
        Err(e) => return Outcome::NothingDone(unavailable(&e)),
    };
    let currency = Currency::new(o.currency()).unwrap_or_else(Currency::usd);
    if let Some(done) = ours(&refunds, request_id) {
        let reason = done
            .reason
            .replace(&marker(request_id), "")
            .trim()
            .to_string();
        return Outcome::Done(refund_answer(order, done, &currency, &reason));
    }
    if let Err(why) = policy::refund_allowed(&o) {
        return Outcome::NothingDone(refusal(406, why));
    }
    let r = Refundable::of(&o, &refunds);
    let req = match input::refund(body, &r, o.customer_id != 0) {
        Ok(req) => req,
        Err(errors) => {
            return Outcome::NothingDone(Answer {
                status: 400,
                body: json!({ "errors": errors }),
            })
        }
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
    request_id: &str,
    settle: bool,
) -> Outcome {
    let reason_text = label(CANCEL_REASONS, &req.reason);
    let Some(o) = (match store.order(order).await {
        Ok(o) => o,
        Err(e) => return Outcome::NothingDone(unavailable(&e)),
    }) else {
        return Outcome::NothingDone(refusal(404, format!("Order #{order} does not exist")));
    };
    let currency = Currency::new(o.currency()).unwrap_or_else(Currency::usd);
    let refunds = if settle || policy::payment(&o) == policy::Payment::Captured {
        match store.refunds(order).await {
            Ok(r) => r,
            Err(e) if settle => return uncertain(&e, "whether the earlier attempt refunded"),
            Err(e) => return Outcome::NothingDone(unavailable(&e)),
        }
    } else {
        Vec::new()
    };
    let earlier = ours(&refunds, request_id).cloned();
    if o.status_id == policy::status::CANCELLED {
        return if settle {
            let detail = earlier.map(|r| {
                format!(
                    "Refunded {} to {}.",
                    Money::new(r.total_amount, currency.clone()),
                    describe_payments(&r.payments)
                )
            });
            Outcome::Done(ok(
                format!("Order #{order} cancelled"),
                detail.unwrap_or_else(|| format!("Reason: {reason_text}.")),
            ))
        } else {
            Outcome::NothingDone(refusal(
                406,
                format!("Order #{order} is already cancelled."),
            ))
        };
    }
    // Once our own refund went through, the order reads as (partially) refunded: finish the cancel.
    let plan = match (&earlier, policy::cancel_plan(&o)) {
        (Some(_), _) => CancelPlan::StatusOnly,
        (None, Ok(p)) => p,
        (None, Err(why)) => return Outcome::NothingDone(refusal(406, why)),
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
                match do_refund(store, order, &r, &full, &format!("Order cancelled: {reason_text}"), request_id).await {
                    Outcome::Done(a) => {
                        money_note = Some(a.body["message"].as_str().map(|m| format!("{m}; {}", a.body["detail"].as_str().unwrap_or(""))).unwrap_or_default());
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
            Err(BcError::Rejected { message, .. }) => {
                return Outcome::NothingDone(refusal(406, format!("BigCommerce could not release the payment: {message}. The order was not cancelled.")))
            }
            Err(e) => return uncertain(&e, "the release of the payment"),
        },
        CancelPlan::StatusOnly => {}
    }
    let notes = format!(
        "Cancelled via Gladly {}: {reason_text}.{}{}",
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
        Ok(()) => Outcome::Done(ok(
            format!("Order #{order} cancelled"),
            money_note.unwrap_or_else(|| format!("Reason: {reason_text}. Nothing was charged.")),
        )),
        Err(e) if moved => uncertain(&e, "the cancellation (the money part is done)"),
        Err(BcError::Rejected { message, .. }) => Outcome::NothingDone(refusal(
            406,
            format!("BigCommerce refused to cancel order #{order}: {message}"),
        )),
        Err(e) => Outcome::NothingDone(unavailable(&e)),
    }
}

/// The coupon code a request id makes: the same id always makes the same code.
pub fn code_for(request_id: &str) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let digest = Sha256::digest(request_id.as_bytes());
    let tail: String = digest
        .iter()
        .take(8)
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
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
    format!("{what}, {uses}{min}, valid until {ends}")
}

/// `POST /customers/{id}/discount/{requestId}`: one promotion and one code, both findable by
/// the request id, so a repeat never makes a second code.
pub async fn discount<S: StoreActions>(
    store: &S,
    shopper: &ShopperId,
    d: &DiscountInput,
    request_id: &str,
) -> Outcome {
    let code = code_for(request_id);
    let name = format!("Gladly {code} for {shopper} {}", marker(request_id));
    let name: String = name.chars().take(255).collect();
    let ends_at = chrono::Utc::now() + chrono::TimeDelta::days(i64::from(d.days));
    let ends = ends_at.format("%Y-%m-%d").to_string();
    let done = |c: &str| {
        Outcome::Done(ok(
            format!("Discount code {c} created"),
            format!(
                "{}. Paste the code to the shopper.",
                discount_summary(d, &ends)
            ),
        ))
    };
    match store.find_code(&code).await {
        Ok(Some(c)) => return done(&c.code),
        Ok(None) => {}
        Err(e) => return Outcome::NothingDone(unavailable(&e)),
    }
    let promotion = match store.find_promotion(&name).await {
        Ok(Some(p)) => p,
        Ok(None) => {
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
            });
            match store.create_promotion(&body).await {
                Ok(p) => p,
                Err(BcError::Rejected { message, .. }) => {
                    return Outcome::NothingDone(refusal(
                        406,
                        format!("BigCommerce refused the discount: {message}"),
                    ))
                }
                Err(e) => return uncertain(&e, "the promotion"),
            }
        }
        Err(e) => return Outcome::NothingDone(unavailable(&e)),
    };
    match store.create_code(promotion.id, &code, d.uses).await {
        Ok(c) => done(&c.code),
        // Created by a concurrent or earlier attempt for this very request.
        Err(BcError::Rejected { status: 409, .. }) => done(&code),
        Err(e) => uncertain(&e, "the coupon code"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::ledger::MemoryLedger;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn codes_are_stable_and_readable() {
        assert_eq!(code_for("abc"), code_for("abc"));
        assert_ne!(code_for("abc"), code_for("abd"));
        let c = code_for("0123456789abcdef");
        assert!(c.starts_with("GLADLY-") && c.len() == 15);
        assert!(!c[7..].contains(['0', 'O', '1', 'I']));
    }

    #[tokio::test]
    async fn a_repeat_answers_the_first_answer_without_acting() {
        let ledger = MemoryLedger::default();
        let runs = AtomicU32::new(0);
        let act = |_settle: bool| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Outcome::Done(ok("Refunded $1.00", "To the card."))
        };
        let first = once(&ledger, "r1", "refund:order:1", act).await.unwrap();
        let again = once(&ledger, "r1", "refund:order:1", act).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let other = once(&ledger, "r1", "cancel:order:1", act).await.unwrap();
        assert_eq!(other.status, 406);
    }

    #[tokio::test]
    async fn nothing_done_frees_the_request_and_uncertain_settles_next_time() {
        let ledger = MemoryLedger::default();
        let a = once(&ledger, "r2", "s", |_| async {
            Outcome::NothingDone(refusal(406, "no"))
        })
        .await
        .unwrap();
        assert_eq!(a.status, 406);
        assert!(ledger.read("r2").await.unwrap().is_none());

        let a = once(&ledger, "r3", "s", |_| async {
            Outcome::Uncertain(refusal(503, "unsure"))
        })
        .await
        .unwrap();
        assert_eq!(a.status, 503);
        let settled = once(&ledger, "r3", "s", |settle| async move {
            assert!(settle, "the second attempt is told to look first");
            Outcome::Done(ok("done", ""))
        })
        .await
        .unwrap();
        assert_eq!(settled.status, 200);
    }

    #[tokio::test]
    async fn an_abandoned_claim_is_taken_over_after_the_lease() {
        let ledger = MemoryLedger::default();
        ledger
            .claim("r4", "s", now_ms() - LEASE_MS - 1)
            .await
            .unwrap();
        let a = once(&ledger, "r4", "s", |settle| async move {
            assert!(settle);
            Outcome::Done(ok("settled", ""))
        })
        .await
        .unwrap();
        assert_eq!(a.body["message"], "settled");
    }
}
