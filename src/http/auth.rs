//! Credentials: bearer tokens, HTTP basic, and OAuth 2.0 client credentials
//! (RFC 6749 §4.4), and how each is shown, without its secret, in a curl line.

use base64::Engine;
use url::Url;

/// How requests authenticate. Secrets live only here and in the redactor.
#[derive(Clone, Debug, Default)]
pub enum Auth {
    #[default]
    None,
    /// `Authorization: Bearer <token>`; `env` names the variable a curl line refers to.
    Bearer { token: String, env: String },
    /// `Authorization: Basic ...`; `env` names the variable holding the password.
    Basic {
        user: String,
        password: String,
        env: String,
    },
    /// OAuth 2.0 client credentials grant; the access token is fetched on first use.
    OAuth2 {
        token_url: Url,
        client_id: String,
        client_secret: String,
        scope: Option<String>,
    },
}

impl Auth {
    /// Whether any credentials are configured.
    pub fn is_some(&self) -> bool {
        !matches!(self, Auth::None)
    }

    /// The secrets this configuration holds, for the redactor.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Auth::None => vec![],
            Auth::Bearer { token, .. } => vec![token.clone()],
            Auth::Basic { user, password, .. } => {
                vec![password.clone(), basic_value(user, password)]
            }
            Auth::OAuth2 { client_secret, .. } => vec![client_secret.clone()],
        }
    }

    /// The curl arguments that authenticate like this, with secrets left in
    /// shell variables.
    pub fn curl_args(&self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Bearer { env, .. } => Some(format!("-H \"Authorization: Bearer ${env}\"")),
            Auth::Basic { user, env, .. } => Some(format!("-u \"{}:${env}\"", shell_dq(user))),
            Auth::OAuth2 { .. } => {
                Some("-H \"Authorization: Bearer $SCIMITAR_ACCESS_TOKEN\"".to_string())
            }
        }
    }
}

/// The value of a basic `Authorization` header (RFC 7617).
pub fn basic_value(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn shell_dq(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('$', "\\$")
        .replace('`', "\\`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_args_never_hold_the_secret() {
        let bearer = Auth::Bearer {
            token: "t0ps3cret".into(),
            env: "SCIM_TOKEN".into(),
        };
        let args = bearer.curl_args().unwrap();
        assert!(!args.contains("t0ps3cret"));
        assert!(args.contains("$SCIM_TOKEN"));
        let basic = Auth::Basic {
            user: "admin".into(),
            password: "pw-secret".into(),
            env: "SCIM_PASSWORD".into(),
        };
        assert_eq!(basic.curl_args().unwrap(), "-u \"admin:$SCIM_PASSWORD\"");
        assert!(basic.secrets().contains(&basic_value("admin", "pw-secret")));
    }
}
