//! The cleanup ledger: every resource the run created, so that all of them
//! and nothing else are deleted, also after failures and interrupts. A
//! create whose answer named no readable id is kept too, by the name the
//! run gave it, until the run finds it (or finds it absent).

use std::collections::HashSet;
use std::sync::Mutex;

/// Whether a server-assigned id can be put in a request path as one
/// segment, `{endpoint}/{id}`, and name that resource only: not empty, not
/// a dot segment (also percent-encoded, which URL parsers resolve too), and
/// without `/`, `\` (a separator in http(s) URLs), `?` or `#`.
pub fn is_safe_id(id: &str) -> bool {
    let dots = id.to_ascii_lowercase().replace("%2e", ".");
    !id.is_empty() && dots != "." && dots != ".." && !id.contains(['/', '\\', '?', '#'])
}

/// A resource the run created and has not yet deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    /// Path relative to the base URL: `/Users/<id>`.
    pub target: String,
    pub case: String,
}

/// A resource the server said it created (a 2xx to a POST) whose id the
/// run could not read: the answer was not JSON, held no id or several, and
/// had no usable `Location`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unread {
    pub endpoint: String,
    /// The attribute and value that name it uniquely (`userName`, the run's token in it).
    pub name: Option<(String, String)>,
    pub case: String,
    /// Why the id could not be read.
    pub why: String,
}

impl Unread {
    /// `userName "scimitar-…-ann" at /Users`.
    pub fn describe(&self) -> String {
        match &self.name {
            Some((attr, value)) => format!("{attr} {value:?} at {}", self.endpoint),
            None => format!("a resource at {}", self.endpoint),
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// Creates sent and not yet answered, by number: what they name.
    in_flight: Vec<(u64, String)>,
    next_flight: u64,
    live: Vec<Created>,
    unread: Vec<Unread>,
    /// Unread creations a listing showed were not there after all.
    absent: usize,
    owned: HashSet<String>,
    fresh: HashSet<String>,
    created: usize,
    deleted: usize,
    leftover: Vec<String>,
}

/// A create in flight; dropping it (the answer came, or not) forgets it.
pub struct InFlight<'a> {
    ledger: &'a Ledger,
    n: u64,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.ledger.lock().in_flight.retain(|(n, _)| *n != self.n);
    }
}

/// Shared by all cases of a run.
#[derive(Debug, Default)]
pub struct Ledger {
    inner: Mutex<Inner>,
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a resource this run created; false when its id is not
    /// [`is_safe_id`]. Such a resource is never recorded as the run's own
    /// (so it is never modified or deleted: its URL would name another
    /// resource or the collection) but is counted as created and reported
    /// among the leftovers.
    pub fn created(&self, endpoint: &str, id: &str, case: &str) -> bool {
        let mut inner = self.lock();
        let endpoint = endpoint.trim_end_matches('/');
        if !is_safe_id(id) {
            let note = format!("{endpoint}/{id:?} (id unsafe in a URL, not deleted)");
            if !inner.leftover.contains(&note) {
                inner.created += 1;
                inner.leftover.push(note);
            }
            return false;
        }
        let target = format!("{endpoint}/{id}");
        inner.owned.insert(id.to_string());
        if !inner.live.iter().any(|c| c.target == target) {
            inner.created += 1;
            inner.live.push(Created {
                target,
                case: case.to_string(),
            });
        }
        true
    }

