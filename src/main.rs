//! The `scimitar` binary: see the `cli` module.

fn main() {
    std::process::exit(scimitar::cli::main());
}
