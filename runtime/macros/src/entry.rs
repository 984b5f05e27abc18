//! `#[zokio::main]` and `#[zokio::test]`: parse the attribute, check the function, and wrap its body
//! in a runtime built by `zokio::runtime::Builder`.
//!
//! Every error is returned as a `syn::Error` and rendered as `compile_error!` next to the untouched
//! function, so the user sees one precise message and no cascade of unrelated ones.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, LitInt, LitStr, MetaNameValue, Path, ReturnType, Token};

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// `#[zokio::main]`: multi-thread by default.
    Main,
    /// `#[zokio::test]`: current-thread by default, adds `#[test]`.
    Test,
}

impl Entry {
    fn name(self) -> &'static str {
        match self {
            Entry::Main => "main",
            Entry::Test => "test",
        }
    }
}

/// The scheduler the generated runtime uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `Builder::new_current_thread()`.
    CurrentThread,
    /// `Builder::new_multi_thread()`.
    MultiThread,
}

/// The checked attribute arguments.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    pub(crate) worker_threads: Option<usize>,
    pub(crate) crate_path: Path,
}

/// The arguments as written, before cross-checks.
#[derive(Default)]
struct RawConfig {
    flavor: Option<(Flavor, Span)>,
    worker_threads: Option<(usize, Span)>,
    crate_path: Option<Path>,
}

const KNOWN_ARGS: &str = "`flavor`, `worker_threads` and `crate`";

/// Expands the attribute; never panics, errors become `compile_error!`.
pub(crate) fn expand(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        // Not a function: let rustc report the item itself, plus our message.
        Err(e) => return with_error(item, e),
    };
    let checked = parse_config(entry, args).and_then(|config| {
        check_fn(entry, &func)?;
        Ok(config)
    });
    match checked {
        Ok(config) => rewrite(entry, &config, func),
        Err(e) => with_error(item, e),
    }
}

fn with_error(item: TokenStream, e: syn::Error) -> TokenStream {
    let mut out = e.to_compile_error();
    out.extend(item);
    out
}

/// Parses and cross-checks `flavor = "..", worker_threads = N, crate = ".."`.
pub(crate) fn parse_config(entry: Entry, args: TokenStream) -> syn::Result<Config> {
    let metas = Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args)?;
    let mut raw = RawConfig::default();
    for meta in &metas {
        raw.set(meta)?;
    }
    raw.finish(entry)
}

impl RawConfig {
    fn set(&mut self, meta: &MetaNameValue) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "flavor" => set_once(&mut self.flavor, meta, parse_flavor(&meta.value)?),
            "worker_threads" => {
                let workers = (parse_workers(&meta.value)?, meta.path.span());
                set_once(&mut self.worker_threads, meta, workers)
            }
            "crate" => {
                let path = lit_str(&meta.value, "crate")?.parse::<Path>()?;
                set_once(&mut self.crate_path, meta, path)
            }
            _ => Err(syn::Error::new_spanned(
                &meta.path,
                format!(
                    "unknown attribute argument `{}`; the known ones are {KNOWN_ARGS}",
                    path_text(&meta.path)
                ),
            )),
        }
    }

    fn finish(self, entry: Entry) -> syn::Result<Config> {
        let default = match entry {
            Entry::Main => Flavor::MultiThread,
            Entry::Test => Flavor::CurrentThread,
        };
        let flavor = self.flavor.map_or(default, |(f, _)| f);
        if let (Flavor::CurrentThread, Some((_, span))) = (flavor, self.worker_threads) {
            let msg = format!(
                "`worker_threads` needs the multi-thread runtime; use `#[zokio::{}(flavor = \"multi_thread\", worker_threads = N)]`",
                entry.name()
            );
            return Err(syn::Error::new(span, msg));
        }
        Ok(Config {
            flavor,
            worker_threads: self.worker_threads.map(|(n, _)| n),
            crate_path: self
                .crate_path
                .unwrap_or_else(|| syn::parse_quote!(::zokio)),
        })
    }
}

fn set_once<T>(slot: &mut Option<T>, meta: &MetaNameValue, value: T) -> syn::Result<()> {
    if slot.is_some() {
        let msg = format!("`{}` is set more than once", path_text(&meta.path));
        return Err(syn::Error::new_spanned(&meta.path, msg));
    }
    *slot = Some(value);
    Ok(())
}

fn path_text(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

fn lit_str<'a>(value: &'a Expr, key: &str) -> syn::Result<&'a LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` expects a string literal"),
        )),
    }
}