    /// Notes a create about to be sent (`userName "x" at /Users`), until
    /// the guard drops: an abort lists it as possibly made.
    pub fn in_flight(&self, what: String) -> InFlight<'_> {
        let mut inner = self.lock();
        inner.next_flight += 1;
        let n = inner.next_flight;
        inner.in_flight.push((n, what));
        InFlight { ledger: self, n }
    }

    /// The creates sent and not yet answered.
    pub fn flying(&self) -> Vec<String> {
        self.lock()
            .in_flight
            .iter()
            .map(|(_, w)| w.clone())
            .collect()
    }

    /// Records a creation whose id could not be read (counted as created;
    /// reported as left behind until [`Ledger::found_unread`] or
    /// [`Ledger::absent_unread`] settles it).
    pub fn created_unread(&self, unread: Unread) {
        let mut inner = self.lock();
        inner.created += 1;
        inner.unread.push(unread);
    }

    /// The creations whose id is still unknown.
    pub fn unread(&self) -> Vec<Unread> {
        self.lock().unread.clone()
    }

    /// The unread creation named `value` at `endpoint` has this id: it
    /// becomes a live resource (without being counted again). False when
    /// no unread creation has that name.
    pub fn found_unread(&self, endpoint: &str, value: &str, id: &str) -> bool {
        let mut inner = self.lock();
        let endpoint = endpoint.trim_end_matches('/');
        let Some(i) = inner.unread.iter().position(|u| {
            u.endpoint.trim_end_matches('/') == endpoint
                && u.name
                    .as_ref()
                    .is_some_and(|(_, v)| v.eq_ignore_ascii_case(value))
        }) else {
            return false;
        };
        let u = inner.unread.remove(i);
        inner.created -= 1;
        drop(inner);
        self.created(endpoint, id, &u.case);
        true
    }

    /// A listing of `endpoint` by name showed this unread creation is not there.
    pub fn absent_unread(&self, unread: &Unread) {
        let mut inner = self.lock();
        if let Some(i) = inner.unread.iter().position(|u| u == unread) {
            inner.unread.remove(i);
            inner.absent += 1;
        }
    }

    /// Records that a created resource is gone (a DELETE answered 2xx, or
    /// a 404 that a GET confirmed).
    pub fn deleted(&self, target: &str) {
        let mut inner = self.lock();
        if let Some(i) = inner.live.iter().position(|c| c.target == target) {
            inner.live.remove(i);
            inner.deleted += 1;
        } else if let Some(i) = inner.leftover.iter().position(|t| t == target) {
            // A later try (the run's last cleanup) deleted it after all.
            inner.leftover.remove(i);
            inner.deleted += 1;
        }
    }

    /// The resources whose deletion failed so far, for one more try.
    pub fn leftovers(&self) -> Vec<String> {
        self.lock().leftover.clone()
    }

    /// Whether the ledger has ever recorded this resource (live or deleted).
    pub fn knows(&self, endpoint: &str, id: &str) -> bool {
        let inner = self.lock();
        let target = format!("{}/{}", endpoint.trim_end_matches('/'), id);
        inner.owned.contains(id) || inner.live.iter().any(|c| c.target == target)
    }

    /// Records a resource that could not be deleted.
    pub fn leftover(&self, target: &str) {
        let mut inner = self.lock();
        inner.live.retain(|c| c.target != target);
        if !inner.leftover.iter().any(|t| t == target) {
            inner.leftover.push(target.to_string());
        }
    }

    /// Records an id generated by the run, which no existing resource has.
    pub fn fresh(&self, id: &str) {
        self.lock().fresh.insert(id.to_string());
    }

    /// Whether the id is one the run generated for a resource that should not exist.
    pub fn is_fresh(&self, id: &str) -> bool {
        self.lock().fresh.contains(id)
    }

    /// Whether the run may modify the resource with this id: it created it,
    /// or the id is one the run generated.
    pub fn may_modify(&self, id: &str) -> bool {
        let inner = self.lock();
        inner.owned.contains(id) || inner.fresh.contains(id)
    }

    /// Forgets every id that no longer needs protecting: created ids whose
    /// resource is gone, and generated ids. For callers whose every unit of
    /// work is self-contained (the fuzzer creates, uses and deletes its
    /// fixture per request), so that a long run's memory stays flat. Live
    /// resources, and the totals, are kept.
    pub fn forget_settled(&self) {
        let mut inner = self.lock();
        let Inner {
            live, owned, fresh, ..
        } = &mut *inner;
        owned.retain(|id| {
            live.iter().any(|c| {
                c.target
                    .strip_suffix(id.as_str())
                    .is_some_and(|t| t.ends_with('/'))
            })
        });
        fresh.clear();
    }

    /// The live resources one case created, newest first.
    pub fn live_of(&self, case: &str) -> Vec<String> {
        self.lock()
            .live
            .iter()
            .rev()
            .filter(|c| c.case == case)
            .map(|c| c.target.clone())
            .collect()
    }

    /// Every live resource, newest first.
    pub fn all_live(&self) -> Vec<String> {
        self.lock()
            .live
            .iter()
            .rev()
            .map(|c| c.target.clone())
            .collect()
    }

    /// (created, deleted, leftover) so far; the leftovers include the
    /// unread creations, by name.
    pub fn totals(&self) -> (usize, usize, Vec<String>) {
        let inner = self.lock();
        let mut leftover = inner.leftover.clone();
        leftover.extend(inner.live.iter().map(|c| c.target.clone()));
        leftover.extend(inner.unread.iter().map(|u| {
            format!(
                "{} (created; its id could not be read: {})",
                u.describe(),
                u.why
            )
        }));
        (inner.created, inner.deleted, leftover)
    }

    /// Unread creations found absent by a listing.
    pub fn absent(&self) -> usize {
        self.lock().absent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_what_the_run_created_and_only_that() {
        let l = Ledger::default();
        l.created("/Users/", "1", "a");
        l.created("/Groups", "2", "b");
        l.fresh("f");
        assert!(l.may_modify("1") && l.may_modify("f"));
        assert!(!l.may_modify("someone-elses"));
        assert_eq!(l.live_of("a"), vec!["/Users/1"]);
        l.deleted("/Users/1");
        assert!(l.may_modify("1"), "a deleted resource stays the run's own");
        assert_eq!(l.all_live(), vec!["/Groups/2"]);
        assert_eq!(l.totals(), (2, 1, vec!["/Groups/2".to_string()]));
    }

    #[test]
    fn ids_that_would_name_another_url_are_refused_and_reported() {
        for bad in [
            "",
            ".",
            "..",
            "%2e%2E",
            ".%2e",
            "../Groups/x",
            "a/b",
            "a?b",
            "a#b",
            "a\\b",
        ] {
            assert!(!is_safe_id(bad), "{bad:?}");
            let l = Ledger::default();
            assert!(!l.created("/Users", bad, "a"), "{bad:?}");
            assert!(!l.may_modify(bad) && !l.knows("/Users", bad));
            assert!(l.all_live().is_empty() && l.live_of("a").is_empty());
            let (created, deleted, leftover) = l.totals();
            assert_eq!((created, deleted, leftover.len()), (1, 0, 1), "{bad:?}");
            assert!(leftover[0].contains("unsafe"), "{leftover:?}");
            l.created("/Users", bad, "b");
            assert_eq!(l.totals().0, 1, "reported once");
        }
        for ok in [
            "1",
            "2819c223-7f76-453a-919d-413861904646",
            "a.b",
            "...",
            "a b",
            "%41",
        ] {
            assert!(is_safe_id(ok), "{ok:?}");
        }
        let l = Ledger::default();
        assert!(l.created("/Users", "1", "a"));
    }

    #[test]
    fn forgetting_settled_ids_keeps_the_live_ones_and_the_totals() {
        let l = Ledger::default();
        l.created("/Users", "1", "fuzz");
        l.created("/Groups", "2", "fuzz");
        l.fresh("f");
        l.deleted("/Users/1");
        l.forget_settled();
        assert!(!l.may_modify("1"), "a deleted resource is forgotten");
        assert!(!l.may_modify("f"), "a generated id is forgotten");
        assert!(l.may_modify("2") && l.knows("/Groups", "2"));
        assert_eq!(l.all_live(), vec!["/Groups/2"]);
        assert_eq!(l.totals(), (2, 1, vec!["/Groups/2".to_string()]));
    }

    #[test]
    fn an_unread_creation_counts_until_found_or_shown_absent() {
        let l = Ledger::default();
        let unread = |v: &str| Unread {
            endpoint: "/Users".into(),
            name: Some(("userName".into(), v.into())),
            case: "a".into(),
            why: "the body is not JSON".into(),
        };
        l.created_unread(unread("run-ann"));
        l.created_unread(unread("run-bob"));
        let (created, deleted, leftover) = l.totals();
        assert_eq!((created, deleted), (2, 0));
        assert_eq!(
            leftover,
            vec![
                "userName \"run-ann\" at /Users (created; its id could not be read: the body is not JSON)",
                "userName \"run-bob\" at /Users (created; its id could not be read: the body is not JSON)",
            ]
        );
        assert!(
            !l.found_unread("/Groups", "run-ann", "1"),
            "another endpoint"
        );
        assert!(l.found_unread("/Users/", "RUN-ANN", "1"));
        assert_eq!(l.all_live(), vec!["/Users/1"]);
        assert!(l.may_modify("1"));
        l.deleted("/Users/1");
        l.absent_unread(&unread("run-bob"));
        assert_eq!(l.totals(), (2, 1, vec![]));
        assert_eq!(l.absent(), 1);
        assert!(l.unread().is_empty());
    }

    #[test]
    fn a_leftover_deleted_on_a_later_try_counts_as_deleted() {
        let l = Ledger::default();
        l.created("/Users", "1", "a");
        l.leftover("/Users/1");
        l.leftover("/Users/1");
        assert_eq!(l.leftovers(), vec!["/Users/1"]);
        assert_eq!(l.totals(), (1, 0, vec!["/Users/1".to_string()]));
        l.deleted("/Users/1");
        assert!(l.leftovers().is_empty());
        assert_eq!(l.totals(), (1, 1, vec![]));
    }
}
