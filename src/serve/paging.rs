//! Paging in the reference server: index paging (RFC 7644 §3.4.2.4) and
//! cursor paging (RFC 9865), which of them a request gets, and the paging
//! bugs. A cursor is stateless and URL-safe: the offset, the page size,
//! when it was issued, and a fingerprint of the query it belongs to.

use std::hash::{Hash, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::bugs::Bug;
use super::query::{Query, Refusal};
use super::App;

/// Which paging methods the server offers (`scimitar serve --pagination`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Pagination {
    /// startIndex and count only.
    Index,
    /// Cursors only: every list is paged with cursors (RFC 9865 §2.3).
    Cursor,
    /// Both; a request naming neither gets index paging (RFC 9865 §2.4).
    #[default]
    Both,
}

/// A paging method, for the default of a server offering both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    #[default]
    Index,
    Cursor,
}

/// One page to answer: which resources, and the paging members.
pub struct Page {
    pub skip: usize,
    pub take: usize,
    pub members: Map<String, Value>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The query a cursor belongs to: what must be repeated unchanged.
fn fingerprint(q: &Query) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&q.filter, &q.sort_by, &q.sort_order).hash(&mut h);
    h.finish() & 0xffff_ffff
}

struct Cursor {
    offset: usize,
    size: usize,
    issued: u64,
    query: u64,
}

impl Cursor {
    fn encode(&self, app: &App) -> String {
        let text = format!(
            "o{}-n{}-t{}-q{:x}",
            self.offset, self.size, self.issued, self.query
        );
        if app.bug(Bug::CursorNotUrlSafe) {
            // Standard base64 with its '+', '/' and '=' (not URL-safe).
            return format!("{}+/=", text.replace('-', "/"));
        }
        text
    }

    fn decode(text: &str) -> Option<Cursor> {
        let text = text.trim_end_matches("+/=").replace('/', "-");
        let mut parts = text.split('-');
        let mut field = |tag: char| parts.next()?.strip_prefix(tag).map(str::to_string);
        let offset = field('o')?.parse().ok()?;
        let size = field('n')?.parse().ok()?;
        let issued = field('t')?.parse().ok()?;
        let query = u64::from_str_radix(&field('q')?, 16).ok()?;
        Some(Cursor {
            offset,
            size,
            issued,
            query,
        })
    }
}

fn refuse(scim_type: &'static str, detail: &str) -> Refusal {
    (400, scim_type, detail.to_string())
}

/// Seconds a cursor is honoured: the advertised cursorTimeout (a minimum,
/// RFC 9865 §4; `issued` is rounded down, so a cursor lives up to a second longer).
fn lifetime(app: &App) -> u64 {
    if app.bug(Bug::CursorExpiresEarly) {
        app.cursor_timeout() / 4
    } else {
        app.cursor_timeout()
    }
}

