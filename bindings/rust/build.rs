//! Links libcrayon.so from $CRAYON_LIB_DIR (default: ../../build/native, where `make native`
//! puts it) and records that directory as an rpath, so tests and examples run without
//! LD_LIBRARY_PATH. For an installed library, point CRAYON_LIB_DIR at $PREFIX/lib.
use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=CRAYON_LIB_DIR");
    println!("cargo:rerun-if-changed=build.rs");

    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = match env::var_os("CRAYON_LIB_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => manifest.join("../../build/native"),
    };
    // A relative CRAYON_LIB_DIR is taken from the crate directory, like the default.
    let dir = if dir.is_absolute() { dir } else { manifest.join(dir) };
    let dir = dir.canonicalize().unwrap_or(dir);

    let lib = dir.join("libcrayon.so");
    if !lib.exists() {
        panic!(
            "libcrayon.so not found in {}: run `make native` at the repository root, \
             or set CRAYON_LIB_DIR to the directory that holds it",
            dir.display()
        );
    }
    println!("cargo:rerun-if-changed={}", lib.display());
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib=crayon");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    // Dependent crates can read this as DEP_CRAYON_LIB_DIR.
    println!("cargo:lib_dir={}", dir.display());
}
