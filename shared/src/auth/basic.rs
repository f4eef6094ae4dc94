//! HTTP Basic auth, compared in constant time.

use super::AuthError;
use base64::Engine;
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The username and password Gladly is configured to send.
#[derive(Clone)]
pub struct BasicCredentials {
    username: SecretString,
    password: SecretString,
}

impl BasicCredentials {
    pub fn new(username: &str, password: &str) -> Self {
        Self {
            username: SecretString::from(username),
            password: SecretString::from(password),
        }
    }
}

pub(super) fn verify(expected: &BasicCredentials, headers: &HeaderMap) -> Result<(), AuthError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::MissingBasic)?;
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or(AuthError::MissingBasic)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AuthError::MissingBasic);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| AuthError::MissingBasic)?;
    let decoded = String::from_utf8(decoded).map_err(|_| AuthError::MissingBasic)?;
    let (user, pass) = decoded.split_once(':').ok_or(AuthError::MissingBasic)?;
    // Hash first so that neither the comparison time nor its length leaks anything.
    let user_ok = digest_eq(user, expected.username.expose_secret());
    let pass_ok = digest_eq(pass, expected.password.expose_secret());
    if bool::from(user_ok & pass_ok) {
        Ok(())
    } else {
        Err(AuthError::BadBasic)
    }
}

fn digest_eq(a: &str, b: &str) -> subtle::Choice {
    Sha256::digest(a.as_bytes()).ct_eq(&Sha256::digest(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    fn basic(user: &str, pass: &str) -> String {
        let raw = format!("{user}:{pass}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    #[test]
    fn matching_credentials_pass() {
        let creds = BasicCredentials::new("gladly", "s3cret:with:colons");
        assert_eq!(
            verify(&creds, &with_auth(&basic("gladly", "s3cret:with:colons"))),
            Ok(())
        );
    }

    #[test]
    fn wrong_or_missing_credentials_fail() {
        let creds = BasicCredentials::new("gladly", "s3cret");
        assert_eq!(
            verify(&creds, &with_auth(&basic("gladly", "wrong"))),
            Err(AuthError::BadBasic)
        );
        assert_eq!(
            verify(&creds, &with_auth(&basic("other", "s3cret"))),
            Err(AuthError::BadBasic)
        );
        assert_eq!(
            verify(&creds, &HeaderMap::new()),
            Err(AuthError::MissingBasic)
        );
        for bad in ["Bearer abc", "Basic", "Basic !!!", "Basic Z2xhZGx5"] {
            assert_eq!(
                verify(&creds, &with_auth(bad)),
                Err(AuthError::MissingBasic),
                "{bad}"
            );
        }
    }
}
