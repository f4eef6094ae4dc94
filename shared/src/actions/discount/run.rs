//! Creating the promotion and its code at BigCommerce, both findable by the request id.

use super::input::{DiscountInput, DiscountKind};
use crate::actions::codes::{legacy_code, CodeKind, Codes};
use crate::actions::engine::{Looked, Outcome};
use crate::actions::fields::defang;
use crate::actions::outcomes::{marked, not_confirmed, unavailable, write_failed};
use crate::bigcommerce::requests::{
    CartCondition, ChannelRef, Discount, PromotionAction, PromotionCondition, PromotionPost,
    PromotionRule,
};
use crate::bigcommerce::{BcError, StoreActions};
use crate::ids::{RequestId, ShopperId};
use rust_decimal::Decimal;

/// Coupon codes: `GLADLY-` and 13 characters (65 bits of the request's HMAC, `codes`), so two
/// requests practically never share one (and if they do, it is refused, never passed off as
/// made).
pub const CODE: CodeKind = CodeKind {
    salt: "",
    prefix: "GLADLY-",
};

/// The promotion's name: the marker and the shopper, never the code (a request whose claim was
/// released makes a new code, and still reuses the promotion it left).
fn promotion_name(request_id: &RequestId, shopper: &ShopperId) -> String {
    marked(
        request_id,
        &format!("Gladly discount for {}", defang(&shopper.to_string())),
        255,
    )
}

/// An earlier version's promotion: named after the code it derived from the request id.
fn legacy_promotion_name(request_id: &RequestId, shopper: &ShopperId, code: &str) -> String {
    marked(
        request_id,
        &format!("Gladly {code} for {}", defang(&shopper.to_string())),
        255,
    )
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
    rails: &crate::guardrails::Guardrails,
    request_id: &RequestId,
    codes: Codes,
) -> Outcome {
    let code = codes.code(request_id, CODE);
    let name = promotion_name(request_id, shopper);
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
    // A request claimed by an earlier version may have made its code and promotion already.
    if codes.legacy {
        let legacy = legacy_code(request_id, CODE);
        let legacy_name = legacy_promotion_name(request_id, shopper, &legacy);
        match (
            store.find_promotion(&legacy_name).await,
            store.find_code(&legacy).await,
        ) {
            (Ok(Some(p)), Ok(Some(c))) if p.id == c.promotion_id => return done(&c.code),
            (Err(e), _) | (_, Err(e)) => return unavailable(&e),
            _ => {}
        }
    }
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
    // Made earlier by this request: the answer above, whatever the limits say now.
    if let Err((why, key)) = super::policy::within_limits(d, rails) {
        crate::telemetry::limit_refused(key);
        return Outcome::refused(
            why,
            "Nothing was created. A manager can raise the limit in the store secret, or make the code in the BigCommerce control panel.",
        );
    }
    let promotion = match promotion {
        Some(p) => p,
        None => {
            let action = match &d.kind {
                DiscountKind::Percent(p) => PromotionAction::CartValue {
                    discount: Discount::PercentageAmount(p.to_string()),
                },
                DiscountKind::Fixed(a) => PromotionAction::CartValue {
                    discount: Discount::FixedAmount(a.to_string()),
                },
                DiscountKind::FreeShipping => PromotionAction::Shipping {
                    free_shipping: true,
                    zone_ids: "*",
                },
            };
            let rule = PromotionRule {
                action,
                apply_once: true,
                condition: (d.min_purchase > Decimal::ZERO).then(|| PromotionCondition {
                    cart: CartCondition {
                        minimum_spend: d.min_purchase.to_string(),
                    },
                }),
            };
            let body = PromotionPost {
                name: name.clone(),
                redemption_type: "COUPON",
                status: "ENABLED",
                rules: vec![rule],
                max_uses: d.uses,
                start_date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                end_date: ends_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                // Empty means every storefront, as BigCommerce reads it.
                channels: d
                    .storefronts
                    .iter()
                    .map(|(id, _)| ChannelRef { id: *id })
                    .collect(),
            };
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

/// What discount request `id` did, changing nothing: a code its claim's seed (or, for a claim
/// of an earlier version, the request id) makes.
pub async fn look<S: StoreActions>(store: &S, id: &RequestId, codes: Codes) -> Looked {
    for code in codes.made(id, CODE) {
        match store.find_code(&code).await {
            Ok(Some(c)) => {
                return Looked::Found(Outcome::done(
                    format!("Discount code {} created", c.code),
                    "Created by an earlier submit of the form.",
                ))
            }
            Ok(None) => {}
            Err(e) => return Looked::Unknown(e.to_string()),
        }
    }
    Looked::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::codes::CodeSeed;

    fn rid(s: &str) -> RequestId {
        RequestId::parse(s).unwrap_or_else(RequestId::new_random)
    }

    #[test]
    fn codes_are_stable_readable_and_carry_65_bits() {
        let a = rid("0123456789abcdef");
        let codes = Codes::new(CodeSeed::random());
        assert_eq!(codes.code(&a, CODE), codes.code(&a, CODE));
        assert_ne!(
            codes.code(&a, CODE),
            codes.code(&rid("0123456789abcdeg"), CODE)
        );
        let c = codes.code(&a, CODE);
        assert!(c.starts_with("GLADLY-") && c.len() == 20, "{c}");
        assert!(!c[7..].contains(['0', 'O', '1', 'I']));
        // 10,000 random requests, no two codes alike.
        let all: std::collections::HashSet<String> = (0..10_000)
            .map(|_| Codes::new(CodeSeed::random()).code(&RequestId::new_random(), CODE))
            .collect();
        assert_eq!(all.len(), 10_000);
    }
}
