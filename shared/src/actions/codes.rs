//! The codes that stand for money (gift certificates, discount codes): unguessable, and still
//! exactly once.
//!
//! Why a random seed kept in the ledger, and not an HMAC under a key of the store secret:
//! * **A retry after a lost answer, a create that lands after we gave up.** The seed is written
//!   with the request's claim (`Ledger::claim`), before anything is sent to BigCommerce, and a
//!   record keeps it through every attempt (`take_over` never changes it): whichever attempt
//!   settles the request, now or 30 s later, derives the same code and finds the certificate or
//!   coupon an earlier attempt made. A claim is only ever released when nothing was made, so a
//!   fresh seed after a release cannot orphan a code.
//! * **Two agents submitting the same form** share one `requestId`, so one claim, so one seed:
//!   the second waits for the first's answer or settles it with the same code.
//! * **Key rotation** does not exist: there is no key. An HMAC key in the store secret would
//!   derive different codes after a rotation, and a request left uncertain across it would be
//!   created twice (its settle would look for a code that was never made); keeping old keys
//!   around to avoid that is a second secret to manage. A seed lives as long as its record
//!   (`KEEP_SECS`, far longer than any settle) and is never reused.
//! * **Nobody without the table can compute a code**: 122 bits from the operating system's
//!   random source (a v4 UUID's), and the code is an HMAC-SHA256 of the request under it. The
//!   `requestId` alone (in the form's URL, Gladly's logs, our audit lines) no longer tells it.
//!
//! Codes already issued stay valid at BigCommerce: nothing here touches them. A record claimed
//! by an earlier version has no seed (`Codes::legacy`): the attempt that takes it over gets a
//! fresh seed for anything it makes, and also looks for the code the earlier version derived
//! from the request id alone, so its create is still found.

use crate::ids::RequestId;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A request's secret: what its codes are made from. Never printed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CodeSeed([u8; 16]);

impl std::fmt::Debug for CodeSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeSeed(…)")
    }
}

impl CodeSeed {
    /// 122 random bits from the operating system (a v4 UUID's).
    pub fn random() -> Self {
        CodeSeed(uuid::Uuid::new_v4().into_bytes())
    }

    /// As the ledger keeps it: 32 hex digits.
    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let mut b = [0u8; 16];
        hex::decode_to_slice(text, &mut b).ok()?;
        Some(CodeSeed(b))
    }
}

/// What a request's codes are made from, as its claim holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codes {
    pub seed: CodeSeed,
    /// The record was claimed by a version that kept no seed: an earlier attempt may have made
    /// the code it derived from the request id alone.
    pub legacy: bool,
}

/// One kind of code: its prefix, and what keeps it apart from the other kinds.
#[derive(Debug, Clone, Copy)]
pub struct CodeKind {
    pub salt: &'static str,
    pub prefix: &'static str,
}

impl Codes {
    pub fn new(seed: CodeSeed) -> Self {
        Codes {
            seed,
            legacy: false,
        }
    }

    /// The code this request makes: `prefix` and 13 characters (65 bits of the HMAC).
    pub fn code(&self, id: &RequestId, kind: CodeKind) -> String {
        let (salt, id) = (kind.salt.as_bytes(), id.as_str().as_bytes());
        let digest = match <Hmac<Sha256> as Mac>::new_from_slice(&self.seed.0) {
            Ok(m) => m
                .chain_update(salt)
                .chain_update(id)
                .finalize()
                .into_bytes(),
            // HMAC takes a key of any length, so this does not happen; were it to, the seed
            // still keys the digest.
            Err(_) => Sha256::new()
                .chain_update(self.seed.0)
                .chain_update(salt)
                .chain_update(id)
                .finalize(),
        };
        encode(&digest, kind.prefix)
    }

    /// Every code an earlier attempt of this request may have made, this version's first.
    pub fn made(&self, id: &RequestId, kind: CodeKind) -> Vec<String> {
        let mut all = vec![self.code(id, kind)];
        if self.legacy {
            all.push(legacy_code(id, kind));
        }
        all
    }
}

