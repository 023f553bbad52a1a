//! Redaction of secrets from everything the harness records or prints.

/// The text that stands where a secret was.
pub const REDACTED: &str = "[REDACTED]";

/// Header names whose values are always secret.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// A URL fit for reports and logs: without user information (which may
/// hold a password) and, unless `keep_query`, without its query (which may
/// carry a token); `<not a URL>` for text that is none.
pub fn redact_url(text: &str, keep_query: bool) -> String {
    match url::Url::parse(text) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            if !keep_query {
                u.set_query(None);
            }
            u.to_string()
        }
        Err(_) => "<not a URL>".to_string(),
    }
}

/// Knows the secrets of a run and removes them from text.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
    secret_headers: Vec<String>,
}

impl Redactor {
    /// Adds a secret value; empty and very short values are ignored, as
    /// redacting them would mangle ordinary text.
    pub fn add_secret(&mut self, secret: &str) {
        if secret.len() >= 4 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
            // Longest first, so a secret that contains another is removed whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Marks a header name (any case) as carrying a secret value.
    pub fn add_secret_header(&mut self, name: &str) {
        self.secret_headers.push(name.to_ascii_lowercase());
    }

    /// Whether a header's value must never be shown.
    pub fn is_secret_header(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        SECRET_HEADERS.contains(&name.as_str()) || self.secret_headers.contains(&name)
    }

    /// The text with every known secret replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }

    /// A header value as it may be shown: secret headers keep only their scheme.
    pub fn header(&self, name: &str, value: &str) -> String {
        if self.is_secret_header(name) {
            match value.split_once(' ') {
                Some((scheme, _))
                    if name.eq_ignore_ascii_case("authorization")
                        || name.eq_ignore_ascii_case("proxy-authorization") =>
                {
                    format!("{scheme} {REDACTED}")
                }
                _ => REDACTED.to_string(),
            }
        } else {
            self.text(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_removed_from_text_and_headers() {
        let mut r = Redactor::default();
        r.add_secret("tok-123456");
        r.add_secret("ab"); // too short to redact safely
        r.add_secret_header("X-Tenant-Key");
        assert_eq!(r.text("echo tok-123456 and ab"), "echo [REDACTED] and ab");
        assert_eq!(
            r.header("Authorization", "Bearer tok-123456"),
            "Bearer [REDACTED]"
        );
        assert_eq!(r.header("x-tenant-key", "whatever"), "[REDACTED]");
        assert_eq!(r.header("Cookie", "a=b"), "[REDACTED]");
        assert_eq!(
            r.header("Accept", "application/scim+json"),
            "application/scim+json"
        );
    }

    #[test]
    fn urls_lose_their_credentials() {
        let url = "https://user:pw-123@receiver.example/events?token=t-456";
        assert_eq!(
            redact_url(url, true),
            "https://receiver.example/events?token=t-456"
        );
        assert_eq!(redact_url(url, false), "https://receiver.example/events");
        assert_eq!(redact_url("not a url", true), "<not a URL>");
    }
}
