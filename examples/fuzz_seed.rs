//! Seeds the fuzz corpora from the proptest strategies, the built-in suites
//! and hand-written messages: `cargo run --example fuzz_seed -- fuzz/corpus`
//! writes `fuzz/corpus/{filter_parse,patch_path,patch_apply,set_parse,
//! patch_request,suite_load,resource_decode}/*`. It needs only the pure model.

use std::path::{Path, PathBuf};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use scimitar::gen::filter::filter;
use scimitar::scim::schema::{core_schema_json, core_schemas};

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

    let request_dir = Path::new(&root).join("patch_request");
    std::fs::create_dir_all(&request_dir)?;
    let bodies = patch_request_seeds(&mut runner);
    for (i, body) in bodies.iter().enumerate() {
        std::fs::write(request_dir.join(format!("req-{i:04}")), body)?;
    }
    println!("wrote {} PatchOp request bodies", bodies.len());

    let suite_dir = Path::new(&root).join("suite_load");
    std::fs::create_dir_all(&suite_dir)?;
    let suites = suite_files()?;
    for (name, text) in &suites {
        std::fs::write(suite_dir.join(name), text)?;
    }
    println!("wrote {} suite files", suites.len());

    let decode_dir = Path::new(&root).join("resource_decode");
    std::fs::create_dir_all(&decode_dir)?;
    let documents = resource_seeds(&suites, &mut runner);
    for (i, doc) in documents.iter().enumerate() {
        std::fs::write(decode_dir.join(format!("doc-{i:04}")), doc)?;
    }
    println!("wrote {} resources and messages", documents.len());
    Ok(())
}

/// PatchOp bodies: generated operations (with and without the enterprise
/// extension) and hand-written ones in the dialects and errors the reader
/// must handle.
fn patch_request_seeds(runner: &mut TestRunner) -> Vec<String> {
    use scimitar::scim::urn::{ENTERPRISE_USER, PATCH_OP};
    use serde_json::json;

    let mut seeds = vec![];
    for with_enterprise in [true, false] {
        let requests = scimitar::gen::patch::request(with_enterprise);
        for _ in 0..150 {
            let ops = requests.new_tree(runner).expect("generates").current();
            seeds.push(json!({"schemas": [PATCH_OP], "Operations": ops}).to_string());
        }
    }
    let written = [
        json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "a@example.com"},
            {"op": "remove", "path": "nickName"}
        ]}),
        json!({"schemas": [PATCH_OP], "operations": [
            {"OP": "Add", "value": {"nickName": "Babs", "name.givenName": "Barbara"}}
        ]}),
        json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": format!("{ENTERPRISE_USER}:manager.value"), "value": "26118915"},
            {"op": "add", "path": "members", "value": [{"value": "2819c223"}]},
            {"op": "remove", "path": "members[value eq \"2819c223\" or not (display pr)]"}
        ]}),
        json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "value": {"active": "False"}, "path": null}
        ]}),
        json!({"Operations": [{"op": "add", "value": {}}]}),
        json!({"schemas": [PATCH_OP], "Operations": []}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "a"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "a"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "a[", "value": 1}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": 5, "value": 1}]}),
        json!({"schemas": [PATCH_OP], "Operations": [1, null, "remove"]}),
        json!([{"op": "add"}]),
    ];
    seeds.extend(written.iter().map(|b| b.to_string()));
    seeds
}

/// Every file under `suites/`, named by its path there.
fn suite_files() -> std::io::Result<Vec<(String, String)>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites");
    let mut paths = vec![];
    walk(&root, &mut paths)?;
    paths.sort();
    let mut files = vec![];
    for p in paths {
        let name = p
            .strip_prefix(&root)
            .unwrap_or(&p)
            .to_string_lossy()
            .replace(['/', '\\'], "-");
        files.push((name, std::fs::read_to_string(&p)?));
    }
    Ok(files)
}

/// Every JSON object with `schemas` in the suites (request bodies,
/// fixtures, populations, expected bodies), generated users, the core
/// schemas, and ListResponse, Error, SearchRequest and PatchOp messages.
fn resource_seeds(suites: &[(String, String)], runner: &mut TestRunner) -> Vec<String> {
    use scimitar::scim::{urn, ErrorBody, ListResponse, SearchRequest};
    use serde_json::{json, Value};

    fn collect(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(m) => {
                if m.contains_key("schemas") && !out.contains(v) {
                    out.push(v.clone());
                }
                m.values().for_each(|v| collect(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    let mut found = vec![];
    // Files that are not YAML (requirements.tsv) hold no resources.
    for doc in suites
        .iter()
        .filter_map(|(_, text)| scimitar::suite::yaml::parse(text).ok())
    {
        collect(&doc.value, &mut found);
    }
    let users: Vec<Value> = (0..40)
        .map(|_| {
            scimitar::gen::filter::user()
                .new_tree(runner)
                .expect("generates")
                .current()
        })
        .collect();
    found.extend(users.iter().cloned());
    found.extend(core_schema_json());
    let group = json!({
        "schemas": [urn::GROUP], "id": "e9e30dba", "displayName": "Tour Guides",
        "members": [{"value": "2819c223", "$ref": "../Users/2819c223", "display": "Babs", "type": "User"}],
        "meta": {"resourceType": "Group", "created": "2010-01-23T04:56:22Z", "version": "W/\"3694e05e\""}
    });
    let mut enterprise = json!({
        "schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "2819c223", "userName": "bjensen"
    });
    enterprise[urn::ENTERPRISE_USER] = json!({"employeeNumber": "701984", "costCenter": "4130",
        "manager": {"value": "26118915", "displayName": "John Smith"}});
    found.push(group.clone());
    found.push(enterprise.clone());
    let mut listed = users[..5].to_vec();
    listed.extend([
        group,
        enterprise,
        json!({"userName": 5}),
        json!({"userName": "a"}),
    ]);
    found.push(serde_json::to_value(ListResponse::complete(listed)).expect("encodes"));
    found.push(serde_json::to_value(ListResponse::complete(vec![])).expect("encodes"));
    found.push(json!({"schemas": [urn::LIST_RESPONSE], "totalResults": 100, "startIndex": 51, "itemsPerPage": 0}));
    found.push(
        serde_json::to_value(ErrorBody::new(409, Some("uniqueness"), "userName is taken"))
            .expect("encodes"),
    );
    found.push(
        json!({"schemas": [urn::ERROR], "status": "404", "detail": "Resource 2819c223 not found"}),
    );
    found.push(
        serde_json::to_value(SearchRequest {
            schemas: vec![urn::SEARCH_REQUEST.into()],
            attributes: vec!["displayName".into(), "userName".into()],
            filter: Some("displayName sw \"smi\"".into()),
            sort_by: Some("userName".into()),
            sort_order: Some("descending".into()),
            start_index: Some(1),
            count: Some(10),
            ..Default::default()
        })
        .expect("encodes"),
    );
    found.push(json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "x"}]}));
    found.iter().map(Value::to_string).collect()
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
