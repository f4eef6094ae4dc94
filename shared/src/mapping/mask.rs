//! Shopper contact details in logs above debug level: enough to correlate, not to identify.

/// `j***@example.com`
pub fn email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// `text` with every email in it masked (`discount:customer:guest:j***@example.com`), for ids
/// and keys that may hold a guest's email.
pub fn emails_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.contains('@') {
            out.push_str(&email(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace()
            || matches!(
                c,
                ':' | '/' | ',' | ';' | '(' | ')' | '[' | ']' | '<' | '>' | '"' | '\''
            )
        {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `***0100`
pub fn phone(s: &str) -> String {
    let d = super::phone::digits(s);
    let tail: String = d.chars().skip(d.len().saturating_sub(4)).collect();
    format!("***{tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks() {
        assert_eq!(super::email("jane.doe@example.com"), "j***@example.com");
        assert_eq!(super::email("nonsense"), "***");
        assert_eq!(super::phone("(512) 555-0100"), "***0100");
        assert_eq!(super::phone("12"), "***12");
        assert_eq!(
            super::emails_in("discount:customer:guest:jane.doe@example.com"),
            "discount:customer:guest:j***@example.com"
        );
        assert_eq!(super::emails_in("refund:order:101"), "refund:order:101");
    }
}
