//! Phone numbers as shoppers type them ("(512) 555-0100", "020 7946 0958", "98765 43210"):
//! parsed and formatted with Google's libphonenumber metadata (the `phonenumber` crate), a
//! number without a country code read as one of the store's country. E.164 in profiles; for a
//! search, the spellings shops commonly store, since BigCommerce matches the stored string
//! exactly.

use phonenumber::country::Id;
use phonenumber::{Mode, PhoneNumber};

/// Longest input worth parsing: more is not a phone number, and bounds the parser's work.
const MAX_LEN: usize = 64;

/// The country a number without a country code belongs to: the store's (`GET /v2/store`
/// `country_code`), or the secret's `default_phone_region`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(Id);

impl Region {
    /// An ISO 3166 alpha-2 code libphonenumber knows (`GB`, `in`); `None` otherwise.
    pub fn new(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_uppercase();
        if code.len() != 2 {
            return None;
        }
        code.parse::<Id>().ok().map(Region)
    }

    pub fn us() -> Self {
        Region(Id::US)
    }

    pub fn code(&self) -> &str {
        self.0.as_ref()
    }
}

impl Default for Region {
    fn default() -> Self {
        Self::us()
    }
}

/// The digits alone.
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The library is third-party code fed shoppers' text: a panic in it must not take a lookup
/// down with it.
fn guarded<T>(f: impl FnOnce() -> Option<T>) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .ok()
        .flatten()
}

/// The number `s` names, read as one of `region` unless it says otherwise (`+44…`, `0044…`).
/// Numbers libphonenumber deems impossible are still returned (`valid` says which).
fn parse(s: &str, region: Region) -> Option<(PhoneNumber, bool)> {
    let t = s.trim();
    let d = digits(t);
    if t.len() > MAX_LEN || d.len() < 5 {
        return None;
    }
    // A number that carries its country code is parsed without a default region: the crate
    // would otherwise strip the default region's trunk prefix from it ("+49 151…" read in a
    // US store lost the "1" of 151).
    let attempt = |text: &str| {
        let default = (!text.trim_start().starts_with('+')).then_some(region.0);
        guarded(|| {
            let n = phonenumber::parse(default, text).ok()?;
            let valid = n.is_valid();
            Some((n, valid))
        })
    };
    let first = attempt(t);
    if first.as_ref().is_some_and(|(_, valid)| *valid) {
        return first;
    }
    // "0044 20 …" is international from most countries, but not from North America (011).
    if let Some(rest) = d.strip_prefix("00").filter(|_| t.starts_with("00")) {
        if let Some(found) = attempt(&format!("+{rest}")).filter(|(_, valid)| *valid) {
            return Some(found);
        }
    }
    first
}

fn format(n: &PhoneNumber, mode: Mode) -> Option<String> {
    guarded(|| Some(n.format().mode(mode).to_string()))
}

/// E.164 (`+442079460958`) for a valid number; `None` when the text does not name one.
pub fn to_e164(s: &str, region: Region) -> Option<String> {
    parse(s, region)
        .filter(|(_, valid)| *valid)
        .and_then(|(n, _)| format(&n, Mode::E164))
}

/// Whether two spellings name the same line, reading numbers without a country code as
/// `region`'s; a spelling that is no valid number there is also read as the other one's country
/// (an Indian shopper's "98765 43210" in a US store is +91 98765 43210 when that is asked for).
pub fn same_number(a: &str, b: &str, region: Region) -> bool {
    let (da, db) = (digits(a), digits(b));
    if da.len() < 7 || db.len() < 7 {
        return false;
    }
    if da == db {
        return true;
    }
    let same = |x: &PhoneNumber, y: &PhoneNumber| {
        x.code().value() == y.code().value() && x.national().value() == y.national().value()
    };
    let (pa, pb) = (parse(a, region), parse(b, region));
    if let (Some((x, _)), Some((y, _))) = (&pa, &pb) {
        if same(x, y) {
            return true;
        }
    }
    for (text, own, other) in [(a, &pa, &pb), (b, &pb, &pa)] {
        let valid_here = own.as_ref().is_some_and(|(_, valid)| *valid);
        let Some((o, true)) = other else { continue };
        let Some(id) = o.country().id() else { continue };
        if !valid_here {
            if let Some((x, true)) = parse(text, Region(id)) {
                if same(&x, o) {
                    return true;
                }
            }
        }
    }
    false
}

