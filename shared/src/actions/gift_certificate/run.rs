//! Creating the certificate at BigCommerce with a code derived from the request, so a repeat
//! finds it instead of making a second one.

use super::input::GiftInput;
use super::policy::within_ceiling;
use crate::actions::codes::{CodeKind, Codes};
use crate::actions::engine::{Looked, Outcome};
use crate::actions::ledger::Ledger;
use crate::actions::limits;
use crate::actions::outcomes::{not_confirmed, unavailable, write_failed};
use crate::bigcommerce::models::GiftCertificate;
use crate::bigcommerce::requests::GiftCertificatePost;
use crate::bigcommerce::{BcError, StoreActions};
use crate::guardrails::Guardrails;
use crate::ids::{RequestId, ShopperId};
use crate::mapping::email::same_email;
use crate::money::{Currency, Money};

/// `GC-` and 13 characters (65 bits of the request's HMAC, `codes`): under BigCommerce's 20.
pub const CODE: CodeKind = CodeKind {
    salt: "gift-certificate:",
    prefix: "GC-",
};

fn created(g: &GiftCertificate) -> Outcome {
    let amount = Money::new(
        g.amount,
        Currency::new(&g.currency_code).unwrap_or_else(Currency::usd),
    );
    Outcome::done(
        format!("Gift certificate {} for {amount} created", g.code),
        format!(
            "For {}. BigCommerce does not email certificates made through its API: paste the code to the shopper; it is redeemed at checkout.",
            g.to_email
        ),
    )
}

/// Makes the certificate once: an earlier attempt's is the answer; a new one is counted
/// against the store's day (`limits`) before it is sent.
pub async fn create<S: StoreActions, L: Ledger>(
    store: &S,
    ledger: &L,
    shopper: &ShopperId,
    g: &GiftInput,
    rails: &Guardrails,
    request_id: &RequestId,
    codes: Codes,
) -> Outcome {
    if let Err(why) = within_ceiling(g.amount, rails) {
        return Outcome::refused(why, "Nothing was created.");
    }
    if let Some(r) = &g.reason {
        crate::telemetry::reason(&r.text);
    }
    let code = codes.code(request_id, CODE);
    let ours = |found: &GiftCertificate| same_email(&found.to_email, &g.to_email);
    let collision = || {
        Outcome::refused(
            "This form's certificate code is already taken; nothing was created.",
            "Close the form and open it again for a new code.",
        )
    };
    // What an earlier attempt made: this claim's code, or an earlier version's.
    for (i, made) in codes.made(request_id, CODE).iter().enumerate() {
        match store.find_gift_certificate(made).await {
            Ok(Some(found)) if ours(&found) => return created(&found),
            // Taken by another: refused only for the code this attempt would make.
            Ok(Some(_)) if i == 0 => return collision(),
            Ok(_) => {}
            Err(e) => return unavailable(&e),
        }
    }
    let post = GiftCertificatePost {
        to_name: g.to_name.clone(),
        to_email: g.to_email.clone(),
        from_name: if g.from_name.is_empty() {
            rails
                .gift_from_name
                .clone()
                .unwrap_or_else(|| super::form::DEFAULT_FROM_NAME.to_string())
        } else {
            g.from_name.clone()
        },
        from_email: g.from_email.clone(),
        amount: g.amount,
        code: code.clone(),
        message: g.message.clone(),
        customer_id: match shopper {
            ShopperId::Registered(c) => Some(c.0),
            ShopperId::Guest(_) => None,
        },
    };
    let go = async {
        match store.create_gift_certificate(&post).await {
            Ok(made) => created(&made),
            // Made by a concurrent attempt of this request, or a collision: ask.
            Err(BcError::Rejected { status: 409, .. }) => {
                match store.find_gift_certificate(&code).await {
                    Ok(Some(found)) if ours(&found) => created(&found),
                    Ok(_) => collision(),
                    Err(e) => not_confirmed(&e, "the gift certificate"),
                }
            }
            Err(e) => write_failed(&e, "the gift certificate", |message| {
                Outcome::refused(
                    format!("BigCommerce refused the gift certificate: {message}"),
                    "Nothing was created.",
                )
            }),
        }
    };
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let tally = limits::gift_certificate_on(&today, g.amount, rails);
    limits::within(ledger, request_id, &tally, go).await
}

/// What gift certificate request `id` did: its code is the proof.
pub async fn look<S: StoreActions>(store: &S, id: &RequestId, codes: Codes) -> Looked {
    for code in codes.made(id, CODE) {
        match store.find_gift_certificate(&code).await {
            Ok(Some(g)) => return Looked::Found(created(&g)),
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

    #[test]
    fn codes_fit_bigcommerce_and_differ_from_discount_codes() {
        let id = RequestId::parse("0123456789abcdef").unwrap_or_else(RequestId::new_random);
        let codes = Codes::new(CodeSeed::random());
        let c = codes.code(&id, CODE);
        assert!(c.starts_with("GC-") && c.len() == 16, "{c}");
        assert_eq!(c, codes.code(&id, CODE));
        assert_ne!(
            c[3..],
            codes.code(&id, crate::actions::discount::run::CODE)[7..]
        );
    }
}
