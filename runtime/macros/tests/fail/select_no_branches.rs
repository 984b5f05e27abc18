// `zokio::select! {}` expands to exactly this call (the crate path comes first); calling the engine
// directly keeps this check independent of the rest of the `zokio` crate.
async fn empty() {
    zokio_macros::select_internal! { (zokio) }
}

async fn biased_only() {
    zokio_macros::select_internal! { (zokio) biased; }
}

fn main() {}
