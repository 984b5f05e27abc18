/// Pins values on the stack: each named local becomes a `Pin<&mut T>` of the same name.
///
/// Needed to poll a `!Unpin` future by reference (for example inside `select!` in a loop) without
/// boxing it. Two forms: `pin!(a, b)` re-binds existing locals, and `pin! { let x = expr; }`
/// declares and pins in one step. The original value is moved, so it cannot be reached unpinned.
///
/// ```
/// use std::pin::Pin;
///
/// async fn ready(n: u32) -> u32 { n }
///
/// # futures::executor::block_on(async {
/// let a = ready(1);
/// let b = ready(2);
/// zokio::pin!(a, b);
/// let _: &mut Pin<&mut _> = &mut a;
/// assert_eq!((&mut a).await + (&mut b).await, 3);
///
/// zokio::pin! {
///     let c = ready(3);
/// }
/// assert_eq!(c.as_mut().await, 3);
/// # });
/// ```
#[macro_export]
macro_rules! pin {
    ($($x:ident),* $(,)?) => { $(
        #[allow(unused_mut)]
        let mut $x = $crate::macros::support::pin!($x);
    )* };
    ($(let $x:ident = $init:expr;)*) => { $(
        let $x = $init;
        $crate::pin!($x);
    )* };
}
