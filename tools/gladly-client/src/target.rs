//! Where requests go: one API Gateway base URL, or `cargo lambda watch` with a path prefix per
//! function.

pub struct Target {
    base: String,
    local: bool,
}

impl Target {
    /// Whether this is `cargo lambda watch` on this machine, not a deployed API.
    pub fn is_local(&self) -> bool {
        self.local
    }

    pub fn new(base: &str, local: bool) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            local,
        }
    }

    /// The function that serves a path, as the SAM template routes it.
    pub fn function_for(path: &str) -> &'static str {
        let p = path.split('?').next().unwrap_or(path);
        let seg: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        // Every action route also answers under /lookup.
        let seg = match seg.as_slice() {
            ["lookup", rest @ ..] if !rest.is_empty() => rest,
            all => all,
        };
        match seg {
            [] | ["lookup"] => "lookup-customer",
            ["orders", _, "cancel", ..] => "cancel-order",
            ["orders", _, "refund", ..] => "refund-order",
            ["customers", _, "discount", ..] => "create-discount",
            ["orders", _, "address", ..] => "update-address",
            ["orders", _, "note", ..] => "add-order-note",
            ["orders", _, "replacement", ..] => "create-replacement",
            ["customers", _, "gift-certificate", ..] => "create-gift-certificate",
            ["customers", _, "store-credit", ..] => "add-store-credit",
            _ => "lookup-orders",
        }
    }

    pub fn url_for(&self, path: &str) -> Result<String, String> {
        if !path.starts_with('/') {
            return Err(format!("path must start with /: {path}"));
        }
        Ok(if self.local {
            format!(
                "{}/lambda-url/{}{}",
                self.base,
                Self::function_for(path),
                path
            )
        } else {
            format!("{}{}", self.base, path)
        })
    }
}
