//! Phone numbers as shoppers type them ("(512) 555-0100", "15125550100", "+44 20 7946 0958"):
//! normalise before comparing, and know which spellings to ask BigCommerce for.

/// The digits alone.
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// E.164 (`+15125550100`) where the number says enough to know its country: an explicit `+` or
/// `00` prefix, or a North American number (10 digits, or 11 starting with 1).
pub fn to_e164(s: &str) -> Option<String> {
    let t = s.trim();
    let d = digits(t);
    let international = if t.starts_with('+') {
        Some(d.clone())
    } else if let Some(rest) = d.strip_prefix("00") {
        Some(rest.to_string())
    } else if d.len() == 11 && d.starts_with('1') {
        Some(d.clone())
    } else if d.len() == 10 && !d.starts_with('0') && !d.starts_with('1') {
        Some(format!("1{d}"))
    } else {
        None
    }?;
    (8..=15)
        .contains(&international.len())
        .then(|| format!("+{international}"))
}

/// Whether two spellings name the same line. A national form with a trunk `0`
/// ("020 7946 0958") matches its international form ("+44 20 7946 0958").
pub fn same_number(a: &str, b: &str) -> bool {
    let (da, db) = (digits(a), digits(b));
    if da.len() < 7 || db.len() < 7 {
        return false;
    }
    if da == db {
        return true;
    }
    if let (Some(ea), Some(eb)) = (to_e164(a), to_e164(b)) {
        return ea == eb;
    }
    let national = |d: &str| d.strip_prefix('0').map(String::from);
    let trunk_match = |nat: &str, intl: &str| {
        national(nat).is_some_and(|n| n.len() >= 7 && intl.ends_with(&n) && intl.len() > n.len())
    };
    trunk_match(&da, &db) || trunk_match(&db, &da)
}

/// Spellings of one number that shops commonly store, for an exact-match `phone:in` search.
pub fn search_spellings(s: &str) -> Vec<String> {
    let mut out = vec![s.trim().to_string()];
    let d = digits(s);
    if d.len() < 7 {
        return Vec::new();
    }
    out.push(d.clone());
    if let Some(e) = to_e164(s) {
        out.push(e.clone());
        let intl = &e[1..];
        if let Some(n) = intl.strip_prefix('1').filter(|n| n.len() == 10) {
            let (a, b, c) = (&n[..3], &n[3..6], &n[6..]);
            out.extend([
                n.to_string(),
                format!("1{n}"),
                format!("({a}) {b}-{c}"),
                format!("{a}-{b}-{c}"),
                format!("{a}.{b}.{c}"),
                format!("{a} {b} {c}"),
                format!("1-{a}-{b}-{c}"),
                format!("+1 {a}-{b}-{c}"),
                format!("+1 ({a}) {b}-{c}"),
                format!("+1 {a} {b} {c}"),
            ]);
        }
    }
    if let Some(e) = to_e164(s).filter(|e| !e.starts_with("+1")) {
        out.extend(international_spellings(&e[1..]));
    }
    let mut seen: Vec<String> = Vec::new();
    for x in out {
        if !x.is_empty() && !x.contains(',') && !seen.contains(&x) {
            seen.push(x);
        }
    }
    seen
}

/// Two-digit ITU country codes outside zone 4 (where all are two digits but 420, 421, 423).
const TWO_DIGIT_CODES: [&str; 35] = [
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "51", "52", "53", "54", "55", "56", "57",
    "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93",
    "94", "95", "98",
];

/// Length of the ITU country code at the start of international digits.
fn country_code_len(d: &str) -> usize {
    if d.starts_with('1') || d.starts_with('7') {
        1
    } else if ["420", "421", "423"].iter().any(|p| d.starts_with(p)) {
        3
    } else if d.starts_with('4') || TWO_DIGIT_CODES.iter().any(|p| d.starts_with(p)) {
        2
    } else {
        3
    }
}

/// Common ways a number outside North America is written: `+44 20 7946 0958`,
/// `020 7946 0958`, `+81 3-5555-0121`, grouped as national plans usually group them.
fn international_spellings(intl: &str) -> Vec<String> {
    let cc_len = country_code_len(intl);
    let Some((cc, nsn)) = (intl.len() > cc_len + 5).then(|| intl.split_at(cc_len)) else {
        return Vec::new();
    };
    let groupings: &[&[usize]] = match nsn.len() {
        8 => &[&[2, 6], &[1, 3, 4], &[4, 4], &[2, 3, 3]],
        9 => &[&[1, 4, 4], &[1, 2, 2, 2, 2], &[3, 3, 3], &[2, 3, 4]],
        10 => &[&[2, 4, 4], &[3, 3, 4], &[4, 6], &[4, 3, 3], &[3, 7]],
        11 => &[&[3, 4, 4], &[4, 3, 4], &[5, 6]],
        _ => &[],
    };
    let mut out = vec![
        format!("+{cc} {nsn}"),
        format!("0{nsn}"),
        format!("00{intl}"),
    ];
    for g in groupings {
        let mut parts = Vec::new();
        let mut rest = nsn;
        for n in *g {
            let (a, b) = rest.split_at((*n).min(rest.len()));
            parts.push(a);
            rest = b;
        }
        for sep in [" ", "-"] {
            let grouped = parts.join(sep);
            out.push(format!("+{cc} {grouped}"));
            out.push(format!("0{grouped}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_where_the_country_is_known() {
        assert_eq!(to_e164("(512) 555-0100").as_deref(), Some("+15125550100"));
        assert_eq!(to_e164("15125550100").as_deref(), Some("+15125550100"));
        assert_eq!(
            to_e164("+1 (305) 555-0114").as_deref(),
            Some("+13055550114")
        );
        assert_eq!(
            to_e164("+44 20 7946 0958").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            to_e164("0044 20 7946 0958").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            to_e164("020 7946 0958"),
            None,
            "national UK number: country unknown"
        );
        assert_eq!(to_e164("555-0100"), None);
        assert_eq!(to_e164(""), None);
    }

    #[test]
    fn comparisons_ignore_formatting() {
        assert!(same_number("(512) 555-0100", "+15125550100"));
        assert!(same_number("512.555.0100", "1-512-555-0100"));
        assert!(same_number("+44 20 7946 0958", "020 7946 0958"));
        assert!(!same_number("(512) 555-0100", "(512) 555-0101"));
        assert!(!same_number("", ""));
        assert!(
            !same_number("0100", "+15125550100"),
            "too short to mean anything"
        );
    }

    #[test]
    fn spellings_cover_common_us_formats() {
        let s = search_spellings("+15125550100");
        for want in [
            "(512) 555-0100",
            "512-555-0100",
            "5125550100",
            "15125550100",
            "+15125550100",
        ] {
            assert!(s.contains(&want.to_string()), "{want} in {s:?}");
        }
        assert!(search_spellings("12").is_empty());
        let uk = search_spellings("+442079460958");
        for want in ["+44 20 7946 0958", "020 7946 0958", "+442079460958"] {
            assert!(uk.contains(&want.to_string()), "{want} in {uk:?}");
        }
        assert!(search_spellings("+81355550121").contains(&"+81 3-5555-0121".to_string()));
        assert!(search_spellings("+33155550122").contains(&"+33 1 55 55 01 22".to_string()));
        assert!(search_spellings("+35315550104").contains(&"+353 1 555 0104".to_string()));
    }
}
