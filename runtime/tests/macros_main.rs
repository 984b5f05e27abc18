//! `#[zokio::main]` and `#[zokio::test]` on a real runtime: flavors, worker count, return types,
//! kept attributes, arguments of non-`main` functions and a renamed crate path.

use zokio::runtime::{Handle, RuntimeFlavor};

#[zokio::test]
async fn returns_value() {
    assert_eq!(async { 7 }.await, 7);
}

#[zokio::test]
async fn test_defaults_to_current_thread() {
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
}

#[zokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_thread_with_two_workers() {
    let handle = Handle::current();
    assert_eq!(handle.runtime_flavor(), RuntimeFlavor::MultiThread);
    assert_eq!(handle.metrics().num_workers, 2);
    let spawned = zokio::spawn(async { 40 + 2 });
    assert_eq!(spawned.await.expect("the spawned task completes"), 42);
}

#[zokio::test]
async fn result_return_type_with_question_mark() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "5".parse()?;
    assert_eq!(n, 5);
    if n == 5 {
        return Ok(());
    }
    unreachable!("returned above");
}

#[test]
fn main_returns_the_bodys_result() {
    #[zokio::main(flavor = "current_thread")]
    async fn fails() -> Result<(), String> {
        Err("no".to_owned())
    }
    assert_eq!(fails(), Err("no".to_owned()));
}

/// Doc comments and other attributes stay on the function.
#[zokio::test]
#[should_panic(expected = "kept should_panic")]
async fn keeps_other_attributes() {
    panic!("kept should_panic");
}

#[zokio::main(flavor = "current_thread")]
async fn doubled(x: u32) -> u32 {
    x * 2
}

#[zokio::main]
async fn main_defaults_to_multi_thread() -> RuntimeFlavor {
    Handle::current().runtime_flavor()
}

#[test]
fn main_attribute_builds_a_runtime_per_call() {
    assert_eq!(doubled(21), 42);
    assert_eq!(main_defaults_to_multi_thread(), RuntimeFlavor::MultiThread);
}

mod renamed {
    pub use zokio as zk;
}

#[zokio::test(crate = "renamed::zk")]
async fn crate_path_can_be_renamed() {
    assert_eq!(zokio::join!(async { 1 }, async { 2 }), (1, 2));
}
