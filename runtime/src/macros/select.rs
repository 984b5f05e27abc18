/// Waits on several futures and runs the handler of the first one to complete.
///
/// ```text
/// zokio::select! {
///     biased;                                              // optional: poll in written order
///     <pattern> = <async expression> (, if <precondition>)? => <handler>,
///     ...
///     else => <expression>                                 // optional
/// }
/// ```
///
/// Each time `select!` is reached:
/// 1. every precondition is evaluated, in order; a `false` one disables its branch;
/// 2. every async expression is evaluated (disabled ones too) and pinned on the stack; `IntoFuture`
///    values are accepted;
/// 3. the enabled futures are polled, starting from a random branch (or the first with `biased;`);
/// 4. when a future completes, its branch is disabled; if the output matches the pattern, all the
///    futures are dropped and the handler runs with the pattern's bindings, and its value is the
///    value of `select!`; otherwise polling goes on with the remaining branches;
/// 5. when every branch is disabled, the `else` expression runs, or, without one, `select!` panics
///    with "all branches are disabled and there is no else branch".
///
/// Handlers run in the enclosing function, so `return`, `?`, `break` and `continue` act on the
/// enclosing function or loop. At most 64 branches.
///
/// Cancellation: the futures of the branches that did not win are dropped, so each of them should
/// be safe to drop before completion (for example a channel receive, a sleep).
///
/// ```
/// use std::future::{pending, ready};
///
/// # futures::executor::block_on(async {
/// let mut missing: Option<u32> = None;
/// let won = zokio::select! {
///     _ = pending::<()>() => "never",
///     Some(n) = ready(missing.take()) => if n > 0 { "some" } else { "zero" },
///     v = ready(7), if missing.is_none() => if v == 7 { "seven" } else { "other" },
/// };
/// assert_eq!(won, "seven");
///
/// let fallback = zokio::select! {
///     Some(n) = ready(None::<u32>) => n,
///     else => 0,
/// };
/// assert_eq!(fallback, 0);
/// # });
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::macros::support::select_internal! { ($crate) $($tokens)* }
    };
}
