//! Procedural macros for Zokio: `#[zokio::main]`, `#[zokio::test]`, and the engines behind
//! `zokio::select!`, `zokio::join!` and `zokio::try_join!`.
//!
//! Use them through the `zokio` crate, which re-exports them; this crate is an implementation
//! detail and its `*_internal` macros are not a stable interface.
//!
//! ```ignore
//! // `ignore`: this crate cannot depend on `zokio`; runtime/tests/macros_main.rs runs the same code.
//! #[zokio::main]
//! async fn main() {
//!     println!("hello from a Zokio worker");
//! }
//! ```
#![deny(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

use proc_macro::TokenStream;
use syn::parse::ParseStream;

mod entry;
mod join;
mod select;

/// Marks an `async fn` as the entry point run on a Zokio runtime.
///
/// The body becomes `Builder::new_multi_thread().build().expect(..).block_on(async move { body })`.
/// The function keeps its attributes, doc comments, visibility and return type, so
/// `async fn main() -> Result<(), E>` works with `?` inside.
///
/// Arguments (all optional):
/// - `flavor = "multi_thread"` (default) or `flavor = "current_thread"`;
/// - `worker_threads = N` (multi-thread only; default: one per CPU);
/// - `crate = "path"` when `zokio` is renamed or re-exported.
///
/// A function without `async`, a `main` with arguments, `worker_threads` on a current-thread
/// runtime or an unknown argument is a compile error pointing at the culprit.
///
/// ```ignore
/// // `ignore`: this crate cannot depend on `zokio`; runtime/tests/macros_main.rs runs the same code.
/// #[zokio::main(flavor = "multi_thread", worker_threads = 2)]
/// async fn main() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "42".parse()?;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Entry::Main, args.into(), item.into()).into()
}

/// Marks an `async fn` as a test run on its own Zokio runtime.
///
/// Like [`macro@main`] but the default flavor is `current_thread`, the function gets `#[test]`,
/// and it may not take arguments. Other attributes (`#[should_panic]`, `#[ignore]`) are kept.
///
/// ```ignore
/// // `ignore`: this crate cannot depend on `zokio`; runtime/tests/macros_main.rs runs the same code.
/// #[zokio::test]
/// async fn adds() {
///     assert_eq!(async { 2 + 2 }.await, 4);
/// }
///
/// #[zokio::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn on_two_workers() -> Result<(), String> {
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Entry::Test, args.into(), item.into()).into()
}

/// Engine of `zokio::select!`; input is `($crate) <select! body>`. Use `zokio::select!`.
#[doc(hidden)]
#[proc_macro]
pub fn select_internal(input: TokenStream) -> TokenStream {
    match syn::parse::<select::Select>(input) {
        Ok(parsed) => select::expand(&parsed).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Engine of `zokio::join!`; input is `($crate) biased;? futures,*`. Use `zokio::join!`.
#[doc(hidden)]
#[proc_macro]
pub fn join_internal(input: TokenStream) -> TokenStream {
    expand_join(join::Kind::Join, input)
}

/// Engine of `zokio::try_join!`; input is `($crate) biased;? futures,*`. Use `zokio::try_join!`.
#[doc(hidden)]
#[proc_macro]
pub fn try_join_internal(input: TokenStream) -> TokenStream {
    expand_join(join::Kind::TryJoin, input)
}

fn expand_join(kind: join::Kind, input: TokenStream) -> TokenStream {
    match syn::parse::<join::Join>(input) {
        Ok(parsed) => join::expand(kind, &parsed).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Reads the leading `( path )` group that the `zokio` macro_rules wrappers pass as `($crate)`.
/// The path is kept as raw tokens: `$crate` is not an identifier `syn` accepts.
fn parse_crate_path(input: ParseStream<'_>) -> syn::Result<proc_macro2::TokenStream> {
    let content;
    syn::parenthesized!(content in input);
    content.parse()
}

/// Reads an optional leading `biased;`.
fn parse_biased(input: ParseStream<'_>) -> syn::Result<bool> {
    let is_biased = input.peek(syn::Ident) && input.peek2(syn::Token![;]) && {
        let fork = input.fork();
        fork.parse::<syn::Ident>().is_ok_and(|i| i == "biased")
    };
    if is_biased {
        input.parse::<syn::Ident>()?;
        input.parse::<syn::Token![;]>()?;
    }
    Ok(is_biased)
}
