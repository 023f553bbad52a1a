//! TLS options as curl names them (`--cacert`, `--insecure`, `--cert` and
//! `--key`), applied to the client, and TLS failures told as sentences.

/// How the client verifies the server and proves itself.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// PEM bundles of extra certificate authorities (`--cacert`, `SSL_CERT_FILE`).
    pub ca_pems: Vec<(String, Vec<u8>)>,
    /// Accept any server certificate (`--insecure`).
    pub insecure: bool,
    /// A client certificate chain and its private key, PEM (`--cert`, `--key`).
    pub identity_pem: Option<Vec<u8>>,
}

impl TlsOptions {
    /// The builder with these options applied, or what is wrong with them.
    pub fn apply(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, String> {
        for (name, pem) in &self.ca_pems {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| format!("{name}: not a PEM certificate bundle: {e}"))?;
            if certs.is_empty() {
                return Err(format!("{name}: holds no PEM certificate"));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(pem) = &self.identity_pem {
            let identity =
                reqwest::Identity::from_pem(pem).map_err(|e| format!("client certificate: {e}"))?;
            builder = builder.identity(identity);
        }
        if self.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        Ok(builder)
    }
}

/// A plain sentence for a TLS failure, from the error chain's text; None
/// when the failure is not about TLS.
pub fn sentence(chain: &str) -> Option<String> {
    let says = |needles: &[&str]| needles.iter().any(|n| chain.contains(n));
    let text = if says(&[
        "UnknownIssuer",
        "unknown issuer",
        "self-signed",
        "self signed",
    ]) {
        "the server's TLS certificate is signed by an unknown authority; pass --cacert FILE with the authority that signed it (or --insecure to skip verification)"
    } else if says(&["NotValidForName", "not valid for name"]) {
        "the server's TLS certificate is not valid for this host name; use the name it was issued for (or --insecure to skip verification)"
    } else if says(&["Expired", "expired", "NotValidYet"]) {
        "the server's TLS certificate has expired or is not valid yet"
    } else if says(&[
        "CertificateRequired",
        "certificate required",
        "HandshakeFailure",
    ]) && chain.contains("alert")
    {
        "the server refused the TLS handshake; it may require a client certificate (--cert FILE --key FILE)"
    } else if says(&[
        "InvalidContentType",
        "corrupt message",
        "wrong version number",
    ]) {
        "the server does not speak TLS on this port; did you mean http://?"
    } else if says(&[
        "invalid peer certificate",
        "certificate",
        "tls handshake",
        "TLS",
    ]) {
        return Some(format!("TLS handshake failed: {chain}"));
    } else {
        return None;
    };
    Some(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_read_as_sentences() {
        let unknown = "error sending request: client error (Connect): invalid peer certificate: UnknownIssuer";
        assert!(sentence(unknown).unwrap().contains("--cacert"));
        assert!(sentence("invalid peer certificate: NotValidForName")
            .unwrap()
            .contains("host name"));
        assert!(sentence("received fatal alert: CertificateRequired")
            .unwrap()
            .contains("--cert"));
        assert!(
            sentence("received corrupt message of type InvalidContentType")
                .unwrap()
                .contains("http://")
        );
        assert_eq!(sentence("tcp connect error: Connection refused"), None);
    }

    #[test]
    fn a_bundle_without_certificates_is_refused_by_name() {
        let opts = TlsOptions {
            ca_pems: vec![("ca.pem".into(), b"hello".to_vec())],
            ..Default::default()
        };
        let err = opts.apply(reqwest::Client::builder()).err().unwrap();
        assert!(err.starts_with("ca.pem:"), "{err}");
    }
}
