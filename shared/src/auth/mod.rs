//! Who may call us. Gladly authenticates with a request signature, Basic auth, or both; each one
//! the store secret configures is required, and with none configured every request is refused so
//! that nothing is served unauthenticated by accident.

mod basic;
mod signature;

pub use basic::BasicCredentials;
pub use signature::{sign, SignatureInput, SIGNATURE_MAX_SKEW};

use chrono::{DateTime, Utc};
use http::HeaderMap;
use secrecy::SecretString;

/// The auth keys from the store secret.
#[derive(Clone, Default)]
pub struct AuthKeys {
    pub signing_key: Option<SecretString>,
    pub basic: Option<BasicCredentials>,
}

impl std::fmt::Debug for AuthKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthKeys")
            .field("signing_key", &self.signing_key.as_ref().map(|_| "[set]"))
            .field("basic", &self.basic.as_ref().map(|_| "[set]"))
            .finish()
    }
}

/// The parts of an HTTP request that authentication looks at.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// The path as it came over the wire (API Gateway's `rawPath`).
    pub path: &'a str,
    /// The raw query string without `?`, empty when there is none.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Why a request was refused. Every variant is a 401; the text is safe to show the caller
/// (it never repeats a credential or signature).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("this integration has no Gladly auth configured (set gladly_signing_key or gladly_basic_username/gladly_basic_password in the store secret)")]
    NotConfigured,
    #[error("missing Gladly-Authorization header")]
    MissingSignature,
    #[error("malformed Gladly-Authorization header: {0}")]
    MalformedSignature(&'static str),
    #[error("unsupported signing algorithm (expected hmac-sha256)")]
    UnsupportedAlgorithm,
    #[error("gladly-time must be one of the signed headers")]
    TimeNotSigned,
    #[error("signed header {0} is missing from the request")]
    SignedHeaderMissing(String),
    #[error("Gladly-Time is not of the form YYYYMMDDTHHMMSSZ")]
    MalformedTime,
    #[error("Gladly-Time is more than 5 minutes from now")]
    StaleTime,
    #[error("request signature does not match")]
    BadSignature,
    #[error("missing or malformed Basic Authorization header")]
    MissingBasic,
    #[error("Basic credentials do not match")]
    BadBasic,
}

impl AuthError {
    /// A signature can fail only because our cached key is older than Gladly's: worth one
    /// refetch of the secret before refusing.
    pub fn may_be_stale_key(&self) -> bool {
        matches!(self, AuthError::BadSignature | AuthError::BadBasic)
    }
}

/// Checks every configured method; all of them must pass.
pub fn authenticate(
    keys: &AuthKeys,
    req: &RequestParts<'_>,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    if keys.signing_key.is_none() && keys.basic.is_none() {
        return Err(AuthError::NotConfigured);
    }
    if let Some(creds) = &keys.basic {
        basic::verify(creds, req.headers)?;
    }
    if let Some(key) = &keys.signing_key {
        signature::verify(key, req, now)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_configured_refuses_everything() {
        let headers = HeaderMap::new();
        let req = RequestParts {
            method: "POST",
            path: "/lookup",
            query: "",
            headers: &headers,
            body: b"{}",
        };
        assert_eq!(
            authenticate(&AuthKeys::default(), &req, Utc::now()),
            Err(AuthError::NotConfigured)
        );
    }

    #[test]
    fn debug_never_shows_keys() {
        let keys = AuthKeys {
            signing_key: Some(SecretString::from("super-secret-key")),
            basic: Some(BasicCredentials::new("gladly", "hunter2")),
        };
        let shown = format!("{keys:?}");
        assert!(!shown.contains("super-secret-key"));
        assert!(!shown.contains("hunter2"));
    }
}
