//! Checks of authentication (RFC 7644 §2): the challenge of a 401 names a
//! scheme /ServiceProviderConfig advertises (RFC 7643 §5 authenticationSchemes).

use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;

use super::{CheckCtx, Finding};

/// The HTTP authentication scheme (RFC 7235) of each authenticationSchemes
/// `type` RFC 7643 §5 defines. RFC 7643 names no HTTP scheme, so this
/// mapping is the harness's reading: the case is SHOULD.
fn http_scheme(spc_type: &str) -> Option<&'static str> {
    match spc_type.to_ascii_lowercase().as_str() {
        "oauthbearertoken" | "oauth2" => Some("bearer"),
        "httpbasic" => Some("basic"),
        "httpdigest" => Some("digest"),
        "oauth" => Some("oauth"),
        _ => None,
    }
}

/// The schemes a WWW-Authenticate value challenges with: the first token
/// of each challenge (RFC 7235 §4.1), lower-cased. Auth parameters
/// (`realm="x", error="y"`) are told from schemes by their `=`.
fn challenged(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|part| {
            let first = part.split_whitespace().next()?;
            (!first.contains('=')).then(|| first.to_ascii_lowercase())
        })
        .collect()
}

/// R7644-2-06: "a SCIM service provider SHALL indicate supported HTTP
/// authentication schemes via the WWW-Authenticate header"; the schemes it
/// indicates are those its SPC advertises.
pub fn challenge_matches_spc<'a>(
    ctx: &'a CheckCtx<'a>,
) -> BoxFuture<'a, Result<Vec<Finding>, String>> {
    async move {
        let spc = ctx
            .caps
            .spc
            .as_ref()
            .ok_or("no /ServiceProviderConfig was read")?;
        let expected = expected_of(spc);
        if expected.is_empty() {
            // No advertised type has a known HTTP scheme: nothing to compare.
            return Ok(vec![]);
        }
        let rt = ctx
            .caps
            .resource_types
            .first()
            .ok_or("no resource type was discovered")?;
        let resp = ctx.get_anonymous(&rt.endpoint).await?;
        if resp.status != 401 {
            return Err(format!(
                "GET {} without credentials answered {}, not 401",
                rt.endpoint, resp.status
            ));
        }
        let values: Vec<&str> = resp
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("www-authenticate"))
            .map(|(_, v)| v.as_str())
            .collect();
        let schemes: Vec<String> = values.iter().flat_map(|v| challenged(v)).collect();
        if schemes.is_empty() {
            // A missing challenge is auth.www-authenticate's finding.
            return Ok(vec![]);
        }
        Ok(if schemes.iter().any(|s| expected.contains(&s.as_str())) {
            vec![]
        } else {
            vec![Finding::new(
                "WWW-Authenticate",
                format!(
                    "a challenge with a scheme the SPC advertises ({})",
                    expected.join(", ")
                ),
                values.join("; "),
            )]
        })
    }
    .boxed()
}

/// The HTTP schemes of the authenticationSchemes the SPC advertises.
fn expected_of(spc: &Value) -> Vec<&'static str> {
    spc["authenticationSchemes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["type"].as_str().and_then(http_scheme))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn challenges_and_advertised_types_map_to_schemes() {
        assert_eq!(
            challenged(r#"Bearer realm="x", error="invalid_token""#),
            ["bearer"]
        );
        assert_eq!(
            challenged(r#"Basic realm="a", Bearer"#),
            ["basic", "bearer"]
        );
        assert!(challenged("").is_empty());
        let spc = json!({"authenticationSchemes": [{"type": "oauthbearertoken"}, {"type": "HttpBasic"}, {"type": "x"}]});
        assert_eq!(expected_of(&spc), ["bearer", "basic"]);
    }
}
