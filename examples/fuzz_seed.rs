//! Seeds the fuzz corpora from the proptest strategies:
//! `cargo run --example fuzz_seed -- fuzz/corpus` writes
//! `fuzz/corpus/{filter_parse,patch_path,patch_apply,set_parse}/*`.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use scimitar::gen::filter::filter;
use scimitar::scim::schema::core_schemas;

fn main() -> std::io::Result<()> {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fuzz/corpus".into());
    let dir = std::path::Path::new(&root).join("filter_parse");
    std::fs::create_dir_all(&dir)?;
    let schemas = core_schemas();
    let strategy = filter(&schemas[0], &schemas[2..]);
    // A fixed seed: the same corpus on every machine.
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    for i in 0..500 {
        let tree = strategy
            .new_tree(&mut runner)
            .expect("the strategy generates");
        std::fs::write(dir.join(format!("gen-{i:04}")), tree.current().to_string())?;
    }
    println!("wrote 500 filters to {}", dir.display());

    let user = &schemas[0];
    let paths = scimitar::gen::patch::path(user, &schemas[2..]);
    let requests = scimitar::gen::patch::request(true);
    let path_dir = std::path::Path::new(&root).join("patch_path");
    let apply_dir = std::path::Path::new(&root).join("patch_apply");
    std::fs::create_dir_all(&path_dir)?;
    std::fs::create_dir_all(&apply_dir)?;
    for i in 0..300 {
        let p = paths.new_tree(&mut runner).expect("generates").current();
        std::fs::write(path_dir.join(format!("gen-{i:04}")), p.to_string())?;
        let ops = requests.new_tree(&mut runner).expect("generates").current();
        let body =
            serde_json::json!({"schemas": [scimitar::scim::urn::PATCH_OP], "Operations": ops});
        std::fs::write(apply_dir.join(format!("gen-{i:04}")), body.to_string())?;
    }
    println!("wrote 300 paths and 300 PatchOp bodies");

    let set_dir = std::path::Path::new(&root).join("set_parse");
    std::fs::create_dir_all(&set_dir)?;
    let sets = set_seeds();
    for (i, token) in sets.iter().enumerate() {
        std::fs::write(set_dir.join(format!("set-{i:02}")), token)?;
    }
    println!("wrote {} SETs", sets.len());
    Ok(())
}

/// Valid SETs of each event kind (signed with the fuzz target's HS256
/// secret, or unsigned) and SETs that break one rule each, plus texts
/// that are not compact JWS at all.
fn set_seeds() -> Vec<String> {
    use scimitar::scim::set::event::*;
    use scimitar::scim::set::{SetBuilder, Signer, SubId};
    use serde_json::json;

    let hs256 = Signer::hs256(b"scimitar-fuzz-secret").with_kid("fuzz");
    let txn = "734f0614e3274f288f93ac74119dcf78";
    let base = || {
        SetBuilder::new(
            "https://scim.example.com",
            "4d3559ec67504aaba65d40b0363faad8",
            1458496404,
        )
        .audience("https://receiver.example.com")
        .txn(txn)
        .sub_id(&SubId::scim("/Users/2819c223-7f76-453a-919d-413861904646"))
    };
    let user = json!({"schemas": [scimitar::scim::urn::USER], "userName": "bjensen"});
    let error =
        json!({"schemas": [scimitar::scim::urn::ERROR], "status": "409", "scimType": "uniqueness"});
    let valid = [
        base().event(CREATE_FULL, json!({"data": user, "version": "W/\"1\""})),
        base().event(
            CREATE_NOTICE,
            json!({"attributes": ["userName", "name.givenName"]}),
        ),
        base().event(
            PATCH_NOTICE,
            json!({"attributes": ["emails[type eq \"work\"].value"]}),
        ),
        base().event(PUT_FULL, json!({"data": user, "version": "W/\"2\""})),
        base().event(DELETE, json!({})),
        base()
            .event(ACTIVATE, json!({}))
            .event(PATCH_NOTICE, json!({"attributes": ["active"]})),
        base().event(FEED_ADD, json!({})),
        base().event(
            ASYNC_RESPONSE,
            json!({"method": "PUT", "status": "200", "version": "W/\"3\""}),
        ),
        base().txn(&bulk_txn(txn, 1)).event(
            ASYNC_RESPONSE,
            json!({"method": "POST", "bulkId": "qwerty", "status": "409", "response": error}),
        ),
    ];
    let broken = [
        base()
            .claim("sub", json!("/Users/1"))
            .without_claim("sub_id")
            .event(DELETE, json!({})),
        base().event(
            "urn:ietf:params:scim:event:prov:delete:full",
            json!({"data": user}),
        ),
        base().event(
            CREATE_NOTICE,
            json!({"data": user, "attributes": ["userName"]}),
        ),
        base()
            .event(CREATE_FULL, json!({"data": user}))
            .event(DELETE, json!({})),
        base()
            .without_claim("iat")
            .claim("aud", json!(5))
            .claim("exp", json!("soon")),
        base()
            .header_param("typ", json!("JWT"))
            .event(FEED_REMOVE, json!(null)),
    ];
    let mut seeds: Vec<String> = valid.iter().map(|b| b.sign(&hs256)).collect();
    seeds.extend(valid.iter().take(3).map(SetBuilder::unsigned));
    seeds.extend(broken.iter().map(|b| b.sign(&hs256)));
    let signed = valid[0].sign(&hs256);
    let (_, signature) = signed.rsplit_once('.').unwrap_or_default();
    seeds.push(format!("{}{signature}", valid[0].unsigned()));
    seeds.extend(
        [
            "a.b",
            "a.b.c.d.e",
            "e30.W10.",
            "eyJhbGciOiJub25lIn0.e30.e30=",
        ]
        .map(String::from),
    );
    seeds
}
