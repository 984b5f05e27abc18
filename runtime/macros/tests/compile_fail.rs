//! The macros' compile errors, as users see them (snapshots in `fail/*.stderr`).
//! Regenerate after an intended change with `TRYBUILD=overwrite cargo test -p zokio-macros`.

#[test]
fn macro_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/fail/*.rs");
}