/// The page a query gets out of `total` matching resources.
pub fn plan(app: &App, q: &Query, total: usize) -> Result<Page, Refusal> {
    let max = app.page_size();
    let asked = q
        .count
        .filter(|c| !(app.bug(Bug::CountZeroReturnsAll) && *c <= 0))
        .map(|c| c.max(0) as usize);
    let size = match asked {
        Some(a) if app.bug(Bug::CountOverLimit) => a,
        _ => asked.unwrap_or(max).min(max),
    };
    let named = q.cursor.is_some() || q.start_index.is_some();
    if !named
        && q.count.is_some()
        && app.pagination() == Pagination::Both
        && app.bug(Bug::BothMethodsNoDefault)
    {
        return Err(refuse(
            "invalidValue",
            "name a paging method: cursor or startIndex",
        ));
    }
    let cursor_paging = match app.pagination() {
        Pagination::Index => false,
        _ if !named && app.bug(Bug::DefaultMethodIgnored) => false,
        Pagination::Cursor => true,
        Pagination::Both if named => q.cursor.is_some(),
        Pagination::Both => app.default_pagination() == Method::Cursor,
    };
    if !cursor_paging {
        let start = if app.bug(Bug::StartIndexIgnored) {
            1
        } else {
            q.start_index.unwrap_or(1).max(1) as usize
        };
        let skip = if app.bug(Bug::StartIndexOffByOne) {
            start
        } else {
            start - 1
        };
        let mut members = Map::new();
        members.insert("startIndex".into(), json!(start));
        return Ok(Page {
            skip,
            take: size,
            members,
        });
    }
    let query = fingerprint(q);
    let given = q.cursor.as_deref().unwrap_or("");
    let offset = if given.is_empty() {
        0
    } else {
        match Cursor::decode(given) {
            Some(c) if c.query != query && !app.bug(Bug::CursorIgnoresFilter) => {
                return Err(refuse(
                    "invalidCursor",
                    "the cursor belongs to another query (RFC 9865 §2: repeat every parameter)",
                ))
            }
            // The size the first request got (count as clamped to the page size).
            Some(c)
                if asked.is_some_and(|a| a.min(max) != c.size)
                    && !app.bug(Bug::CursorCountChangeAccepted) =>
            {
                return Err(refuse(
                    "invalidCount",
                    "count must stay as in the first request (RFC 9865 §2.1)",
                ))
            }
            Some(c) if now().saturating_sub(c.issued) > lifetime(app) => {
                if app.bug(Bug::ExpiredCursorRestarts) {
                    0
                } else {
                    return Err(refuse("expiredCursor", "the cursor has expired"));
                }
            }
            Some(c) => c.offset,
            None if app.bug(Bug::InvalidCursorRestarts) => 0,
            None if app.bug(Bug::CursorErrorLeaks) => {
                return Err(refuse(
                    "invalidCursor",
                    "base64 decode failed: InvalidByte(7, 45)\nstack backtrace:\n  0: scim_server::paging::Cursor::decode\n     at /home/build/scim-server/src/paging.rs:88:14",
                ))
            }
            None => return Err(refuse("invalidCursor", "not a cursor of this server")),
        }
    };
    let mut members = Map::new();
    let end = offset + size;
    let last = end >= total || size == 0;
    let issued = now();
    if !last || app.bug(Bug::NextCursorOnLastPage) {
        let next = Cursor {
            offset: end,
            size,
            issued,
            query,
        };
        members.insert("nextCursor".into(), json!(next.encode(app)));
    }
    if offset > 0 || app.bug(Bug::PreviousCursorOnFirstPage) {
        let previous = Cursor {
            offset: offset.saturating_sub(size),
            size,
            issued,
            query,
        };
        members.insert("previousCursor".into(), json!(previous.encode(app)));
    }
    Ok(Page {
        skip: offset,
        take: size,
        members,
    })
}

/// The SPC `pagination` object (RFC 9865 §4).
pub fn spc(app: &App) -> Value {
    let mode = app.pagination();
    if app.bug(Bug::SpcPaginationIncomplete) {
        return json!({"defaultPageSize": app.page_size(), "maxPageSize": app.page_size()});
    }
    json!({
        "cursor": mode != Pagination::Index,
        "index": mode != Pagination::Cursor,
        "defaultPaginationMethod": match app.default_pagination() {
            Method::Cursor => "cursor",
            Method::Index => "index",
        },
        "defaultPageSize": app.page_size(),
        "maxPageSize": app.page_size(),
        "cursorTimeout": app.cursor_timeout(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_url_safe_and_read_back() {
        let app = App::new(Default::default());
        let c = Cursor {
            offset: 4,
            size: 2,
            issued: 1_700_000_000,
            query: 0xabc,
        };
        let text = c.encode(&app);
        assert!(text
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-._~".contains(ch)));
        let back = Cursor::decode(&text).unwrap();
        assert_eq!((back.offset, back.size, back.query), (4, 2, 0xabc));
        assert!(Cursor::decode("scimitar-not-a-cursor").is_none());
    }
}
