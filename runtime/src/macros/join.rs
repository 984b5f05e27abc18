/// Waits on several futures at once, in the current task, and returns all their outputs as a tuple.
///
/// The futures run concurrently, not in parallel: they are polled one after the other by the task
/// that awaits `join!`. Each poll starts with the next future in turn, so none is always first;
/// write `biased;` first to always poll in the written order. A future is not polled again once it
/// has completed. Use `zokio::spawn` for parallelism and `try_join!` to stop at the first error.
///
/// ```
/// async fn double(n: u32) -> u32 { n * 2 }
///
/// # futures::executor::block_on(async {
/// let (a, b, c) = zokio::join!(double(1), double(2), async { "three" });
/// assert_eq!((a, b, c), (2, 4, "three"));
/// # });
/// ```
#[macro_export]
macro_rules! join {
    ($($tokens:tt)*) => {
        $crate::macros::support::join_internal! { ($crate) $($tokens)* }
    };
}

/// Waits on several futures returning `Result`, returning `Ok` of all the values, or the first
/// `Err`, at which point the other futures are dropped unfinished.
///
/// Polling is the same as [`join!`]: concurrent in the current task, rotating which future goes
/// first (`biased;` keeps the written order). All the futures must share one error type.
///
/// ```
/// async fn parse(s: &str) -> Result<u32, std::num::ParseIntError> { s.parse() }
///
/// # futures::executor::block_on(async {
/// assert_eq!(zokio::try_join!(parse("1"), parse("2")), Ok((1, 2)));
/// assert!(zokio::try_join!(parse("1"), parse("x")).is_err());
/// # });
/// ```
#[macro_export]
macro_rules! try_join {
    ($($tokens:tt)*) => {
        $crate::macros::support::try_join_internal! { ($crate) $($tokens)* }
    };
}
