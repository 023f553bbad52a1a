//! Model-based PATCH sequences as cases: the generator of `gen::patch`,
//! driven by a seed, yields requests applied one after the other to a User
//! the case creates; after each, the server's resource must equal the
//! reference applier's (or both must refuse). Deterministic for a seed.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

use crate::discover::Capabilities;
use crate::gen::patch::{sequence, start_user};
use crate::scim::urn;
use crate::suite::{Case, Origin};

/// A case applying `requests` in order, each checked against the applier.
pub fn sequence_case(id: &str, requests: &[Vec<Value>], with_enterprise: bool) -> Case {
    let steps: Vec<Value> = requests
        .iter()
        .map(|ops| json!({"patch": "User", "target": "ann", "operations": ops, "expect": "any"}))
        .collect();
    let mut requires = vec![json!("User"), json!("patch")];
    if with_enterprise {
        requires.push(json!(format!("schema:{}", urn::ENTERPRISE_USER)));
    }
    let v = json!({
        "id": id,
        "title": format!("{} generated PATCH requests agree with the reference applier", requests.len()),
        "level": "MUST",
        "requirements": ["R7644-3.5.2-09", "R7644-3.5.2-14", "R7644-3.5.2-15", "R7644-3.5.2-17"],
        "requires": requires,
        "notes": "Generated (model-based): after each request the resource must equal what RFC 7644 §3.5.2 makes of it, or the request must be refused as the RFC says and change nothing.",
        "fixtures": {"ann": {"type": "User", "body": start_user(with_enterprise)}},
        "steps": steps,
    });
    let mut case: Case = serde_json::from_value(v).expect("a generated case is well formed");
    case.area = "patch".into();
    case.origin = Origin {
        file: "(generated PATCH sequence)".into(),
        pos: Default::default(),
    };
    case
}

/// `count` generated sequences of at most `max_requests` requests each.
pub fn generate(caps: &Capabilities, seed: u64, count: usize, max_requests: usize) -> Vec<Case> {
    let with_enterprise = caps
        .meets(&format!("schema:{}", urn::ENTERPRISE_USER))
        .is_ok();
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = sequence(with_enterprise, max_requests);
    (0..count)
        .filter_map(|i| {
            let requests = strategy.new_tree(&mut runner).ok()?.current();
            Some(sequence_case(
                &format!("patch.model.seed{seed}.{i}"),
                &requests,
                with_enterprise,
            ))
        })
        .collect()
}
