#[zokio_macros::test(flavor = "single_thread")]
async fn unknown() {}

#[zokio_macros::test(flavor = multi_thread)]
async fn not_a_string() {}

#[zokio_macros::test(start_paused = true)]
async fn unknown_argument() {}

fn main() {}
