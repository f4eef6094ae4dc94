//! Adding the credit at BigCommerce, which keeps it as an absolute amount: read the account,
//! write the new balance together with a marked line in the customer's notes (one item of one
//! `PUT /v3/customers`, so the proof lands with the credit or not at all), then read it back.
//! The engine runs this under the customer's lease, so two agents never interleave their
//! read-modify-writes; a change made outside the adaptor (the shopper spending credit at
//! checkout) that the read-back sees is told to the agent and kept with the answer.

use super::input::CreditInput;
use super::policy::within_ceiling;
use crate::actions::engine::{Attempt, Looked, Outcome};
use crate::actions::outcomes::{append_audit, marker, not_confirmed, unavailable, write_failed};
use crate::bigcommerce::models::Customer;
use crate::bigcommerce::requests::{CustomerCreditPut, StoreCreditAmount};
use crate::bigcommerce::StoreActions;
use crate::guardrails::Guardrails;
use crate::ids::{CustomerId, RequestId};
use crate::money::{Currency, Money};
use rust_decimal::Decimal;
use std::str::FromStr;

/// What one request added, as its line in the customer's notes keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub amount: Money,
    pub before: Decimal,
    pub after: Decimal,
    /// The reason's text.
    pub reason: String,
}

const LINE: &str = "Store credit via Gladly: +";

impl Credit {
    /// `Store credit via Gladly: +10.00 USD, balance 5.00 -> 15.00 USD, reason: Arrived late`
    pub fn line(&self) -> String {
        let c = &self.amount.currency;
        let n = |d: Decimal| format!("{:.*}", c.minor_digits() as usize, c.round(d));
        format!(
            "{LINE}{} {code}, balance {} -> {} {code}, reason: {}",
            n(self.amount.amount),
            n(self.before),
            n(self.after),
            self.reason,
            code = c.code()
        )
    }

    fn money(&self, d: Decimal) -> Money {
        Money::new(d, self.amount.currency.clone())
    }
}

/// What the notes hold for request `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Credit(Credit),
    /// Its marker is there, but the line no longer reads (edited by hand).
    Unreadable,
    None,
}

/// The line request `id` left in `notes`, read back.
pub fn find(notes: &str, id: &RequestId) -> Found {
    let m = marker(id);
    let Some(line) = notes.lines().find(|l| l.trim_start().starts_with(&m)) else {
        return Found::None;
    };
    read_line(line).map_or(Found::Unreadable, Found::Credit)
}

fn read_line(line: &str) -> Option<Credit> {
    let rest = &line[line.find(LINE)? + LINE.len()..];
    let (added, rest) = rest.split_once(", balance ")?;
    let (balance, reason) = rest.split_once(", reason: ")?;
    let (amount, code) = added.split_once(' ')?;
    let (before, after) = balance.split_once(" -> ")?;
    let (after, code_again) = after.split_once(' ')?;
    let currency = Currency::new(code).filter(|_| code == code_again.trim())?;
    Some(Credit {
        amount: Money::new(Decimal::from_str(amount).ok()?, currency),
        before: Decimal::from_str(before).ok()?,
        after: Decimal::from_str(after).ok()?,
        reason: reason.trim().to_string(),
    })
}

/// The account's balance: BigCommerce lists store credit as amounts, one on every store we
/// know; `None` when it lists several, which one absolute write would merge.
pub fn balance(c: &Customer) -> Option<Decimal> {
    match c.store_credit_amounts.as_slice() {
        [] => Some(Decimal::ZERO),
        [one] => Some(one.amount),
        _ => None,
    }
}

fn message(c: &Credit) -> String {
    format!("Added {} store credit ({})", c.amount, c.reason)
}

fn done(c: &Credit) -> Outcome {
    Outcome::done(
        message(c),
        format!(
            "Balance {} before, {} after. The shopper spends it at checkout when signed in.",
            c.money(c.before),
            c.money(c.after)
        ),
    )
}

/// The credit was written, but the read-back shows another balance: something else changed
/// it at the same moment. Still done (never added again), and the agent is told what was seen.
fn raced(c: &Credit, seen: Option<Decimal>) -> Outcome {
    let now = seen.map_or_else(
        || "a balance we cannot read".to_string(),
        |d| c.money(d).to_string(),
    );
    Outcome::done(
        format!(
            "{}; the balance changed while we added it: check it before adding again",
            message(c)
        ),
        format!(
            "We read {} and wrote {}; BigCommerce now holds {now}. Something else changed it at the same moment (the shopper spending credit at checkout, or an edit in the control panel).",
            c.money(c.before),
            c.money(c.after)
        ),
    )
}

fn earlier_unreadable() -> Outcome {
    Outcome::done(
        "Store credit was added by an earlier submit of this form",
        "Its line in the customer's notes was edited since: check the balance in the BigCommerce control panel.",
    )
}

