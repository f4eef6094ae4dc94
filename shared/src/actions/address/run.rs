//! Changing the address at BigCommerce: the address PUT (the same PUT twice is harmless), then
//! one audit line in the staff notes that carries the request's marker.

use super::policy::address_change_allowed;
use crate::actions::engine::{Attempt, Looked, Outcome};
use crate::actions::outcomes::{append_audit, marker, not_confirmed, unavailable, write_failed};
use crate::bigcommerce::requests::{AddressPut, OrderPut};
use crate::bigcommerce::StoreActions;
use crate::ids::{OrderId, RequestId};

fn one_line(a: &AddressPut) -> String {
    [
        format!("{} {}", a.first_name, a.last_name),
        a.company.clone(),
        a.street_1.clone(),
        a.street_2.clone(),
        format!("{} {}", a.zip, a.city),
        a.state.clone(),
        a.country_iso2.clone(),
    ]
    .into_iter()
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

pub async fn change<S: StoreActions>(
    store: &S,
    order: OrderId,
    to: &AddressPut,
    request_id: &RequestId,
    attempt: Attempt,
) -> Outcome {
    let settle = attempt.settles();
    let (o, addresses) = tokio::join!(store.order(order), store.shipping_addresses(order));
    let o = match o {
        Ok(Some(o)) => o,
        Ok(None) => return Outcome::refused(format!("Order #{order} does not exist."), "Nothing was changed. Look the shopper up again: the order may have been deleted or merged."),
        Err(e) if settle => {
            return not_confirmed(&e, "whether the earlier attempt changed the address")
        }
        Err(e) => return unavailable(&e),
    };
    let done = || {
        Outcome::done(
            format!("Shipping address of order #{order} changed"),
            format!("It now ships to {}.", one_line(to)),
        )
    };
    if o.staff_notes.contains(&marker(request_id)) {
        return done();
    }
    if let Err(why) = address_change_allowed(&o) {
        return Outcome::refused(why, "Nothing was changed.");
    }
    let address = match addresses {
        Ok(a) => a,
        Err(e) => return unavailable(&e),
    };
    let Some(current) = address.first() else {
        return Outcome::refused(
            format!("Order #{order} has no shipping address to change."),
            "Nothing was changed.",
        );
    };
    if let Err(e) = store.update_shipping_address(order, current.id, to).await {
        return write_failed(&e, "the address change", |message| {
            Outcome::refused(
                format!("BigCommerce refused the address: {message}"),
                "Nothing was changed.",
            )
        });
    }
    let put = OrderPut {
        status_id: None,
        staff_notes: Some(append_audit(
            &o.staff_notes,
            request_id,
            &format!("Shipping address changed via Gladly to: {}.", one_line(to)),
        )),
    };
    match store.update_order(order, &put).await {
        Ok(()) => done(),
        // The address changed; only the audit line is missing. Say so, do not call it undone.
        Err(e) => {
            tracing::error!(error = %e, order = order.0, "address changed but its audit line was not written");
            match done() {
                Outcome::Done { message, detail } => Outcome::done(
                    message,
                    format!("{detail} (The note on the order could not be written: {e}.)"),
                ),
                other => other,
            }
        }
    }
}

/// What address request `id` did: its audit line is the proof.
pub async fn look<S: StoreActions>(store: &S, order: OrderId, id: &RequestId) -> Looked {
    match store.order(order).await {
        Ok(Some(o)) if o.staff_notes.contains(&marker(id)) => Looked::Found(Outcome::done(
            format!("Shipping address of order #{order} changed"),
            "Changed by an earlier submit of the form.",
        )),
        Ok(_) => Looked::NotFound,
        Err(e) => Looked::Unknown(e.to_string()),
    }
}
