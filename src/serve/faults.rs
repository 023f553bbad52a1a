//! Hostile behaviours of the reference server (`scimitar serve --fault
//! NAME[@SCOPE]`), for proving that the harness stays bounded and honest
//! against broken servers: it does the work a request asks for, then
//! answers badly (garbage, cut-off or endless bodies, hangs, resets,
//! redirects, rate limits). Unlike bugs, faults are not RFC deviations a
//! case must catch; they are what a run must survive. The scope says where
//! they apply: the resource endpoints, discovery, or everywhere.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::App;

macro_rules! faults {
    ($($variant:ident = $name:literal, $about:literal;)*) => {
        /// One hostile behaviour.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Fault { $($variant),* }

        /// Every fault with its name and what it does.
        pub const ALL: &[(Fault, &str, &str)] = &[$((Fault::$variant, $name, $about)),*];
    };
}

faults! {
    Garbage = "garbage", "the answer's body is replaced by bytes that are not JSON (status and headers kept)";
    GarbageUnlocated = "garbage-unlocated", "as garbage, and without the Location header";
    Truncated = "truncated", "the answer's JSON body is cut in half";
    InvalidUtf8 = "invalid-utf8", "the answer's JSON body holds bytes that are not UTF-8";
    Html = "html", "the answer's body is an HTML error page (text/html)";
    Empty = "empty", "the answer's body is empty";
    Deep = "deep", "the answer's body is an array nested 100000 deep";
    HugeNumber = "huge-number", "the answer's body is an object whose numbers have 100000 digits";
    DuplicateKeys = "duplicate-keys", "the answer's JSON object ends with a second, made-up id member";
    GzipUnasked = "gzip-unasked", "the answer says Content-Encoding: gzip, which the client never asked for";
    Huge = "huge", "the answer's body is 2 GiB long (announced)";
    Endless = "endless", "the answer's body never ends (chunked)";
    Drip = "drip", "the answer's body arrives one byte every 200 ms";
    Hang = "hang", "the request is performed, and the answer never comes";
    Reset = "reset", "the request is performed, and the connection is closed without an answer";
    RedirectAway = "redirect-away", "every request is redirected (307) to another host";
    RedirectLoop = "redirect-loop", "every request is redirected (307) to itself";
    TooMany = "too-many", "every tenth request (the first among them) is refused with 429 and Retry-After: 1, before it is performed";
    TooManyAbsurd = "too-many-absurd", "every tenth request is refused with 429 and Retry-After: 999999999";
    Unavailable = "unavailable", "every tenth request is refused with 503 and Retry-After: 1";
    HeaderBomb = "header-bomb", "the answer carries 300 headers of 4 KiB each";
}

/// Where a fault applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Resource endpoints: everything under the base path but discovery.
    Resources,
    /// /ServiceProviderConfig, /Schemas and /ResourceTypes.
    Discovery,
    /// POSTs to resource endpoints (creates, searches, bulk).
    Creates,
    All,
}

/// The faults a server has, each with its scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults(Vec<(Fault, Scope)>);

impl Faults {
    pub fn none() -> Faults {
        Faults::default()
    }

    pub fn of(faults: impl IntoIterator<Item = (Fault, Scope)>) -> Faults {
        Faults(faults.into_iter().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fault for a request to `path` (under the base path), if any.
    fn for_request(&self, method: &str, path: &str) -> Option<Fault> {
        let discovery = ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"]
            .iter()
            .any(|p| path.starts_with(p));
        self.0.iter().find_map(|(f, scope)| {
            let applies = match scope {
                Scope::All => true,
                Scope::Discovery => discovery,
                Scope::Resources => !discovery,
                Scope::Creates => !discovery && method == "POST",
            };
            applies.then_some(*f)
        })
    }
}

/// Parses `NAME` or `NAME@SCOPE` (scope `resources`, the default,
/// `discovery`, `creates` or `all`).
pub fn parse(text: &str) -> Result<(Fault, Scope), String> {
    let (name, scope) = text.split_once('@').unwrap_or((text, "resources"));
    let fault = ALL
        .iter()
        .find(|(_, n, _)| *n == name)
        .map(|(f, _, _)| *f)
        .ok_or_else(|| format!("unknown fault {name:?} (see `scimitar serve --list-faults`)"))?;
    let scope = match scope {
        "resources" => Scope::Resources,
        "discovery" => Scope::Discovery,
        "creates" => Scope::Creates,
        "all" => Scope::All,
        other => {
            return Err(format!(
                "unknown fault scope {other:?}: resources, discovery, creates or all"
            ))
        }
    };
    Ok((fault, scope))
}

/// The fault listing, one `name  description` a line.
pub fn listing() -> String {
    ALL.iter()
        .map(|(_, name, about)| format!("{name:<16} {about}\n"))
        .collect()
}

/// The middleware that applies the server's faults.
pub async fn inject(State(app): State<App>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().as_str().to_string();
    let Some(fault) = app.inner.config.faults.for_request(&method, &path) else {
        return next.run(req).await;
    };
    let nth = app.inner.fault_count.fetch_add(1, Ordering::SeqCst);
    let full = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|u| u.0.to_string())
        .unwrap_or_else(|| req.uri().to_string());
    match fault {
        Fault::TooMany | Fault::TooManyAbsurd | Fault::Unavailable if nth % 10 == 0 => {
            let (status, after) = match fault {
                Fault::TooMany => (StatusCode::TOO_MANY_REQUESTS, "1"),
                Fault::TooManyAbsurd => (StatusCode::TOO_MANY_REQUESTS, "999999999"),
                _ => (StatusCode::SERVICE_UNAVAILABLE, "1"),
            };
            return (status, [(header::RETRY_AFTER, after)], "slow down").into_response();
        }
        Fault::RedirectAway => {
            let to = format!("http://127.0.0.2:9{full}");
            return (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, to)]).into_response();
        }
        Fault::RedirectLoop => {
            return (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, full)]).into_response();
        }
        _ => {}
    }
    let resp = next.run(req).await;
    mangle(fault, resp).await
}

