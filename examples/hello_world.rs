//! The smallest Zokio program: a runtime, a spawned task, its result.
//!
//! ```text
//! cargo run --example hello_world
//! ```

#[zokio::main]
async fn main() {
    let greeting = zokio::spawn(async {
        let id = zokio::task::id();
        format!("Hello, world! (from task {id})")
    })
    .await
    .expect("the greeting task panicked");
    println!("{greeting}");
}
