#[zokio_macros::test]
fn not_async() {}

#[zokio_macros::main]
fn main() {}