fn parse_flavor(value: &Expr) -> syn::Result<(Flavor, Span)> {
    let lit = lit_str(value, "flavor")?;
    match lit.value().as_str() {
        "current_thread" => Ok((Flavor::CurrentThread, lit.span())),
        "multi_thread" => Ok((Flavor::MultiThread, lit.span())),
        other => Err(syn::Error::new(
            lit.span(),
            format!("unknown runtime flavor `{other}`; the flavors are `current_thread` and `multi_thread`"),
        )),
    }
}

fn parse_workers(value: &Expr) -> syn::Result<usize> {
    let lit: &LitInt = match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i,
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "`worker_threads` expects an integer literal",
            ))
        }
    };
    match lit.base10_parse::<usize>()? {
        0 => Err(syn::Error::new(
            lit.span(),
            "`worker_threads` must be at least 1",
        )),
        n => Ok(n),
    }
}

/// Rejects what the expansion cannot support: a missing `async`, arguments, a second `#[test]`.
pub(crate) fn check_fn(entry: Entry, func: &ItemFn) -> syn::Result<()> {
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        let msg = "the `async` keyword is missing from the function declaration";
        return Err(syn::Error::new_spanned(sig.fn_token, msg));
    }
    let takes_args = !sig.inputs.is_empty();
    if takes_args && entry == Entry::Test {
        return Err(syn::Error::new_spanned(
            &sig.inputs,
            "a test function cannot accept arguments",
        ));
    }
    if takes_args && sig.ident == "main" {
        return Err(syn::Error::new_spanned(
            &sig.inputs,
            "the `main` function cannot accept arguments",
        ));
    }
    if entry == Entry::Test {
        if let Some(attr) = func.attrs.iter().find(|a| a.path().is_ident("test")) {
            return Err(syn::Error::new_spanned(
                attr,
                "a second test attribute is supplied; remove `#[test]`",
            ));
        }
    }
    Ok(())
}

