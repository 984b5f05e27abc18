//! hyper and axum on zokio: HTTP/1.1 and HTTP/2 servers answer hyper's client (over zokio) and
//! curl; an axum Router answers on both of its routes. Every test runs on each scheduler flavor
//! and both I/O backends.

#[path = "../runtime/tests/support/mod.rs"]
mod support;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use std::convert::Infallible;
use std::net::SocketAddr;
use zokio::compat::hyper::{ZokioExecutor, ZokioIo, ZokioTimer};
use zokio::net::{TcpListener, TcpStream};
use zokio::runtime::Runtime;

async fn hello(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!("hello {} {}", req.method(), req.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

/// Serves `hello` over HTTP/1.1 (or HTTP/2) on a fresh loopback listener.
async fn start_server(http2: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    zokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            zokio::spawn(async move {
                let io = ZokioIo::new(stream);
                let svc = hyper::service::service_fn(hello);
                if http2 {
                    let b = hyper::server::conn::http2::Builder::new(ZokioExecutor::new());
                    b.serve_connection(io, svc).await.unwrap();
                } else {
                    let mut b = hyper::server::conn::http1::Builder::new();
                    b.timer(ZokioTimer::new());
                    b.serve_connection(io, svc).await.unwrap();
                }
            });
        }
    });
    addr
}

async fn get_body<B>(res: Response<B>) -> (StatusCode, String)
where
    B: hyper::body::Body,
    B::Error: std::fmt::Debug,
{
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn request(method: &str, path: &str, body: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn http1_keep_alive_answers_hyper_client(rt: Runtime) {
    rt.block_on(async {
        let addr = start_server(false).await;
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http1::handshake(ZokioIo::new(stream))
            .await
            .unwrap();
        zokio::spawn(conn);
        for i in 0..5 {
            send.ready().await.unwrap();
            let res = send
                .send_request(request("GET", &format!("/r{i}"), ""))
                .await
                .unwrap();
            assert_eq!(
                get_body(res).await,
                (StatusCode::OK, format!("hello GET /r{i}"))
            );
        }
    });
}

fn http2_answers_hyper_client(rt: Runtime) {
    rt.block_on(async {
        let addr = start_server(true).await;
        let stream = TcpStream::connect(addr).await.unwrap();
        let (send, conn) =
            hyper::client::conn::http2::handshake(ZokioExecutor::new(), ZokioIo::new(stream))
                .await
                .unwrap();
        zokio::spawn(conn);
        // Ten concurrent streams over one connection.
        let mut handles = Vec::new();
        for i in 0..10 {
            let mut send = send.clone();
            handles.push(zokio::spawn(async move {
                let res = send
                    .send_request(request("POST", &format!("/s{i}"), "x"))
                    .await
                    .unwrap();
                assert_eq!(res.version(), hyper::Version::HTTP_2);
                get_body(res).await
            }));
        }
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(
                h.await.unwrap(),
                (StatusCode::OK, format!("hello POST /s{i}"))
            );
        }
    });
}

fn axum_router_answers_both_routes(rt: Runtime) {
    use axum::routing::{get, post};
    rt.block_on(async {
        let app = axum::Router::new()
            .route("/", get(|| async { "root" }))
            .route(
                "/echo",
                post(|body: String| async move { format!("echo:{body}") }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        zokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let svc = hyper_util::service::TowerToHyperService::new(app.clone());
                zokio::spawn(async move {
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(ZokioIo::new(stream), svc)
                        .await
                        .unwrap();
                });
            }
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http1::handshake(ZokioIo::new(stream))
            .await
            .unwrap();
        zokio::spawn(conn);
        let res = send.send_request(request("GET", "/", "")).await.unwrap();
        assert_eq!(get_body(res).await, (StatusCode::OK, "root".to_string()));
        send.ready().await.unwrap();
        let res = send
            .send_request(request("POST", "/echo", "zokio"))
            .await
            .unwrap();
        assert_eq!(
            get_body(res).await,
            (StatusCode::OK, "echo:zokio".to_string())
        );
        send.ready().await.unwrap();
        let res = send
            .send_request(request("GET", "/missing", ""))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    });
}

/// curl (an independent HTTP client) gets the right answer, over HTTP/1.1.
fn http1_answers_curl(rt: Runtime) {
    let Some(curl) = support::require_tool("curl") else {
        return;
    };
    rt.block_on(async {
        let addr = start_server(false).await;
        let url = format!("http://{addr}/from-curl");
        let out = zokio::task::spawn_blocking(move || {
            std::process::Command::new(curl)
                .args(["-s", "--max-time", "10", &url])
                .output()
        })
        .await
        .unwrap()
        .unwrap();
        assert!(out.status.success(), "curl failed: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hello GET /from-curl");
    });
}

rt_io_test!(
    http1_keep_alive_answers_hyper_client,
    http2_answers_hyper_client,
    axum_router_answers_both_routes,
    http1_answers_curl,
);
