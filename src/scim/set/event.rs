//! The SCIM event URIs that RFC 9967 §7.4 registers (the IANA "SCIM Event
//! URIs" registry), what each means and which payload it carries, and the
//! bulk `txn` form of §2.5.1.2.

/// The prefix of every SCIM event URI (RFC 9967 §2, §7.3).
pub const PREFIX: &str = "urn:ietf:params:scim:event:";

pub const FEED_ADD: &str = "urn:ietf:params:scim:event:feed:add";
pub const FEED_REMOVE: &str = "urn:ietf:params:scim:event:feed:remove";
pub const CREATE_NOTICE: &str = "urn:ietf:params:scim:event:prov:create:notice";
pub const CREATE_FULL: &str = "urn:ietf:params:scim:event:prov:create:full";
pub const PATCH_NOTICE: &str = "urn:ietf:params:scim:event:prov:patch:notice";
pub const PATCH_FULL: &str = "urn:ietf:params:scim:event:prov:patch:full";
pub const PUT_NOTICE: &str = "urn:ietf:params:scim:event:prov:put:notice";
pub const PUT_FULL: &str = "urn:ietf:params:scim:event:prov:put:full";
pub const DELETE: &str = "urn:ietf:params:scim:event:prov:delete";
pub const ACTIVATE: &str = "urn:ietf:params:scim:event:prov:activate";
pub const DEACTIVATE: &str = "urn:ietf:params:scim:event:prov:deactivate";
pub const ASYNC_RESPONSE: &str = "urn:ietf:params:scim:event:misc:asyncresp";

/// What happened, by event URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    Create,
    Patch,
    Put,
    Delete,
    Activate,
    Deactivate,
    FeedAdd,
    FeedRemove,
    AsyncResp,
    /// A URI RFC 9967 does not register (another profile's, or a bad one).
    Other,
}

/// Which payload attribute an event carries (RFC 9967 §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayloadMode {
    /// `…:full`: `data`, the resource as a Bulk operation's data.
    Full,
    /// `…:notice`: `attributes`, the changed attribute paths.
    Notice,
    /// Neither: feed, delete, activate, deactivate, asyncresp, others.
    None,
}

/// One entry of the RFC 9967 §7.4 registry.
#[derive(Debug, PartialEq, Eq)]
pub struct Registered {
    pub uri: &'static str,
    pub kind: EventKind,
    pub mode: PayloadMode,
    /// The section of RFC 9967 that defines the event.
    pub section: &'static str,
}

const fn entry(
    uri: &'static str,
    kind: EventKind,
    mode: PayloadMode,
    section: &'static str,
) -> Registered {
    Registered {
        uri,
        kind,
        mode,
        section,
    }
}

/// RFC 9967 §7.4, Table 1, in its order.
pub static REGISTRY: [Registered; 12] = [
    entry(FEED_ADD, EventKind::FeedAdd, PayloadMode::None, "2.3.1"),
    entry(
        FEED_REMOVE,
        EventKind::FeedRemove,
        PayloadMode::None,
        "2.3.2",
    ),
    entry(
        CREATE_NOTICE,
        EventKind::Create,
        PayloadMode::Notice,
        "2.4.1",
    ),
    entry(CREATE_FULL, EventKind::Create, PayloadMode::Full, "2.4.1"),
    entry(PATCH_NOTICE, EventKind::Patch, PayloadMode::Notice, "2.4.2"),
    entry(PATCH_FULL, EventKind::Patch, PayloadMode::Full, "2.4.2"),
    entry(PUT_NOTICE, EventKind::Put, PayloadMode::Notice, "2.4.3"),
    entry(PUT_FULL, EventKind::Put, PayloadMode::Full, "2.4.3"),
    entry(DELETE, EventKind::Delete, PayloadMode::None, "2.4.4"),
    entry(ACTIVATE, EventKind::Activate, PayloadMode::None, "2.4.5"),
    entry(
        DEACTIVATE,
        EventKind::Deactivate,
        PayloadMode::None,
        "2.4.6",
    ),
    entry(
        ASYNC_RESPONSE,
        EventKind::AsyncResp,
        PayloadMode::None,
        "2.5.1.3",
    ),
];

/// The registry entry of a URI (compared exactly, RFC 7519 §7.3).
pub fn lookup(uri: &str) -> Option<&'static Registered> {
    REGISTRY.iter().find(|r| r.uri == uri)
}

/// The kind and payload mode of any URI: `Other` and `None` when RFC 9967
/// does not register it.
pub fn classify(uri: &str) -> (EventKind, PayloadMode) {
    lookup(uri).map_or((EventKind::Other, PayloadMode::None), |r| (r.kind, r.mode))
}

/// Whether a URI is in the SCIM event namespace, registered or not.
pub fn is_scim(uri: &str) -> bool {
    uri.starts_with(PREFIX)
}

