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
    }
}
