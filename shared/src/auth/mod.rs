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

/// The shortest signing key accepted, in bytes: HMAC-SHA256's own size. Gladly's keys are
/// longer; a short one can be guessed from a few signed requests.
pub const MIN_SIGNING_KEY_BYTES: usize = 32;

/// The repository's demo signing key. It is public (README, `events/`, scripts), so it is
/// accepted only where the store is the local sandbox (see `signing_key`).
pub const DEMO_SIGNING_KEY: &str = "public-demo-signing-key-for-the-local-sandbox-only";

/// Why the store secret's `gladly_signing_key` is not used: every request is then refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefused {
    #[error("it is {bytes} bytes long, and a signing key must have at least {MIN_SIGNING_KEY_BYTES} (use the key Gladly generates)")]
    TooShort { bytes: usize },
    #[error("it is the repository's public demo key, accepted only with the local sandbox store (api_base_url on 127.0.0.1, ::1 or localhost, or host.docker.internal under sam local)")]
    DemoKey,
}

/// The store secret's signing key, or why it is refused. `store_is_local`: the secret's
/// `api_base_url` is this machine (the sandbox store; from `sam local`'s container, the machine
/// running it), which only the sandbox sets up: a deployed function's store is BigCommerce.
pub fn signing_key(raw: &str, store_is_local: bool) -> Result<SecretString, KeyRefused> {
    if raw == DEMO_SIGNING_KEY {
        if !store_is_local {
            return Err(KeyRefused::DemoKey);
        }
    } else if raw.len() < MIN_SIGNING_KEY_BYTES {
        return Err(KeyRefused::TooShort { bytes: raw.len() });
    }
    Ok(SecretString::from(raw))
}

/// The auth keys from the store secret.
#[derive(Clone, Default)]
pub struct AuthKeys {
    pub signing_key: Option<SecretString>,
    pub basic: Option<BasicCredentials>,
    /// The secret's signing key was refused: every request is, until the secret is fixed.
    pub refused: Option<KeyRefused>,
}

impl std::fmt::Debug for AuthKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthKeys")
            .field("signing_key", &self.signing_key.as_ref().map(|_| "[set]"))
            .field("basic", &self.basic.as_ref().map(|_| "[set]"))
            .field("refused", &self.refused)
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

/// Why a request was refused. Every variant is a 401 whose body says only "unauthorized"; the
/// text is for the log (it never repeats a credential or signature).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("this integration has no Gladly auth configured (set gladly_signing_key or gladly_basic_username/gladly_basic_password in the store secret)")]
    NotConfigured,
    #[error("the store secret's gladly_signing_key is refused: {0}")]
    KeyRefused(KeyRefused),
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
    /// A signature can fail only because our cached key is older than Gladly's (or the
    /// refused key has been replaced since): worth one refetch of the secret before refusing.
    pub fn may_be_stale_key(&self) -> bool {
        matches!(
            self,
            AuthError::BadSignature | AuthError::BadBasic | AuthError::KeyRefused(_)
        )
    }

    /// The store's setup is at fault, not the caller: the admin must fix the secret.
    pub fn is_setup(&self) -> bool {
        matches!(self, AuthError::NotConfigured | AuthError::KeyRefused(_))
    }
}

/// Checks every configured method; all of them must pass.
pub fn authenticate(
    keys: &AuthKeys,
    req: &RequestParts<'_>,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    if let Some(why) = keys.refused {
        return Err(AuthError::KeyRefused(why));
    }
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

    /// An unsigned `POST /lookup`.
    fn unsigned(headers: &HeaderMap) -> RequestParts<'_> {
        RequestParts {
            method: "POST",
            path: "/lookup",
            query: "",
            headers,
            body: b"{}",
        }
    }

    #[test]
    fn nothing_configured_refuses_everything() {
        let headers = HeaderMap::new();
        let req = unsigned(&headers);
        assert_eq!(
            authenticate(&AuthKeys::default(), &req, Utc::now()),
            Err(AuthError::NotConfigured)
        );
    }

    #[test]
    fn short_keys_are_refused_and_the_demo_key_only_with_the_local_store() {
        let long = "k".repeat(MIN_SIGNING_KEY_BYTES);
        assert!(signing_key(&long, false).is_ok());
        assert_eq!(
            signing_key(&long[1..], false).err(),
            Some(KeyRefused::TooShort { bytes: 31 })
        );
        assert_eq!(
            signing_key("k", true).err(),
            Some(KeyRefused::TooShort { bytes: 1 })
        );
        // 35 bytes in 19 characters: bytes count, not characters.
        assert!(signing_key("ключ-ключ-ключ-ключ", false).is_ok());
        assert!(DEMO_SIGNING_KEY.len() >= MIN_SIGNING_KEY_BYTES);
        assert!(signing_key(DEMO_SIGNING_KEY, true).is_ok());
        assert_eq!(
            signing_key(DEMO_SIGNING_KEY, false).err(),
            Some(KeyRefused::DemoKey)
        );
        let why = AuthError::KeyRefused(KeyRefused::TooShort { bytes: 1 }).to_string();
        assert!(
            why.contains("gladly_signing_key") && why.contains("32"),
            "{why}"
        );
    }

    #[test]
    fn a_refused_key_refuses_everything_even_with_basic_auth() {
        let headers = HeaderMap::new();
        let req = unsigned(&headers);
        let keys = AuthKeys {
            signing_key: None,
            basic: Some(BasicCredentials::new("gladly", "hunter2")),
            refused: Some(KeyRefused::DemoKey),
        };
        assert_eq!(
            authenticate(&keys, &req, Utc::now()),
            Err(AuthError::KeyRefused(KeyRefused::DemoKey))
        );
    }

    #[test]
    fn debug_never_shows_keys() {
        let keys = AuthKeys {
            signing_key: Some(SecretString::from("super-secret-key")),
            basic: Some(BasicCredentials::new("gladly", "hunter2")),
            refused: None,
        };
        let shown = format!("{keys:?}");
        assert!(!shown.contains("super-secret-key"));
        assert!(!shown.contains("hunter2"));
    }
}
