//! Rebuilds when the built-in suites change (they are embedded with include_dir).
fn main() {
    println!("cargo:rerun-if-changed=suites");
}