/// A number Gladly asked for (auto-link or search sends E.164; an agent may type a national
/// spelling, read as the store's country's), parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    /// `+819012345678`: what Gladly holds, and what a match answers as the shopper's MOBILE.
    e164: String,
    /// The number's country, when libphonenumber deems the number valid.
    region: Option<Region>,
}

impl Asked {
    pub fn parse(text: &str, store: Region) -> Option<Self> {
        let (n, valid) = parse(text, store)?;
        let e164 = format(&n, Mode::E164)?;
        let region = if valid {
            n.country().id().map(Region)
        } else {
            None
        };
        Some(Asked { e164, region })
    }

    pub fn e164(&self) -> &str {
        &self.e164
    }
}

/// How a shopper's stored spellings are read: the first country in which libphonenumber deems
/// a spelling valid wins, in this order: the number's own country code; the country of a number
/// Gladly asked for, if the spelling is that very number there; the shopper's address
/// countries; the store's country. A spelling valid in none is shown as typed, never as a wrong
/// E.164.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading<'a> {
    asked: &'a [Asked],
    regions: Vec<Region>,
}

impl<'a> Reading<'a> {
    /// `homes`: the shopper's address countries (ISO alpha-2, in their order; unknown ones are
    /// skipped); `store`: the store's country or the secret's `default_phone_region`.
    pub fn new<'h>(
        asked: &'a [Asked],
        homes: impl IntoIterator<Item = &'h str>,
        store: Region,
    ) -> Self {
        let mut regions: Vec<Region> = Vec::new();
        for r in homes.into_iter().filter_map(Region::new).chain([store]) {
            if !regions.contains(&r) {
                regions.push(r);
            }
        }
        Reading { asked, regions }
    }

    /// The first country tried after the number's own: the shopper's, else the store's.
    pub fn home(&self) -> Region {
        self.regions.first().copied().unwrap_or_default()
    }

    /// The store's country (or `default_phone_region`): the last country tried.
    fn fallback(&self) -> Region {
        self.regions.last().copied().unwrap_or_default()
    }

    /// E.164 of a stored spelling, or `None` when it is valid in none of the countries tried.
    pub fn e164(&self, stored: &str) -> Option<String> {
        let t = stored.trim();
        if t.len() > MAX_LEN || digits(t).len() < 5 {
            return None;
        }
        let valid_e164 = |region: Region| {
            parse(t, region)
                .filter(|(_, valid)| *valid)
                .and_then(|(n, _)| format(&n, Mode::E164))
        };
        // "+81 …" or "0081 …": the country code is the number's own; a region cannot change it.
        if let Some(d) = own_code(t) {
            let own = parse(&format!("+{d}"), self.fallback())
                .filter(|(_, valid)| *valid)
                .and_then(|(n, _)| format(&n, Mode::E164));
            if own.is_some() {
                return own;
            }
        }
        for a in self.asked {
            if let Some(region) = a.region {
                if valid_e164(region).as_deref() == Some(a.e164.as_str()) {
                    return Some(a.e164.clone());
                }
            }
        }
        self.regions.iter().find_map(|r| valid_e164(*r))
    }

    /// The number Gladly asked for that this stored spelling names, if any (as E.164). A number
    /// that is possible but valid nowhere (`+44 7700 900…`, the UK's numbers for fiction) is
    /// named only by a spelling carrying the same country code and digits, so no reading in
    /// another country can link it to a stranger.
    pub fn names_asked(&self, stored: &str) -> Option<&'a Asked> {
        let read = self.e164(stored);
        self.asked.iter().find(|a| match a.region {
            Some(_) => read.as_deref() == Some(a.e164.as_str()),
            None => own_code(stored.trim()).is_some_and(|d| format!("+{d}") == a.e164),
        })
    }
}

/// The digits after `+` or `00` of a spelling that carries its own country code.
fn own_code(t: &str) -> Option<String> {
    let d = digits(t);
    if t.starts_with('+') {
        Some(d)
    } else if t.starts_with("00") {
        d.strip_prefix("00").map(String::from)
    } else {
        None
    }
}

/// Digit groups of a formatted number: "020 7946 0958" → ["020", "7946", "0958"].
fn groups(formatted: &str) -> Vec<String> {
    formatted
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(String::from)
        .collect()
}

