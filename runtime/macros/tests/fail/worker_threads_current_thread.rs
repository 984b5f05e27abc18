#[zokio_macros::test(worker_threads = 2)]
async fn default_flavor() {}

#[zokio_macros::main(flavor = "current_thread", worker_threads = 4)]
async fn explicit_flavor() {}

fn main() {}
