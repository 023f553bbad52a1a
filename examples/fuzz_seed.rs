//! Seeds the fuzz corpora from the proptest strategies:
//! `cargo run --example fuzz_seed -- fuzz/corpus` writes
//! `fuzz/corpus/{filter_parse,patch_path,patch_apply}/*`.

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
    Ok(())
}