/// Spellings of one number that shops commonly store, for an exact-match `phone:in` search:
/// E.164, the national and international formats of the number's own country, with spaces,
/// dashes, dots or nothing between the groups, with and without the trunk prefix, and `00`
/// for `+`. A text that names no number yields itself and its digits.
pub fn search_spellings(s: &str, region: Region) -> Vec<String> {
    let d = digits(s);
    if d.len() < 7 {
        return Vec::new();
    }
    let mut out = vec![s.trim().to_string(), d];
    if let Some((n, _)) = parse(s, region) {
        let cc = n.code().value().to_string();
        let nsn = n.national().value().to_string();
        let national = format(&n, Mode::National).unwrap_or_default();
        let international = format(&n, Mode::International).unwrap_or_default();
        out.extend([
            format!("+{cc}{nsn}"),
            format!("{cc}{nsn}"),
            format!("00{cc}{nsn}"),
            nsn.clone(),
            national.clone(),
            international.clone(),
        ]);
        // The trunk prefix as the national format writes it ("0" in "020 …", none for "(512) …").
        let national_digits = digits(&national);
        let trunk = national_digits
            .strip_suffix(nsn.as_str())
            .unwrap_or("")
            .to_string();
        let nat_groups = groups(&national);
        let mut intl_groups = groups(&international);
        if intl_groups.first() == Some(&cc) {
            intl_groups.remove(0);
        }
        // The national groups without the trunk prefix ("98765 43210" for "098765 43210").
        let mut bare_groups = nat_groups.clone();
        if !trunk.is_empty() {
            if let Some(first) = bare_groups.first_mut() {
                if let Some(rest) = first.strip_prefix(trunk.as_str()) {
                    *first = rest.to_string();
                }
            }
            bare_groups.retain(|g| !g.is_empty());
            out.push(format!("{trunk}{nsn}"));
        }
        for sep in [" ", "-", "."] {
            out.push(nat_groups.join(sep));
            out.push(bare_groups.join(sep));
            if !intl_groups.is_empty() {
                out.push(format!("+{cc} {}", intl_groups.join(sep)));
                out.push(format!("+{cc}{sep}{}", intl_groups.join(sep)));
                out.push(format!("00{cc} {}", intl_groups.join(sep)));
            }
        }
        // Area or mobile prefix, then the rest in one block, as many write by hand whatever
        // the official grouping: "0151 23456789", "0151/23456789", "+49 151 23456789".
        for k in 1..=4.min(nsn.len().saturating_sub(4)) {
            let (area, rest) = nsn.split_at(k);
            for sep in [" ", "-", "/"] {
                out.push(format!("{trunk}{area}{sep}{rest}"));
            }
            out.push(format!("+{cc} {area} {rest}"));
        }
        // North America: "(512) 555-0100" and the "1" long-distance prefix.
        if cc == "1" && nsn.len() == 10 {
            let (a, b, c) = (&nsn[..3], &nsn[3..6], &nsn[6..]);
            out.extend([
                format!("1{nsn}"),
                format!("({a}) {b}-{c}"),
                format!("({a}){b}-{c}"),
                format!("1-{a}-{b}-{c}"),
                format!("1 {a} {b} {c}"),
                format!("1 ({a}) {b}-{c}"),
                format!("+1 ({a}) {b}-{c}"),
            ]);
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for x in out {
        let x = x.trim().to_string();
        if digits(&x).len() >= 7 && !x.contains(',') && !seen.contains(&x) {
            seen.push(x);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: &str) -> Region {
        Region::new(code).unwrap_or_default()
    }

    #[test]
    fn regions_are_checked() {
        assert_eq!(
            Region::new(" gb ").map(|r| r.code().to_string()),
            Some("GB".into())
        );
        assert!(Region::new("ZZZ").is_none());
        assert!(Region::new("QQ").is_none());
        assert_eq!(Region::default(), Region::us());
    }

    #[test]
    fn junk_is_no_number_and_never_panics() {
        for junk in [
            "",
            "n/a",
            "555-0100",
            "++++",
            "+",
            "00",
            "0000000000000000000000000000000000000000000000000000000000000000000000",
            "+999 999 999 999",
            "tel:;;;",
            "📞 12345678",
            "+1 (((((555",
        ] {
            assert_eq!(to_e164(junk, r("US")), None, "{junk}");
            let _ = search_spellings(junk, r("GB"));
            let _ = same_number(junk, junk, r("IN"));
        }
    }
}
