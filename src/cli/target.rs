//! Building the HTTP client configuration from the command line and the
//! environment. Secrets come only from environment variables, never argv.

use std::time::Duration;

use clap::Args;
use url::Url;

use crate::http::{Auth, ClientConfig};

#[derive(Args, Debug, Clone)]
pub struct TargetArgs {
    /// Extra request header `Name: value` (repeatable); values are treated as secrets.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Environment variable holding a bearer token (used when it is set).
    #[arg(long, value_name = "VAR", default_value = "SCIMITAR_TOKEN")]
    pub bearer_env: String,
    /// User for HTTP basic authentication.
    #[arg(long, value_name = "USER")]
    pub basic_user: Option<String>,
    /// Environment variable holding the basic-auth password.
    #[arg(long, value_name = "VAR", default_value = "SCIMITAR_PASSWORD")]
    pub basic_password_env: String,
    /// OAuth 2.0 token endpoint for the client credentials grant.
    #[arg(long, value_name = "URL")]
    pub oauth_token_url: Option<Url>,
    /// OAuth 2.0 client id.
    #[arg(long, value_name = "ID")]
    pub oauth_client_id: Option<String>,
    /// Environment variable holding the OAuth 2.0 client secret.
    #[arg(long, value_name = "VAR", default_value = "SCIMITAR_CLIENT_SECRET")]
    pub oauth_client_secret_env: String,
    /// OAuth 2.0 scope to request.
    #[arg(long)]
    pub oauth_scope: Option<String>,
    /// Seconds to wait for a whole response.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,
    /// Largest response body accepted, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024, value_name = "BYTES")]
    pub max_response_bytes: usize,
    /// Trust the certificate authorities in this PEM file (also $SSL_CERT_FILE).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,
    /// Do not verify the server's TLS certificate (every report says so).
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Client certificate (PEM) for mutual TLS; with --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<std::path::PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<std::path::PathBuf>,
}

/// A file's bytes, or an error naming the option and the file.
fn read(option: &str, path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{option} {}: {e}", path.display()))
}

/// The value of an environment variable, when it is set and not empty.
pub(super) fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

impl TargetArgs {
    /// The TLS options, with the files read.
    pub fn tls(&self) -> Result<crate::http::tls::TlsOptions, String> {
        let mut tls = crate::http::tls::TlsOptions {
            insecure: self.insecure,
            ..Default::default()
        };
        if let Some(path) = &self.cacert {
            tls.ca_pems.push((
                format!("--cacert {}", path.display()),
                read("--cacert", path)?,
            ));
        }
        if let Some(path) = env("SSL_CERT_FILE") {
            let path = std::path::PathBuf::from(path);
            tls.ca_pems.push((
                format!("$SSL_CERT_FILE {}", path.display()),
                read("$SSL_CERT_FILE", &path)?,
            ));
        }
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            let mut pem = read("--cert", cert)?;
            pem.push(b'\n');
            pem.extend(read("--key", key)?);
            tls.identity_pem = Some(pem);
        }
        Ok(tls)
    }

    /// The client configuration for `base`, or a usage error.
    pub fn config(&self, base: Url) -> Result<ClientConfig, String> {
        let mut config = ClientConfig::new(base);
        config.timeout = Duration::from_secs(self.timeout.max(1));
        config.max_response_bytes = self.max_response_bytes;
        config.tls = self.tls()?;
        for h in &self.headers {
            let (name, value) = h
                .split_once(':')
                .ok_or_else(|| format!("--header {h:?}: expected `Name: value`"))?;
            let name = name.trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
            {
                return Err(format!("--header: invalid header name {name:?}"));
            }
            config
                .headers
                .push((name.to_string(), value.trim().to_string()));
        }
        config.auth = if let Some(token_url) = &self.oauth_token_url {
            let client_id = self
                .oauth_client_id
                .clone()
                .ok_or("--oauth-token-url needs --oauth-client-id")?;
            let client_secret = env(&self.oauth_client_secret_env).ok_or_else(|| {
                format!(
                    "--oauth-token-url needs the client secret in ${}",
                    self.oauth_client_secret_env
                )
            })?;
            Auth::OAuth2 {
                token_url: token_url.clone(),
                client_id,
                client_secret,
                scope: self.oauth_scope.clone(),
            }
        } else if let Some(user) = &self.basic_user {
            let password = env(&self.basic_password_env).ok_or_else(|| {
                format!(
                    "--basic-user needs the password in ${}",
                    self.basic_password_env
                )
            })?;
            Auth::Basic {
                user: user.clone(),
                password,
                env: self.basic_password_env.clone(),
            }
        } else if let Some(token) = env(&self.bearer_env) {
            Auth::Bearer {
                token,
                env: self.bearer_env.clone(),
            }
        } else {
            Auth::None
        };
        Ok(config)
    }
}