/// Adds `input`'s credit to `customer` once: an earlier attempt's line in the notes is the
/// answer; otherwise read, write the new balance and the line together, read back.
pub async fn add<S: StoreActions>(
    store: &S,
    customer: CustomerId,
    input: &CreditInput,
    rails: &Guardrails,
    request_id: &RequestId,
    attempt: Attempt,
) -> Outcome {
    let account = match store.customer_now(customer).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Outcome::refused(
                format!("Customer {customer} does not exist in BigCommerce."),
                "Nothing was added. Look the shopper up again: the account may have been deleted or merged.",
            )
        }
        Err(e) if attempt.settles() => {
            return not_confirmed(&e, "whether the earlier attempt added the credit")
        }
        Err(e) => return unavailable(&e),
    };
    match find(&account.notes, request_id) {
        Found::Credit(c) => return done(&c),
        Found::Unreadable => return earlier_unreadable(),
        Found::None => {}
    }
    if let Err(why) = within_ceiling(&input.amount, rails) {
        return Outcome::refused(why, "Nothing was added.");
    }
    let Some(before) = balance(&account) else {
        return Outcome::refused(
            "This account holds store credit in more than one amount; adding to it here would merge them.",
            "Nothing was added. Add it in the BigCommerce control panel.",
        );
    };
    let credit = Credit {
        amount: input.amount.clone(),
        before,
        after: before + input.amount.amount,
        reason: input.reason_text(),
    };
    let put = CustomerCreditPut {
        id: customer.0,
        store_credit_amounts: vec![StoreCreditAmount {
            amount: credit.after,
        }],
        notes: append_audit(&account.notes, request_id, &credit.line()),
    };
    crate::telemetry::reason(&credit.reason);
    if let Err(e) = store.update_customer_credit(&put).await {
        return write_failed(&e, "the store credit", |message| {
            Outcome::refused(
                format!("BigCommerce refused the store credit: {message}"),
                "Nothing was added.",
            )
        });
    }
    // The write answered: it happened. What the account holds now says whether something else
    // changed the balance around it.
    match store.customer_now(customer).await {
        Ok(Some(now)) if balance(&now) == Some(credit.after) => done(&credit),
        Ok(now) => {
            let seen = now.as_ref().and_then(balance);
            tracing::warn!(
                request = request_id.short(),
                customer = customer.0,
                read = %credit.before,
                wrote = %credit.after,
                seen = ?seen,
                "store credit: the balance changed while it was added; the agent is told"
            );
            raced(&credit, seen)
        }
        Err(e) => {
            let Outcome::Done { message, detail } = done(&credit) else {
                return done(&credit);
            };
            Outcome::done(
                message,
                format!(
                    "{detail} Reading it back failed ({e}): check the balance before adding more."
                ),
            )
        }
    }
}

/// What store credit request `id` did: its line in the customer's notes is the proof.
pub async fn look<S: StoreActions>(store: &S, customer: CustomerId, id: &RequestId) -> Looked {
    match store.customer_now(customer).await {
        Ok(Some(c)) => match find(&c.notes, id) {
            Found::Credit(credit) => Looked::Found(done(&credit)),
            Found::Unreadable => Looked::Found(earlier_unreadable()),
            Found::None => Looked::NotFound,
        },
        Ok(None) => Looked::NotFound,
        Err(e) => Looked::Unknown(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bigcommerce::models::StoreCredit;
    use rust_decimal_macros::dec;

    fn rid(s: &str) -> RequestId {
        RequestId::parse(s).unwrap_or_else(RequestId::new_random)
    }

    fn credit(code: &str, amount: Decimal, before: Decimal) -> Credit {
        Credit {
            amount: Money::new(amount, Currency::new(code).unwrap_or_else(Currency::usd)),
            before,
            after: before + amount,
            reason: "Arrived late".into(),
        }
    }

    #[test]
    fn the_line_reads_back_whatever_else_the_notes_hold() {
        let id = rid("0123456789abcdef");
        for c in [
            credit("USD", dec!(10), dec!(5.5)),
            credit("JPY", dec!(1200), dec!(0)),
            credit("KWD", dec!(1.25), dec!(0.005)),
        ] {
            let notes = append_audit("VIP\n[gladly:fedcba9876543210] other", &id, &c.line());
            assert_eq!(find(&notes, &id), Found::Credit(c.clone()), "{notes}");
            assert_eq!(find(&notes, &rid("0000000000000000")), Found::None);
        }
        assert_eq!(
            credit("USD", dec!(10), dec!(5.5)).line(),
            "Store credit via Gladly: +10.00 USD, balance 5.50 -> 15.50 USD, reason: Arrived late"
        );
        let edited = format!("{} Store credit: ten dollars", marker(&id));
        assert_eq!(find(&edited, &id), Found::Unreadable);
    }

    #[test]
    fn the_answer_gives_the_balance_before_and_after() {
        let c = credit("USD", dec!(10), dec!(5));
        let Outcome::Done { message, detail } = done(&c) else {
            panic!("done")
        };
        assert_eq!(message, "Added $10.00 store credit (Arrived late)");
        assert!(
            detail.starts_with("Balance $5.00 before, $15.00 after."),
            "{detail}"
        );
        let Outcome::Done { message, detail } = raced(&c, Some(dec!(12))) else {
            panic!("done")
        };
        assert!(
            message
                .ends_with("the balance changed while we added it: check it before adding again"),
            "{message}"
        );
        assert!(
            detail.contains("We read $5.00 and wrote $15.00; BigCommerce now holds $12.00"),
            "{detail}"
        );
    }

    #[test]
    fn a_balance_is_one_amount() {
        let with = |amounts: &[Decimal]| Customer {
            store_credit_amounts: amounts.iter().map(|a| StoreCredit { amount: *a }).collect(),
            ..serde_json::from_value(serde_json::json!({"id": 1}))
                .unwrap_or_else(|_| panic!("customer"))
        };
        assert_eq!(balance(&with(&[])), Some(Decimal::ZERO));
        assert_eq!(balance(&with(&[dec!(4.5)])), Some(dec!(4.5)));
        assert_eq!(balance(&with(&[dec!(1), dec!(2)])), None);
    }
}
