//! `select!`: parse the branches and expand them into one poll loop plus one `match`.
//!
//! Shape of the expansion (internal names are mixed-site, so user code cannot see them):
//!
//! ```text
//! {
//!     enum Out<T0, T1> { B0(T0), B1(T1), Disabled }
//!     let mut disabled: u64 = 0;
//!     if !(precondition_1) { disabled |= 1 << 1; }        // preconditions first, in order
//!     let output = {
//!         let mut f0 = pin!(into_future(expr_0));           // futures next, pinned on the stack
//!         let mut f1 = pin!(into_future(expr_1));
//!         poll_fn(move |cx| { /* poll enabled branches from a random start; the first
//!                               Ready whose pattern matches wins, a mismatch disables */ }).await
//!     };                                                     // futures dropped here
//!     match output { Out::B0(pattern_0) => handler_0, ..., Out::Disabled => else_or_panic }
//! }
//! ```
//!
//! The handlers run in the final `match`, in the caller's function body: `return`, `?`, `break` and
//! `continue` act on the enclosing function or loop, and the futures (with their borrows) are gone.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, Pat, Token};

/// A mask is a `u64`, one bit per branch.
pub(crate) const MAX_BRANCHES: usize = 64;

/// `<pattern> = <future> (, if <precondition>)? => <handler>`.
pub(crate) struct Branch {
    pub(crate) pat: Pat,
    pub(crate) fut: Expr,
    pub(crate) cond: Option<Expr>,
    pub(crate) handler: Expr,
}

/// Everything between the braces of `select! { ... }`, after the crate path.
pub(crate) struct Select {
    pub(crate) krate: TokenStream,
    pub(crate) biased: bool,
    pub(crate) branches: Vec<Branch>,
    pub(crate) else_branch: Option<Expr>,
}

impl Parse for Select {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let krate = crate::parse_crate_path(input)?;
        let biased = crate::parse_biased(input)?;
        let mut select = Select {
            krate,
            biased,
            branches: Vec::new(),
            else_branch: None,
        };
        while !input.is_empty() {
            select.parse_one(input)?;
        }
        select.check(input.span())?;
        Ok(select)
    }
}

impl Select {
    fn parse_one(&mut self, input: ParseStream<'_>) -> syn::Result<()> {
        if input.peek(Token![else]) {
            let else_token: Token![else] = input.parse()?;
            if self.else_branch.is_some() {
                return Err(syn::Error::new(
                    else_token.span,
                    "select! has more than one `else` branch",
                ));
            }
            input.parse::<Token![=>]>()?;
            self.else_branch = Some(parse_handler(input)?);
            return Ok(());
        }
        let pat = Pat::parse_multi_with_leading_vert(input)?;
        input.parse::<Token![=]>()?;
        let fut: Expr = input.parse()?;
        let cond = if input.peek(Token![,]) && input.peek2(Token![if]) {
            input.parse::<Token![,]>()?;
            input.parse::<Token![if]>()?;
            Some(input.parse::<Expr>()?)
        } else {
            None
        };
        input.parse::<Token![=>]>()?;
        let handler = parse_handler(input)?;
        self.branches.push(Branch {
            pat,
            fut,
            cond,
            handler,
        });
        Ok(())
    }

    fn check(&self, span: Span) -> syn::Result<()> {
        if self.branches.is_empty() && self.else_branch.is_none() {
            return Err(syn::Error::new(
                span,
                "select! requires at least one branch",
            ));
        }
        if self.branches.len() > MAX_BRANCHES {
            let msg = format!(
                "select! supports at most {MAX_BRANCHES} branches, this one has {}",
                self.branches.len()
            );
            return Err(syn::Error::new(span, msg));
        }
        Ok(())
    }
}

/// A handler is a block (comma optional) or an expression followed by a comma or the end.
fn parse_handler(input: ParseStream<'_>) -> syn::Result<Expr> {
    if input.peek(syn::token::Brace) {
        let block: syn::ExprBlock = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        return Ok(Expr::Block(block));
    }
    let expr: Expr = input.parse()?;
    if !input.is_empty() {
        input.parse::<Token![,]>()?;
    }
    Ok(expr)
}

fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// Expands a parsed `select!`.
pub(crate) fn expand(select: &Select) -> TokenStream {
    if select.branches.is_empty() {
        // Only an `else`: with no branch enabled it runs at once.
        let else_expr = &select.else_branch;
        return quote!({ #else_expr });
    }
    let support = support_path(&select.krate);
    let (out_enum, disabled) = (local("__ZokioSelectOut"), local("__zokio_disabled"));
    let n = select.branches.len();
    let params: Vec<Ident> = (0..n)
        .map(|i| format_ident!("T{}", i, span = Span::mixed_site()))
        .collect();
    let variants: Vec<Ident> = (0..n).map(variant).collect();
    let preconditions = select.branches.iter().enumerate().filter_map(|(i, b)| {
        let cond = b.cond.as_ref()?;
        let mask = mask(i);
        Some(quote!(if !(#cond) { #disabled |= #mask; }))
    });
    let output = expand_poll(select, &support);
    let arms = expand_arms(select);
    let output_local = local("__zokio_output");
    quote! {{
        #[allow(non_camel_case_types, dead_code)]
        enum #out_enum<#(#params),*> { #(#variants(#params),)* Disabled }
        #[allow(unused_mut)]
        let mut #disabled: u64 = 0;
        #(#preconditions)*
        let #output_local = #output;
        #arms
    }}
}

fn support_path(krate: &TokenStream) -> TokenStream {
    quote!(#krate::macros::support)
}

fn variant(i: usize) -> Ident {
    format_ident!("B{}", i, span = Span::mixed_site())
}

fn mask(i: usize) -> Literal {
    Literal::u64_suffixed(1u64 << i)
}

fn future_local(i: usize) -> Ident {
    format_ident!("__zokio_fut{}", i, span = Span::mixed_site())
}

/// The block that pins the futures and awaits the first matching output.
fn expand_poll(select: &Select, support: &TokenStream) -> TokenStream {
    let n = select.branches.len() as u32;
    let (out_enum, cx) = (local("__ZokioSelectOut"), local("__zokio_cx"));
    let (start, pending, i) = (
        local("__zokio_start"),
        local("__zokio_pending"),
        local("__zokio_i"),
    );
    let futs = select.branches.iter().enumerate().map(|(i, b)| {
        let (name, fut) = (future_local(i), &b.fut);
        quote!(let mut #name = #support::pin!(#support::IntoFuture::into_future(#fut));)
    });
    let start_expr = if select.biased {
        quote!(0u32)
    } else {
        quote!(#support::thread_rng_n(#n))
    };
    let polls = select
        .branches
        .iter()
        .enumerate()
        .map(|(i, b)| poll_branch(i, b, support));
    quote! {{
        #(#futs)*
        #support::poll_fn(move |#cx| {
            let #start: u32 = #start_expr;
            let mut #pending = false;
            for #i in 0..#n {
                #[allow(clippy::modulo_one)]
                match (#start + #i) % #n {
                    #(#polls)*
                    _ => ::core::unreachable!("select! branch index out of range"),
                }
            }
            if #pending {
                #support::Poll::Pending
            } else {
                #support::Poll::Ready(#out_enum::Disabled)
            }
        })
        .await
    }}
}

/// One arm of the poll loop: skip if disabled, poll, disable on completion, check the pattern.
fn poll_branch(i: usize, branch: &Branch, support: &TokenStream) -> TokenStream {
    let (out_enum, disabled, cx) = (
        local("__ZokioSelectOut"),
        local("__zokio_disabled"),
        local("__zokio_cx"),
    );
    let (pending, out) = (local("__zokio_pending"), local("__zokio_out"));
    let (index, mask, fut, variant) = (i as u32, mask(i), future_local(i), variant(i));
    let check = clean_pattern(branch.pat.clone());
    quote! {
        #index => {
            if #disabled & #mask != 0 {
                continue;
            }
            let #out = match #support::Future::poll(#fut.as_mut(), #cx) {
                #support::Poll::Ready(#out) => #out,
                #support::Poll::Pending => {
                    #pending = true;
                    continue;
                }
            };
            #disabled |= #mask;
            #[allow(unused_variables, unreachable_patterns)]
            match &#out {
                #check => {}
                _ => continue,
            }
            return #support::Poll::Ready(#out_enum::#variant(#out));
        }
    }
}