/// The answer `resp` made bad as `fault` says.
async fn mangle(fault: Fault, resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let real = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let json = HeaderValue::from_static("application/scim+json");
    let body = match fault {
        Fault::Garbage => Body::from(&b"\x00\x01garbage{\"not json"[..]),
        Fault::GarbageUnlocated => {
            parts.headers.remove(header::LOCATION);
            Body::from(&b"\x00\x01garbage{\"not json"[..])
        }
        Fault::Truncated => Body::from(real.slice(..real.len() / 2)),
        Fault::InvalidUtf8 => {
            let mut b = real.to_vec();
            let at = b.iter().position(|c| *c == b'"').unwrap_or(0);
            b.splice(at..at, [0xff, 0xfe, 0xc3]);
            Body::from(b)
        }
        Fault::Html => {
            parts
                .headers
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            Body::from("<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>")
        }
        Fault::Empty => Body::empty(),
        Fault::Deep => {
            let n = 100_000;
            Body::from(format!("{}{}", "[".repeat(n), "]".repeat(n)))
        }
        Fault::HugeNumber => {
            let digits = "9".repeat(100_000);
            Body::from(format!(
                "{{\"id\": {digits}, \"totalResults\": {digits}e99999}}"
            ))
        }
        Fault::DuplicateKeys => {
            let text = String::from_utf8_lossy(&real);
            match text.trim_end().strip_suffix('}') {
                Some(head) if head.trim_start().starts_with('{') && head.len() > 1 => {
                    Body::from(format!("{head},\"id\":\"scimitar-fault-made-up\"}}"))
                }
                _ => Body::from(real),
            }
        }
        Fault::GzipUnasked => {
            parts
                .headers
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            Body::from(real)
        }
        Fault::Huge => {
            let size: u64 = 2 << 30;
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            parts.headers.insert(header::CONTENT_TYPE, json);
            let chunk = Bytes::from(vec![b' '; 64 * 1024]);
            let chunks = size / chunk.len() as u64;
            Body::from_stream(futures::stream::iter(
                (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
            ))
        }
        Fault::Endless => {
            parts.headers.insert(header::CONTENT_TYPE, json);
            let chunk = Bytes::from(vec![b' '; 64 * 1024]);
            Body::from_stream(futures::stream::repeat_with(move || {
                Ok::<_, std::io::Error>(chunk.clone())
            }))
        }
        Fault::Drip => {
            let bytes: Vec<u8> = real.to_vec();
            Body::from_stream(futures::stream::unfold(0usize, move |i| {
                let bytes = bytes.clone();
                async move {
                    if i >= bytes.len() {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Some((Ok::<_, std::io::Error>(Bytes::from(vec![bytes[i]])), i + 1))
                }
            }))
        }
        Fault::Hang => {
            std::future::pending::<()>().await;
            Body::empty()
        }
        Fault::Reset => {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(1000u64));
            Body::from_stream(futures::stream::once(async {
                Err::<Bytes, _>(std::io::Error::other("reset"))
            }))
        }
        Fault::HeaderBomb => {
            let value = HeaderValue::from_str(&"b".repeat(4096)).unwrap_or(json.clone());
            for i in 0..300 {
                if let Ok(name) = header::HeaderName::from_bytes(format!("x-bomb-{i}").as_bytes()) {
                    parts.headers.insert(name, value.clone());
                }
            }
            Body::from(real)
        }
        Fault::TooMany | Fault::TooManyAbsurd | Fault::Unavailable => Body::from(real),
        Fault::RedirectAway | Fault::RedirectLoop => Body::from(real),
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_scopes_parse_and_every_fault_is_listed() {
        assert_eq!(parse("garbage"), Ok((Fault::Garbage, Scope::Resources)));
        assert_eq!(parse("hang@discovery"), Ok((Fault::Hang, Scope::Discovery)));
        assert_eq!(parse("reset@all"), Ok((Fault::Reset, Scope::All)));
        assert!(parse("nope").unwrap_err().contains("--list-faults"));
        assert!(parse("hang@somewhere").is_err());
        let listing = listing();
        for (_, name, _) in ALL {
            assert!(listing.contains(name));
        }
    }

    #[test]
    fn scopes_pick_the_paths() {
        let f = Faults::of([
            (Fault::Hang, Scope::Discovery),
            (Fault::Empty, Scope::Resources),
        ]);
        assert_eq!(
            f.for_request("GET", "/ServiceProviderConfig"),
            Some(Fault::Hang)
        );
        assert_eq!(f.for_request("GET", "/Schemas/urn:x"), Some(Fault::Hang));
        assert_eq!(f.for_request("GET", "/Users/1"), Some(Fault::Empty));
        assert_eq!(Faults::none().for_request("GET", "/Users"), None);
        let c = Faults::of([(Fault::Garbage, Scope::Creates)]);
        assert_eq!(c.for_request("POST", "/Users"), Some(Fault::Garbage));
        assert_eq!(c.for_request("GET", "/Users"), None);
        assert_eq!(c.for_request("POST", "/Schemas"), None);
    }
}