/// The registered URI for a provisioning operation and mode: `None` for
/// kinds without that mode (a delete has no `:full`).
pub fn uri_for(kind: EventKind, mode: PayloadMode) -> Option<&'static str> {
    REGISTRY
        .iter()
        .find(|r| r.kind == kind && r.mode == mode)
        .map(|r| r.uri)
}

/// The `txn` of the completion event of one operation of an asynchronous
/// bulk request (RFC 9967 §2.5.1.2): the Set-Txn value, a colon and the
/// zero-based index of the operation in the request.
pub fn bulk_txn(txn: &str, index: usize) -> String {
    format!("{txn}:{index}")
}

/// Splits a bulk `txn` into the Set-Txn value and the operation index;
/// `None` when it does not end in `:<decimal index>`.
pub fn split_bulk_txn(txn: &str) -> Option<(&str, usize)> {
    let (base, index) = txn.rsplit_once(':')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((base, index.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_entries_agree_with_their_uris() {
        let mut uris: Vec<&str> = REGISTRY.iter().map(|r| r.uri).collect();
        uris.sort_unstable();
        uris.dedup();
        assert_eq!(uris.len(), REGISTRY.len(), "a URI is registered twice");
        for r in &REGISTRY {
            assert!(is_scim(r.uri), "{}", r.uri);
            let mut parts = r.uri[PREFIX.len()..].split(':');
            let (class, name, other) = (parts.next(), parts.next(), parts.next());
            assert_eq!(parts.next(), None, "{}", r.uri);
            // The mode is the qualifier of the URI (RFC 9967 §2.4).
            let mode = match other {
                Some("full") => PayloadMode::Full,
                Some("notice") => PayloadMode::Notice,
                None => PayloadMode::None,
                Some(q) => panic!("{}: qualifier {q}", r.uri),
            };
            assert_eq!(r.mode, mode, "{}", r.uri);
            // The kind is the class and name of the URI (RFC 9967 §7.3).
            let kind = match (class, name) {
                (Some("feed"), Some("add")) => EventKind::FeedAdd,
                (Some("feed"), Some("remove")) => EventKind::FeedRemove,
                (Some("prov"), Some("create")) => EventKind::Create,
                (Some("prov"), Some("patch")) => EventKind::Patch,
                (Some("prov"), Some("put")) => EventKind::Put,
                (Some("prov"), Some("delete")) => EventKind::Delete,
                (Some("prov"), Some("activate")) => EventKind::Activate,
                (Some("prov"), Some("deactivate")) => EventKind::Deactivate,
                (Some("misc"), Some("asyncresp")) => EventKind::AsyncResp,
                _ => panic!("{}: unknown class and name", r.uri),
            };
            assert_eq!(r.kind, kind, "{}", r.uri);
            assert_eq!(lookup(r.uri), Some(r));
            assert_eq!(uri_for(r.kind, r.mode), Some(r.uri));
        }
        // Create, patch and put come in both modes.
        for kind in [EventKind::Create, EventKind::Patch, EventKind::Put] {
            for mode in [PayloadMode::Full, PayloadMode::Notice] {
                assert!(uri_for(kind, mode).is_some(), "{kind:?} {mode:?}");
            }
        }
        assert_eq!(classify(PATCH_FULL), (EventKind::Patch, PayloadMode::Full));
        assert_eq!(classify(DELETE), (EventKind::Delete, PayloadMode::None));
        assert_eq!(
            classify("urn:ietf:params:scim:event:prov:create"),
            (EventKind::Other, PayloadMode::None)
        );
        assert_eq!(
            classify("URN:IETF:params:scim:event:prov:delete").0,
            EventKind::Other
        );
        assert_eq!(
            uri_for(EventKind::Put, PayloadMode::Notice),
            Some(PUT_NOTICE)
        );
        assert_eq!(uri_for(EventKind::Delete, PayloadMode::Full), None);
    }

    #[test]
    fn bulk_txn_round_trips_and_rejects_non_indices() {
        let t = bulk_txn("2d80e537a3f64622b0347b641ebc8f44", 1);
        assert_eq!(t, "2d80e537a3f64622b0347b641ebc8f44:1");
        assert_eq!(
            split_bulk_txn(&t),
            Some(("2d80e537a3f64622b0347b641ebc8f44", 1))
        );
        assert_eq!(split_bulk_txn("a:b:12"), Some(("a:b", 12)));
        assert_eq!(split_bulk_txn("abc"), None);
        assert_eq!(split_bulk_txn("abc:"), None);
        assert_eq!(split_bulk_txn("abc:qwerty"), None);
        assert_eq!(split_bulk_txn("abc:+1"), None);
        assert_eq!(split_bulk_txn("abc:99999999999999999999999999"), None);
    }
}
