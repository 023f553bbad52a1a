//! Header and credential variants on ordinary requests: Content-Type and
//! Accept the server may not expect, and bad credentials (none, empty,
//! wrong scheme, `Bearer` with no token, whitespace, very long, an
//! expired-looking JWT, Basic with garbage). No variant holds a secret.

use proptest::prelude::*;
use serde_json::json;

use super::generate::TypeModel;
use super::request::{Body, Credentials, Family, FuzzRequest, Target};
use crate::scim::urn;

/// An ordinary request the variants are put on: list, read, create,
/// replace, patch. Earlier ones need no state, so shrinking prefers them.
fn base(t: &TypeModel, family: Family) -> BoxedStrategy<FuzzRequest> {
    let name = t.name.clone();
    let fixture = t.fixture.clone();
    prop::sample::select(vec![0u8, 1, 2, 3, 4])
        .prop_map(move |which| {
            let mut r = match which {
                0 => FuzzRequest::new(family, &name, "GET", Target::Collection),
                1 => FuzzRequest::new(family, &name, "GET", Target::Fixture),
                2 => FuzzRequest::new(family, &name, "POST", Target::Collection)
                    .with_body(Body::Json(fixture.clone())),
                3 => FuzzRequest::new(family, &name, "PUT", Target::Fixture)
                    .with_body(Body::Json(fixture.clone())),
                _ => FuzzRequest::new(family, &name, "PATCH", Target::Fixture).with_body(
                    Body::Json(json!({
                        "schemas": [urn::PATCH_OP],
                        "Operations": [{"op": "add", "path": "externalId", "value": "scimitar"}]
                    })),
                ),
            };
            if which == 0 {
                r.query = vec![("count".into(), "1".into())];
            }
            r
        })
        .boxed()
}

/// Content types and accepted types a server may not expect.
fn media() -> BoxedStrategy<(Option<&'static str>, Option<&'static str>)> {
    let content = prop::sample::select(vec![
        "application/json",
        "text/plain",
        "application/xml",
        "",
        "application/scim+json; charset=utf-16",
        "application/scim+json; charset=\"",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "*/*",
        "garbage",
    ]);
    let accept = prop::sample::select(vec![
        "application/json",
        "text/html",
        "application/xml",
        "",
        "application/scim+json;q=0",
        "*/*;q=garbage",
        "image/png, text/*;q=0.1",
    ]);
    (prop::option::of(content), prop::option::of(accept)).boxed()
}

/// The same requests with odd Content-Type and Accept headers.
pub fn headers(t: &TypeModel) -> BoxedStrategy<FuzzRequest> {
    let extra = prop::option::of(prop::sample::select(vec![
        ("Prefer", "return=minimal"),
        ("Prefer", "respond-async, wait=-1"),
        ("X-Scimitar", "\t"),
        ("Accept-Charset", "utf-7"),
        ("Accept-Encoding", "gzip;q=garbage"),
    ]));
    (base(t, Family::Headers), media(), extra)
        .prop_map(|(mut r, (ct, accept), extra)| {
            if let Some(ct) = ct {
                r.headers.push(("Content-Type".into(), ct.into()));
            }
            if let Some(a) = accept {
                r.headers.push(("Accept".into(), a.into()));
            }
            if let Some((k, v)) = extra {
                r.headers.push((k.into(), v.into()));
            }
            r
        })
        .boxed()
}

/// Authorization header values that must not authenticate; `None` sends none.
fn bad_authorization() -> BoxedStrategy<Option<String>> {
    let fixed: Vec<Option<String>> = [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer "),
        Some("Bearer    "),
        Some("Bearer \t"),
        Some("bearer"),
        Some("Bearer scimitar not a token"),
        Some("Bearer  scimitar-not-a-token"),
        Some("Bearer null"),
        Some("Bearer undefined"),
        // alg none, expired in 1970
        Some("Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJzY2ltaXRhciIsImV4cCI6MX0."),
        // HS256 header, expired, signature of zeros
        Some("Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzY2ltaXRhciIsImV4cCI6MX0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        Some("Basic"),
        Some("Basic "),
        Some("Basic Og=="),
        Some("Basic !!!garbage!!!"),
        Some("Basic YWRtaW46YWRtaW4="),
        Some("Token scimitar"),
        Some("Digest username=\"scimitar\""),
        Some("Negotiate"),
        Some("Bearer,Basic"),
        Some(" Bearer scimitar"),
    ]
    .into_iter()
    .map(|o| o.map(str::to_string))
    .collect();
    let long = prop_oneof![Just(1024usize), Just(8192), 100usize..16384]
        .prop_map(|n| Some(format!("Bearer {}", "A".repeat(n))));
    prop_oneof![6 => prop::sample::select(fixed), 1 => long].boxed()
}

/// Ordinary requests with bad credentials.
pub fn auth(t: &TypeModel) -> BoxedStrategy<FuzzRequest> {
    (bad_authorization(), base(t, Family::Auth))
        .prop_map(|(h, mut r)| {
            r.credentials = Credentials::Bad(h);
            r
        })
        .boxed()
}
