//! The `/metrics` endpoint: an axum router served through hyper on a current-thread Zokio
//! runtime of its own, on its own thread, with its telemetry unpublished. Scrapes therefore never
//! run on (or wait for) the workers being observed: `/metrics` answers while every one of them is
//! stuck in a blocking task.
//!
//! Routes: `GET /metrics` (the Prometheus text format), `GET /` (a short index),
//! `GET /healthz` (`ok`).

use crate::exporter::Exporter;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::thread::JoinHandle;
use std::time::Duration;
use zokio::compat::hyper::{ZokioIo, ZokioTimer};
use zokio::net::{TcpListener, TcpStream};
use zokio::sync::oneshot;

/// A running endpoint. Dropping it leaves the endpoint serving for the rest of the process;
/// [`Endpoint::shutdown`] stops it.
#[derive(Debug)]
pub struct Endpoint {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Endpoint {
    /// The address it listens on (the port the system chose when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes the connections and waits for the thread to end.
    pub fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        // Detach: the sender stays alive in the thread's keeping, so it keeps serving.
        if let Some(stop) = self.stop.take() {
            std::mem::forget(stop);
        }
    }
}

/// Serves this process's runtimes' metrics on `addr` (`"127.0.0.1:9464"`; port 0 picks a free
/// port). The address is bound before this returns, so "address in use" is an error here.
///
/// ```no_run
/// let endpoint = zokio_exporter::serve("127.0.0.1:9464")?;
/// println!("metrics on http://{}/metrics", endpoint.local_addr());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn serve(addr: impl ToSocketAddrs) -> io::Result<Endpoint> {
    serve_exporter(addr, Exporter::this_process())
}

/// Serves `exporter`'s metrics on `addr` (the daemon serves every process of its user).
pub fn serve_exporter(addr: impl ToSocketAddrs, exporter: Exporter) -> io::Result<Endpoint> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = zokio::runtime::Builder::new_current_thread()
        .enable_all()
        .publish_telemetry(false)
        .service_name("zokio-exporter")
        .task_table_capacity(0)
        .build()?;
    let (stop, stopped) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("zokio-exporter".into())
        .spawn(move || runtime.block_on(accept_loop(listener, exporter, stopped)))?;
    Ok(Endpoint {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

async fn accept_loop(
    listener: std::net::TcpListener,
    exporter: Exporter,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => return eprintln!("zokio-exporter: cannot serve: {e}"),
    };
    let router = router(exporter);
    loop {
        zokio::select! {
            _ = &mut stopped => return,
            res = listener.accept() => match res {
                Ok((stream, _)) => {
                    zokio::spawn(connection(stream, router.clone()));
                }
                // Out of file descriptors and the like: try again shortly.
                Err(_) => zokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
}

async fn connection(stream: TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let service = hyper_util::service::TowerToHyperService::new(router);
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(ZokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .serve_connection(ZokioIo::new(stream), service)
        .await;
}

/// The endpoint's routes over `exporter`.
pub fn router(exporter: Exporter) -> Router {
    Router::new()
        .route("/metrics", get(move || metrics(exporter.clone())))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/", get(index))
}

async fn metrics(exporter: Exporter) -> impl IntoResponse {
    let body = exporter.render();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, crate::text::CONTENT_TYPE)],
        body,
    )
}

async fn index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><body><h1>zokio-exporter</h1><p><a href=\"/metrics\">/metrics</a></p></body></html>\n",
    )
}