/// Drops `async` and replaces the body with one that builds the runtime and blocks on the old body.
fn rewrite(entry: Entry, config: &Config, mut func: ItemFn) -> TokenStream {
    let span = func
        .sig
        .asyncness
        .map_or_else(Span::call_site, |a| a.span());
    func.sig.asyncness = None;
    let body = &func.block;
    // Annotating the async block's tail gives `?` and `return` in the body a known target type.
    let body = match &func.sig.output {
        ReturnType::Default => quote_spanned!(body.span()=> async move #body),
        ReturnType::Type(_, ty) => quote_spanned! {body.span()=>
            async move {
                let __zokio_output: #ty = #body;
                #[allow(unreachable_code)]
                __zokio_output
            }
        },
    };
    let runtime = runtime_expr(config, span);
    let new_block = quote_spanned! {span=>
        {
            let __zokio_body = #body;
            #[allow(clippy::expect_used, clippy::diverging_sub_expression)]
            {
                return #runtime.block_on(__zokio_body);
            }
        }
    };
    func.block = match syn::parse2(new_block) {
        Ok(block) => Box::new(block),
        Err(e) => return e.to_compile_error(),
    };
    let test_attr =
        (entry == Entry::Test).then(|| quote_spanned!(span=> #[::core::prelude::v1::test]));
    quote!(#test_attr #func)
}

fn runtime_expr(config: &Config, span: Span) -> TokenStream {
    let krate = &config.crate_path;
    let builder = match config.flavor {
        Flavor::CurrentThread => {
            quote_spanned!(span=> #krate::runtime::Builder::new_current_thread())
        }
        Flavor::MultiThread => quote_spanned!(span=> #krate::runtime::Builder::new_multi_thread()),
    };
    let workers = config
        .worker_threads
        .map(|n| quote_spanned!(span=> .worker_threads(#n)));
    quote_spanned! {span=>
        #builder #workers .build().expect("failed to build the Zokio runtime")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(entry: Entry, args: TokenStream) -> syn::Result<Config> {
        parse_config(entry, args)
    }

    fn err(entry: Entry, args: TokenStream) -> String {
        config(entry, args)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn defaults_depend_on_the_attribute() {
        let main = config(Entry::Main, quote!()).unwrap();
        assert_eq!(main.flavor, Flavor::MultiThread);
        assert_eq!(main.worker_threads, None);
        assert_eq!(path_text(&main.crate_path), "::zokio");
        assert_eq!(
            config(Entry::Test, quote!()).unwrap().flavor,
            Flavor::CurrentThread
        );
    }

    #[test]
    fn reads_every_argument() {
        let args = quote!(
            flavor = "multi_thread",
            worker_threads = 3,
            crate = "my::zk"
        );
        let c = config(Entry::Test, args).unwrap();
        assert_eq!(c.flavor, Flavor::MultiThread);
        assert_eq!(c.worker_threads, Some(3));
        assert_eq!(path_text(&c.crate_path), "my::zk");
    }

    #[test]
    fn worker_threads_needs_multi_thread() {
        let e = err(Entry::Test, quote!(worker_threads = 2));
        assert!(
            e.starts_with("`worker_threads` needs the multi-thread runtime"),
            "{e}"
        );
        let e = err(
            Entry::Main,
            quote!(flavor = "current_thread", worker_threads = 2),
        );
        assert!(e.contains("#[zokio::main(flavor = \"multi_thread\""), "{e}");
    }

    #[test]
    fn rejects_bad_arguments() {
        let e = err(Entry::Main, quote!(flavor = "single"));
        assert_eq!(
            e,
            "unknown runtime flavor `single`; the flavors are `current_thread` and `multi_thread`"
        );
        assert_eq!(
            err(Entry::Main, quote!(worker_threads = 0)),
            "`worker_threads` must be at least 1"
        );
        assert_eq!(
            err(Entry::Main, quote!(flavor = current_thread)),
            "`flavor` expects a string literal"
        );
        let e = err(Entry::Main, quote!(start_paused = true));
        assert_eq!(
            e,
            format!("unknown attribute argument `start_paused`; the known ones are {KNOWN_ARGS}")
        );
        let e = err(
            Entry::Main,
            quote!(flavor = "multi_thread", flavor = "multi_thread"),
        );
        assert_eq!(e, "`flavor` is set more than once");
    }

    fn fn_err(entry: Entry, item: TokenStream) -> String {
        let func: ItemFn = syn::parse2(item).unwrap();
        check_fn(entry, &func)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn checks_the_function() {
        let e = fn_err(
            Entry::Main,
            quote!(
                fn main() {}
            ),
        );
        assert_eq!(
            e,
            "the `async` keyword is missing from the function declaration"
        );
        let e = fn_err(
            Entry::Test,
            quote!(
                async fn t(x: u8) {}
            ),
        );
        assert_eq!(e, "a test function cannot accept arguments");
        let e = fn_err(
            Entry::Main,
            quote!(
                async fn main(x: u8) {}
            ),
        );
        assert_eq!(e, "the `main` function cannot accept arguments");
        assert_eq!(
            fn_err(
                Entry::Main,
                quote!(
                    async fn serve(x: u8) {}
                )
            ),
            ""
        );
        let e = fn_err(
            Entry::Test,
            quote!(
                #[test]
                async fn t() {}
            ),
        );
        assert_eq!(e, "a second test attribute is supplied; remove `#[test]`");
    }

    fn squash(ts: TokenStream) -> String {
        ts.to_string().replace(' ', "")
    }

    #[test]
    fn expands_main_with_workers() {
        let out = expand(
            Entry::Main,
            quote!(worker_threads = 2),
            quote!(
                #[doc = "d"]
                async fn main() -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        let out = squash(out);
        assert!(
            out.starts_with("#[doc=\"d\"]fnmain()->Result<(),E>{"),
            "{out}"
        );
        assert!(
            out.contains("let__zokio_output:Result<(),E>={Ok(())};"),
            "{out}"
        );
        let rt = "::zokio::runtime::Builder::new_multi_thread().worker_threads(2usize).build()";
        assert!(out.contains(rt), "{out}");
        assert!(out.contains(".block_on(__zokio_body)"), "{out}");
    }

    #[test]
    fn expands_test_with_test_attribute() {
        let out = squash(expand(
            Entry::Test,
            quote!(crate = "zk"),
            quote!(
                async fn t() {}
            ),
        ));
        assert!(
            out.starts_with("#[::core::prelude::v1::test]fnt(){"),
            "{out}"
        );
        assert!(
            out.contains("zk::runtime::Builder::new_current_thread().build()"),
            "{out}"
        );
    }

    #[test]
    fn errors_keep_the_function() {
        let out = squash(expand(
            Entry::Test,
            quote!(flavor = "x"),
            quote!(
                async fn t() {}
            ),
        ));
        assert!(out.starts_with("::core::compile_error!{"), "{out}");
        assert!(out.ends_with("asyncfnt(){}"), "{out}");
    }
}
