use thiserror::Error;

/// What can go wrong talking to BigCommerce. Messages never include the token.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum BcError {
    #[error("BigCommerce refused the access token (401)")]
    Unauthorized,
    /// 403: the API account lacks `scope` (as BigCommerce's API account form names it).
    #[error("the BigCommerce API account lacks the {scope} scope (403)")]
    Forbidden { scope: &'static str },
    #[error("BigCommerce is rate limiting this store (429) and the wait would pass the deadline")]
    RateLimited,
    /// Not sent: the adaptor's share of the store's API quota (`quota_share`) is spent for this
    /// window, and the rest is the merchant's other apps'.
    #[error("not sent: the adaptor's share of the store's API quota is spent for this window")]
    OverShare,
    #[error("BigCommerce answered {0}")]
    Unavailable(u16),
    #[error("BigCommerce did not answer in time")]
    Timeout,
    /// A write left unsent: too little of the deadline remained for BigCommerce to finish it.
    #[error("not sent: too little time left to wait for BigCommerce")]
    NotSent,
    #[error("could not reach BigCommerce: {0}")]
    Network(String),
    #[error("BigCommerce sent an answer we cannot read: {0}")]
    Decode(String),
    /// A 4xx other than 401/403/404/429: BigCommerce's own words, for the agent.
    #[error("BigCommerce refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
}

impl BcError {
    /// Worth another try for a read: the store may answer next time.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            BcError::Unavailable(_) | BcError::Timeout | BcError::Network(_)
        )
    }
}
