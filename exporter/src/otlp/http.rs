//! One OTLP/HTTP export attempt: `POST /v1/metrics` with a protobuf body, over hyper's HTTP/1.1
//! client on the pusher's own Zokio runtime, on a fresh connection each time (an export every
//! few seconds gains nothing from keep-alive, and a fresh connection never meets a half-closed
//! idle one).

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, RETRY_AFTER};
use hyper::{Request, Uri};
use std::fmt;
use std::io;
use std::time::Duration;
use zokio::compat::hyper::ZokioIo;
use zokio::net::TcpStream;

/// The content type of an OTLP/HTTP protobuf body.
pub const CONTENT_TYPE_PROTOBUF: &str = "application/x-protobuf";

/// The longest response body read (a collector's answer is a few bytes).
const MAX_RESPONSE: usize = 64 * 1024;

/// Where batches go: an `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    host: String,
    port: u16,
    authority: String,
    path: String,
}

impl Endpoint {
    /// From a base URL (`http://127.0.0.1:4318`, path `/v1/metrics` appended as OTLP's
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` does) or a full one ending in `/v1/metrics`.
    pub fn parse(url: &str) -> io::Result<Endpoint> {
        let bad = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{url}: {why}"));
        let uri: Uri = url.parse().map_err(|e| bad(&format!("not a URL ({e})")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(bad(
                    "https is not supported: export to a local collector over http",
                ))
            }
            _ => return Err(bad("the URL must start with http://")),
        }
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let mut path = uri.path().trim_end_matches('/').to_owned();
        if !path.ends_with("/v1/metrics") {
            path.push_str("/v1/metrics");
        }
        Ok(Endpoint {
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(80),
            authority: authority.as_str().to_owned(),
            path,
        })
    }
}

/// The URL batches are posted to.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.authority, self.path)
    }
}

/// What the collector answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Its `Retry-After` header, verbatim.
    pub retry_after: Option<String>,
}

/// Posts `body` to `endpoint` and reads the answer, all within `timeout`.
pub async fn post(endpoint: &Endpoint, body: Bytes, timeout: Duration) -> io::Result<Answer> {
    match zokio::time::timeout(timeout, exchange(endpoint, body)).await {
        Ok(res) => res,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "no answer in time")),
    }
}

async fn exchange(endpoint: &Endpoint, body: Bytes) -> io::Result<Answer> {
    let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(ZokioIo::new(stream))
        .await
        .map_err(io::Error::other)?;
    let conn = zokio::spawn(conn);
    let request = Request::post(endpoint.path.as_str())
        .header(HOST, endpoint.authority.as_str())
        .header(CONTENT_TYPE, CONTENT_TYPE_PROTOBUF)
        .header(CONTENT_LENGTH, body.len())
        .body(Full::new(body))
        .map_err(io::Error::other)?;
    let response = sender
        .send_request(request)
        .await
        .map_err(io::Error::other)?;
    let answer = Answer {
        status: response.status().as_u16(),
        retry_after: response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    // Read (and discard) the body so the exchange completes; a bad body changes nothing.
    let _ = Limited::new(response.into_body(), MAX_RESPONSE)
        .collect()
        .await;
    drop(sender);
    conn.abort();
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_get_the_metrics_path() {
        let e = Endpoint::parse("http://127.0.0.1:4318").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.1", 4318));
        assert_eq!(e.to_string(), "http://127.0.0.1:4318/v1/metrics");
        let e = Endpoint::parse("http://collector/otlp/").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("collector", 80));
        assert_eq!(e.to_string(), "http://collector/otlp/v1/metrics");
        let e = Endpoint::parse("http://[::1]:4318/v1/metrics").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 4318));
        assert_eq!(e.to_string(), "http://[::1]:4318/v1/metrics");
    }

    #[test]
    fn other_schemes_are_refused() {
        for url in ["https://collector:4318", "collector:4318", "ftp://x", ""] {
            let e = Endpoint::parse(url).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{url}");
        }
    }
}
