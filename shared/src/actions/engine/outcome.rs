//! How an attempt ended, in the agent's words, and the engine's own answers.

use crate::actions::fields::FieldError;
use crate::actions::ledger::LedgerError;
use serde::{Deserialize, Serialize};

/// How an attempt ended, in the agent's words. Kept in the ledger when done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Finished, now or by an earlier attempt of the same request: final.
    Done { message: String, detail: String },
    /// Nothing was changed, for a passing reason (BigCommerce slow or down, the order busy):
    /// the same form may be sent again.
    NothingDone { message: String, detail: String },
    /// The agent can fix the form; nothing was changed.
    Invalid { errors: Vec<FieldError> },
    /// BigCommerce may or may not have acted, or the same request is still running: sending the
    /// same form again (after `detail`'s wait) settles it.
    Uncertain { message: String, detail: String },
    /// Not possible (order status, nothing refundable, BigCommerce said no): nothing changed.
    Refused { message: String, detail: String },
    /// The integration cannot do this as set up (the API account lacks a scope, or its token is
    /// refused after a refetch): nothing changed, and the store's admin must act (500).
    Misconfigured { message: String, detail: String },
    /// The money moved, a follow-up step (returning items to stock) did not: sending the same
    /// form again finishes the step and never repeats the money.
    Partial { message: String, detail: String },
}

impl Outcome {
    pub fn done(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Outcome::Done {
            message: message.into(),
            detail: detail.into(),
        }
    }

    pub fn nothing_done(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Outcome::NothingDone {
            message: message.into(),
            detail: detail.into(),
        }
    }

    pub fn uncertain(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Outcome::Uncertain {
            message: message.into(),
            detail: detail.into(),
        }
    }

    pub fn refused(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Outcome::Refused {
            message: message.into(),
            detail: detail.into(),
        }
    }

    pub fn misconfigured(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Outcome::Misconfigured {
            message: message.into(),
            detail: detail.into(),
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        Outcome::Invalid { errors }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Done { .. } => "done",
            Outcome::NothingDone { .. } => "nothing_done",
            Outcome::Invalid { .. } => "invalid",
            Outcome::Uncertain { .. } => "uncertain",
            Outcome::Refused { .. } => "refused",
            Outcome::Partial { .. } => "partial",
            Outcome::Misconfigured { .. } => "misconfigured",
        }
    }
}

/// The table is down: what this request did before cannot be checked, so the answer cannot
/// say "nothing was changed" (an earlier attempt of it may have refunded).
pub(super) fn ledger_down(e: &LedgerError) -> Outcome {
    tracing::error!(error = %e, "idempotency table");
    Outcome::uncertain(
        "The idempotency table is unavailable, so this request's result cannot be checked now.",
        "Submit this same form again in a moment; it is never carried out twice.",
    )
}

pub(super) fn wrong_scope() -> Outcome {
    Outcome::refused(
        "This form was opened for a different action.",
        "Close it and open the action again.",
    )
}
