//! A tiny HTTP/1.0 GET client over `std::net::TcpStream`, for loopback servers only: one request
//! per connection, the server closes it after the response, so the body is everything after the
//! headers (HTTP/1.0 responses are never chunked).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// `GET http://addr{path}`: the status code and body, or what went wrong.
pub fn get(addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    assert!(addr.ip().is_loopback(), "{addr}: loopback only");
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("{addr}: {e}"))?;
    s.set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: */*\r\n\r\n");
    s.write_all(request.as_bytes())
        .map_err(|e| format!("{addr}{path}: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .map_err(|e| format!("{addr}{path}: {e}"))?;
    parse(&String::from_utf8_lossy(&raw)).ok_or_else(|| format!("{addr}{path}: not HTTP"))
}

/// `GET` that must answer 200: the body.
pub fn get_ok(addr: SocketAddr, path: &str) -> Result<String, String> {
    match get(addr, path)? {
        (200, body) => Ok(body),
        (code, body) => Err(format!("{addr}{path}: status {code}: {body}")),
    }
}

fn parse(response: &str) -> Option<(u16, String)> {
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head
        .lines()
        .next()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((status, body.to_owned()))
}

/// Percent-encodes a query parameter value (everything but RFC 3986's unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_and_encoding() {
        let r = parse("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello\r\n\r\nworld");
        assert_eq!(r, Some((200, "hello\r\n\r\nworld".into())));
        assert_eq!(encode("up{job=\"a b\"}"), "up%7Bjob%3D%22a%20b%22%7D");
    }
}
