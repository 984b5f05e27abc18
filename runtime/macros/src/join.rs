//! `join!` and `try_join!`: wrap each future in `MaybeDone`, pin them on the stack, and poll the
//! ones not yet done from a start index that moves by one on every poll.
//!
//! ```text
//! {
//!     let mut f0 = pin!(MaybeDone::new(into_future(expr_0)));
//!     let mut f1 = pin!(MaybeDone::new(into_future(expr_1)));
//!     let mut skip = 0;
//!     poll_fn(move |cx| {
//!         // poll f[(skip + i) % n] for i in 0..n; try_join! returns at the first Err
//!         // all done: Ready((f0.take_output(), f1.take_output()))
//!     }).await
//! }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token};

/// Which of the two macros is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `join!`: wait for all, return the tuple of outputs.
    Join,
    /// `try_join!`: return the first `Err`, or `Ok` of the tuple of `Ok` values.
    TryJoin,
}

/// `(crate) biased;? expr, expr, ...`.
pub(crate) struct Join {
    pub(crate) krate: TokenStream,
    pub(crate) biased: bool,
    pub(crate) futures: Vec<Expr>,
}

impl Parse for Join {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let krate = crate::parse_crate_path(input)?;
        let biased = crate::parse_biased(input)?;
        let futures = Punctuated::<Expr, Token![,]>::parse_terminated(input)?;
        Ok(Join {
            krate,
            biased,
            futures: futures.into_iter().collect(),
        })
    }
}

fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

fn future_local(i: usize) -> Ident {
    format_ident!("__zokio_fut{}", i, span = Span::mixed_site())
}

/// Expands a parsed `join!` or `try_join!`.
pub(crate) fn expand(kind: Kind, join: &Join) -> TokenStream {
    if join.futures.is_empty() {
        return match kind {
            Kind::Join => quote!(()),
            Kind::TryJoin => quote!(::core::result::Result::Ok(())),
        };
    }
    let krate = &join.krate;
    let support = quote!(#krate::macros::support);
    let n = join.futures.len() as u32;
    let (cx, skip, start, pending, i) = (
        local("__zokio_cx"),
        local("__zokio_skip"),
        local("__zokio_start"),
        local("__zokio_pending"),
        local("__zokio_i"),
    );
    let futs = join.futures.iter().enumerate().map(|(i, fut)| {
        let name = future_local(i);
        quote!(let mut #name = #support::pin!(#support::MaybeDone::new(#support::IntoFuture::into_future(#fut)));)
    });
    let polls = (0..join.futures.len()).map(|i| poll_one(kind, i, &support));
    let done = finish(kind, join.futures.len(), &support);
    let advance = if join.biased {
        quote!()
    } else {
        quote!(#skip = if #skip + 1 == #n { 0 } else { #skip + 1 };)
    };
    quote! {{
        #(#futs)*
        #[allow(unused_mut)]
        let mut #skip: u32 = 0;
        #support::poll_fn(move |#cx| {
            let #start = #skip;
            #advance
            let mut #pending = false;
            for #i in 0..#n {
                #[allow(clippy::modulo_one)]
                match (#start + #i) % #n {
                    #(#polls)*
                    _ => ::core::unreachable!("join! branch index out of range"),
                }
            }
            if #pending {
                return #support::Poll::Pending;
            }
            #done
        })
        .await
    }}
}

/// Polls future `i` (a done `MaybeDone` returns `Ready` at once without polling the inner future).
fn poll_one(kind: Kind, i: usize, support: &TokenStream) -> TokenStream {
    let (cx, pending, fut, index) = (
        local("__zokio_cx"),
        local("__zokio_pending"),
        future_local(i),
        i as u32,
    );
    let on_ready = match kind {
        Kind::Join => quote!(),
        Kind::TryJoin => quote! {
            else if #support::is_err(#fut.as_mut()) {
                return #support::Poll::Ready(::core::result::Result::Err(
                    #support::take_err(#fut.as_mut()),
                ));
            }
        },
    };
    quote! {
        #index => {
            if #support::Future::poll(#fut.as_mut(), #cx).is_pending() {
                #pending = true;
            } #on_ready
        }
    }
}

/// Builds the final tuple once every future is done.
fn finish(kind: Kind, n: usize, support: &TokenStream) -> TokenStream {
    let futs: Vec<Ident> = (0..n).map(future_local).collect();
    match kind {
        Kind::Join => quote! {
            #support::Poll::Ready((#(#support::take_output(#futs.as_mut()),)*))
        },
        Kind::TryJoin => quote! {
            #support::Poll::Ready(::core::result::Result::Ok((#(#support::take_ok(#futs.as_mut()),)*)))
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(kind: Kind, ts: TokenStream) -> String {
        expand(kind, &syn::parse2(ts).unwrap()).to_string()
    }

    #[test]
    fn parses_futures_and_biased() {
        let j: Join = syn::parse2(quote!((::zokio) biased; a(), async { 1 }, b,)).unwrap();
        assert!(j.biased);
        assert_eq!(j.futures.len(), 3);
        let j: Join = syn::parse2(quote!((k) a())).unwrap();
        assert!(!j.biased);
        assert_eq!(j.futures.len(), 1);
    }

    #[test]
    fn empty_joins_are_unit() {
        assert_eq!(expand_str(Kind::Join, quote!((k))), "()");
        assert_eq!(
            expand_str(Kind::TryJoin, quote!((k))),
            ":: core :: result :: Result :: Ok (())"
        );
    }

    #[test]
    fn rotation_only_when_unbiased() {
        let fair = expand_str(Kind::Join, quote!((k) a, b));
        assert!(
            fair.contains("__zokio_skip = if __zokio_skip + 1 == 2u32"),
            "{fair}"
        );
        let biased = expand_str(Kind::Join, quote!((k) biased; a, b));
        assert!(!biased.contains("__zokio_skip = if"), "{biased}");
    }

    #[test]
    fn try_join_short_circuits_on_err() {
        let out = expand_str(Kind::TryJoin, quote!((k) a, b));
        assert!(
            out.contains("k :: macros :: support :: take_err (__zokio_fut1 . as_mut ())"),
            "{out}"
        );
        assert!(
            out.contains("Ok ((k :: macros :: support :: take_ok (__zokio_fut0 . as_mut ()) ,"),
            "{out}"
        );
    }
}
