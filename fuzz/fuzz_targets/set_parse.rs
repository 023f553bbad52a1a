//! The SET parser never panics, nor do verification, validation and the
//! typed view of what it accepts; a parsed token re-encoded unsigned parses
//! back to the same header and claims, which validate the same (but for
//! repeated member names, which re-encoding cannot keep).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scimitar::scim::set::jwt::MAX_TOKEN_LEN;
use scimitar::scim::set::rules::{DUPLICATE_CLAIM, DUPLICATE_EVENT};
use scimitar::scim::set::{validate, Expectations, KeySet, Set, Token, Unsigned, Violation};

fn keys() -> &'static KeySet {
    static K: OnceLock<KeySet> = OnceLock::new();
    K.get_or_init(|| KeySet::hmac(b"scimitar-fuzz-secret"))
}

fn expect() -> &'static Expectations {
    static E: OnceLock<Expectations> = OnceLock::new();
    E.get_or_init(|| Expectations {
        issuer: Some("https://scim.example.com".into()),
        audience: Some("https://receiver.example.com".into()),
        txn: Some("734f0614e3274f288f93ac74119dcf78".into()),
        explicit_typing: true,
    })
}

fn without_duplicates(found: Vec<Violation>) -> Vec<Violation> {
    found
        .into_iter()
        .filter(|v| *v.rule != DUPLICATE_CLAIM && *v.rule != DUPLICATE_EVENT)
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(token) = Token::parse(text) else {
        return;
    };
    let _ = token.verify(keys(), Unsigned::Refuse);
    let _ = token.verify(keys(), Unsigned::Allow);
    let found = validate(&token, expect());
    assert!(found.iter().all(|v| !v.message.is_empty()), "{text:?}");
    let _ = Set::from_token(&token);

    let unsigned = token.to_unsigned();
    if unsigned.len() > MAX_TOKEN_LEN {
        return; // "1e2" re-encodes as "100.0": a token near the limit can grow past it
    }
    let again = Token::parse(&unsigned).unwrap_or_else(|e| {
        panic!("{text:?} re-encoded as {unsigned:?}, which does not parse: {e}")
    });
    assert_eq!(again.header(), token.header(), "{text:?}");
    assert_eq!(again.claims(), token.claims(), "{text:?}");
    assert_eq!(
        without_duplicates(validate(&again, expect())),
        without_duplicates(found),
        "{text:?}"
    );
});
