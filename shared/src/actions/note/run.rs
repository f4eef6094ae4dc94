//! Adding the note at BigCommerce: one audit line appended to the staff notes
//! (`PUT /v2/orders/{id}`), the request's marker leading it, so a later attempt finds it and
//! never appends it again.

use super::input::NoteInput;
use super::policy::note_allowed;
use crate::actions::engine::{Attempt, Looked, Outcome};
use crate::actions::outcomes::{append_audit, marker, not_confirmed, unavailable, write_failed};
use crate::bigcommerce::requests::OrderPut;
use crate::bigcommerce::StoreActions;
use crate::ids::{OrderId, RequestId};

fn done(order: OrderId, detail: &str) -> Outcome {
    Outcome::done(format!("Note added to order #{order}"), detail)
}

const ADDED: &str =
    "It is the last line of the order's staff notes; what was there before is kept.";

pub async fn add<S: StoreActions>(
    store: &S,
    order: OrderId,
    input: &NoteInput,
    request_id: &RequestId,
    attempt: Attempt,
) -> Outcome {
    let o = match store.order(order).await {
        Ok(Some(o)) => o,
        Ok(None) => return Outcome::refused(
            format!("Order #{order} does not exist."),
            "Nothing was written. Look the shopper up again: the order may have been deleted or merged.",
        ),
        Err(e) if attempt.settles() => {
            return not_confirmed(&e, "whether the earlier attempt added the note")
        }
        Err(e) => return unavailable(&e),
    };
    if o.staff_notes.contains(&marker(request_id)) {
        return done(order, ADDED);
    }
    if let Err(why) = note_allowed(&o) {
        return Outcome::refused(why, "Nothing was written.");
    }
    let put = OrderPut {
        status_id: None,
        staff_notes: Some(append_audit(
            &o.staff_notes,
            request_id,
            &format!("Note via Gladly: {}", input.note),
        )),
    };
    match store.update_order(order, &put).await {
        Ok(()) => done(order, ADDED),
        Err(e) => write_failed(&e, "the note", |message| {
            Outcome::refused(
                format!("BigCommerce refused the note: {message}"),
                "Nothing was written.",
            )
        }),
    }
}

/// What note request `id` did: its line in the staff notes is the proof.
pub async fn look<S: StoreActions>(store: &S, order: OrderId, id: &RequestId) -> Looked {
    match store.order(order).await {
        Ok(Some(o)) if o.staff_notes.contains(&marker(id)) => {
            Looked::Found(done(order, "Added by an earlier submit of the form."))
        }
        Ok(_) => Looked::NotFound,
        Err(e) => Looked::Unknown(e.to_string()),
    }
}