/// The code versions before the seed derived from the request id alone (SHA-256 of
/// `salt` and the id): only ever looked for, never made again.
pub fn legacy_code(id: &RequestId, kind: CodeKind) -> String {
    encode(
        &Sha256::digest(format!("{}{id}", kind.salt).as_bytes()),
        kind.prefix,
    )
}

/// `prefix` and 13 characters of an unambiguous alphabet from the first 65 bits of `digest`.
fn encode(digest: &[u8], prefix: &str) -> String {
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut bits: u128 = 0;
    for b in digest.iter().take(9) {
        bits = (bits << 8) | u128::from(*b);
    }
    let tail: String = (0..13)
        .map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// Every kind of code this adaptor makes.
pub const KINDS: [CodeKind; 2] = [
    crate::actions::discount::run::CODE,
    crate::actions::gift_certificate::run::CODE,
];

/// How a code may stand in a log line: its last four characters.
pub fn masked(code: &str) -> String {
    let n = code.chars().count();
    let tail: String = code.chars().skip(n.saturating_sub(4)).collect();
    format!("…{tail}")
}

/// `text` with every code of ours in it masked to its prefix and last four characters
/// (`Gift certificate GC-…7KQ2 for $20.00 created`), for a log line above debug.
pub fn codes_in(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            match KINDS
                .iter()
                .find_map(|k| word.strip_prefix(k.prefix).map(|rest| (k.prefix, rest)))
            {
                Some((prefix, rest)) if !rest.is_empty() => format!("{prefix}{}", masked(rest)),
                _ => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: CodeKind = CodeKind {
        salt: "gift-certificate:",
        prefix: "GC-",
    };

    fn rid(s: &str) -> RequestId {
        RequestId::parse(s).unwrap_or_else(RequestId::new_random)
    }

    #[test]
    fn the_same_seed_makes_the_same_code_and_another_seed_another() {
        let id = rid("0123456789abcdef");
        let seed = CodeSeed::random();
        let a = Codes::new(seed);
        assert_eq!(a.code(&id, K), a.code(&id, K));
        assert_eq!(CodeSeed::from_hex(&seed.to_hex()), Some(seed));
        assert_ne!(a.code(&id, K), Codes::new(CodeSeed::random()).code(&id, K));
        assert_ne!(
            a.code(&id, K),
            legacy_code(&id, K),
            "not computable from the id"
        );
        assert_eq!(a.made(&id, K).len(), 1);
        let old = Codes { legacy: true, ..a };
        assert_eq!(old.made(&id, K)[1], legacy_code(&id, K));
        assert!(!format!("{seed:?}").contains(&seed.to_hex()[..6]));
    }

    #[test]
    fn earlier_versions_codes_are_still_found() {
        // The code `code_from(id, "gift-certificate:", "GC-")` made before the seed.
        let id = rid("0123456789abcdef");
        let c = legacy_code(&id, K);
        assert!(c.starts_with("GC-") && c.len() == 16, "{c}");
        assert_eq!(masked(&c).chars().count(), 5);
        assert!(c.ends_with(masked(&c).trim_start_matches('…')));
    }

    #[test]
    fn log_text_keeps_only_a_codes_last_four_characters() {
        let id = rid("0123456789abcdef");
        let codes = Codes::new(CodeSeed::random());
        for kind in KINDS {
            let code = codes.code(&id, kind);
            let line = codes_in(&format!("Made {code} for $20.00"));
            assert!(!line.contains(&code[kind.prefix.len()..][..9]), "{line}");
            assert_eq!(
                line,
                format!("Made {}{} for $20.00", kind.prefix, masked(&code))
            );
        }
        assert_eq!(codes_in("Refunded $5.00 GC-"), "Refunded $5.00 GC-");
    }
}