/// The final `match` that runs the winning handler, or `else`, or panics.
fn expand_arms(select: &Select) -> TokenStream {
    let (out_enum, output) = (local("__ZokioSelectOut"), local("__zokio_output"));
    let arms = select.branches.iter().enumerate().map(|(i, b)| {
        let (variant, pat, handler) = (variant(i), &b.pat, &b.handler);
        quote!(#out_enum::#variant(#pat) => #handler,)
    });
    let else_arm = match &select.else_branch {
        Some(expr) => quote!(#out_enum::Disabled => #expr,),
        None => quote! {
            #out_enum::Disabled => ::core::panic!("all branches are disabled and there is no else branch"),
        },
    };
    quote! {
        match #output {
            #(#arms)*
            #else_arm
            #[allow(unreachable_patterns)]
            _ => ::core::unreachable!("select! output did not match the pattern it was checked against"),
        }
    }
}

/// Strips `mut` and `ref` from bindings so the pattern can test a reference to the output
/// without moving out of it.
pub(crate) fn clean_pattern(pat: Pat) -> Pat {
    match pat {
        Pat::Ident(mut p) => {
            p.by_ref = None;
            p.mutability = None;
            p.subpat = p
                .subpat
                .map(|(at, sub)| (at, Box::new(clean_pattern(*sub))));
            Pat::Ident(p)
        }
        Pat::Reference(mut p) => {
            p.mutability = None;
            p.pat = Box::new(clean_pattern(*p.pat));
            Pat::Reference(p)
        }
        Pat::Or(mut p) => {
            p.cases = p.cases.into_iter().map(clean_pattern).collect();
            Pat::Or(p)
        }
        Pat::Paren(mut p) => {
            p.pat = Box::new(clean_pattern(*p.pat));
            Pat::Paren(p)
        }
        Pat::Slice(mut p) => {
            p.elems = p.elems.into_iter().map(clean_pattern).collect();
            Pat::Slice(p)
        }
        Pat::Tuple(mut p) => {
            p.elems = p.elems.into_iter().map(clean_pattern).collect();
            Pat::Tuple(p)
        }
        Pat::TupleStruct(mut p) => {
            p.elems = p.elems.into_iter().map(clean_pattern).collect();
            Pat::TupleStruct(p)
        }
        Pat::Struct(mut p) => {
            for field in p.fields.iter_mut() {
                let pat = std::mem::replace(&mut *field.pat, Pat::Verbatim(TokenStream::new()));
                *field.pat = clean_pattern(pat);
            }
            Pat::Struct(p)
        }
        Pat::Type(mut p) => {
            p.pat = Box::new(clean_pattern(*p.pat));
            Pat::Type(p)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn parse(ts: TokenStream) -> syn::Result<Select> {
        syn::parse2(ts)
    }

    fn err(ts: TokenStream) -> String {
        parse(ts).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn parses_branches_preconditions_and_else() {
        let s = parse(quote! {
            (::zokio) biased;
            Some(x) = rx.recv(), if open => x,
            v = async { 1 } => { v }
            _ = other() => {},
            else => 0
        })
        .unwrap();
        assert!(s.biased);
        assert_eq!(s.branches.len(), 3);
        assert!(s.branches[0].cond.is_some() && s.branches[1].cond.is_none());
        assert_eq!(s.branches[0].pat.to_token_stream().to_string(), "Some (x)");
        assert!(s.else_branch.is_some());
        assert_eq!(s.krate.to_string(), ":: zokio");
    }

    #[test]
    fn rejects_empty_and_oversized_selects() {
        assert_eq!(
            err(quote!((::zokio))),
            "select! requires at least one branch"
        );
        assert_eq!(
            err(quote!((::zokio) biased;)),
            "select! requires at least one branch"
        );
        let branches = (0..65).map(|_| quote!(_ = f() => {}));
        let e = err(quote!((::zokio) #(#branches)*));
        assert_eq!(e, "select! supports at most 64 branches, this one has 65");
        assert_eq!(
            err(quote!((z) else => 1, else => 2)),
            "select! has more than one `else` branch"
        );
        assert_eq!(err(quote!((z) x = f() => a b)), "expected `,`");
    }

    #[test]
    fn cleans_binding_modes() {
        let pat: Pat = syn::parse_quote!((mut a, ref b, Some(ref mut c), &mut d, e @ Ok(mut f)));
        let cleaned = clean_pattern(pat).to_token_stream().to_string();
        assert_eq!(cleaned, "(a , b , Some (c) , & d , e @ Ok (f))");
        let pat: Pat = syn::parse_quote!(S { mut x, y: ref z, .. } | [mut w, ..]);
        let cleaned = clean_pattern(pat).to_token_stream().to_string();
        assert_eq!(cleaned, "S { x , y : z , .. } | [w , ..]");
    }

    #[test]
    fn biased_starts_at_zero_and_unbiased_draws() {
        let biased = expand(&parse(quote!((k) biased; x = f() => x,)).unwrap()).to_string();
        assert!(
            biased.contains("let __zokio_start : u32 = 0u32"),
            "{biased}"
        );
        let fair = expand(&parse(quote!((k) x = f() => x, y = g() => y)).unwrap()).to_string();
        assert!(
            fair.contains("k :: macros :: support :: thread_rng_n (2u32)"),
            "{fair}"
        );
        assert!(
            fair.contains("all branches are disabled and there is no else branch"),
            "{fair}"
        );
    }

    #[test]
    fn else_only_runs_the_else() {
        let out = expand(&parse(quote!((k) else => 5)).unwrap()).to_string();
        assert_eq!(out, "{ 5 }");
    }
}
