//! The committed C header must match what cbindgen generates from the sources.
//! `ZARRS_CFFI_UPDATE_HEADER=1 cargo test --test header` rewrites it.

use std::path::Path;

#[test]
fn committed_header_matches_sources() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen failed")
        .write(&mut generated);
    let header = crate_dir.join("../include/zarrs_cffi.h");
    if std::env::var_os("ZARRS_CFFI_UPDATE_HEADER").is_some() {
        std::fs::write(&header, &generated).expect("cannot write the header");
    }
    let committed = std::fs::read(&header).unwrap_or_default();
    assert!(
        committed == generated,
        "include/zarrs_cffi.h is stale: run build_tools/generate_header.sh and commit the result"
    );
}
