//! The demo's token endpoint: a few lines of HTTP/1.1 on 127.0.0.1 inside
//! the credtop process, enough for the engine's refresh and revoke calls.
//!
//! A refresh token names the lifetime its access tokens get
//! (`demo-rt.<seconds>.<generation>`), and is rotated on every refresh, as
//! providers with rotation do. One that starts `demo-revoked` answers
//! `invalid_grant`, as a grant revoked at the provider would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// Requests larger than this are not the engine's.
const MAX_REQUEST: usize = 16 * 1024;

pub struct TokenEndpoint {
    port: u16,
}

impl TokenEndpoint {
    /// Binds a random loopback port and serves it on a thread for the rest
    /// of the process's life.
    pub fn start() -> std::io::Result<TokenEndpoint> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        std::thread::Builder::new()
            .name("demo-token-endpoint".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    // One request a connection; a broken one is dropped.
                    let _ = serve(stream);
                }
            })?;
        Ok(TokenEndpoint { port })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn serve(stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?.take(MAX_REQUEST as u64));
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0).min(MAX_REQUEST);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (status, json) = answer(&request_line, &body);
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{json}",
        json.len()
    )?;
    stream.flush()
}

fn answer(request_line: &str, body: &[u8]) -> (&'static str, String) {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if request_line.starts_with("POST /revoke ") {
        return ("200 OK", "{}".into());
    }
    if !request_line.starts_with("POST /token ") {
        return ("404 Not Found", r#"{"error":"not_found"}"#.into());
    }
    match (field("grant_type"), field("refresh_token")) {
        (Some("refresh_token"), Some(rt)) if rt.starts_with("demo-revoked") => (
            "400 Bad Request",
            r#"{"error":"invalid_grant","error_description":"the grant was revoked at the provider"}"#
                .into(),
        ),
        (Some("refresh_token"), Some(rt)) => match parse_refresh_token(rt) {
            Some((ttl, generation)) => ("200 OK", tokens(ttl, generation + 1)),
            None => (
                "400 Bad Request",
                r#"{"error":"invalid_grant","error_description":"unknown refresh token"}"#.into(),
            ),
        },
        _ => (
            "400 Bad Request",
            r#"{"error":"unsupported_grant_type"}"#.into(),
        ),
    }
}

/// A refresh token for access tokens of `ttl` seconds.
pub fn refresh_token(ttl: u64, generation: u64) -> String {
    format!("demo-rt.{ttl}.{generation}")
}

fn parse_refresh_token(rt: &str) -> Option<(u64, u64)> {
    let mut parts = rt.strip_prefix("demo-rt.")?.split('.');
    let ttl = parts.next()?.parse().ok()?;
    let generation = parts.next()?.parse().ok()?;
    Some((ttl, generation))
}

fn tokens(ttl: u64, generation: u64) -> String {
    let access: u64 = rand::random();
    serde_json::json!({
        "access_token": format!("demo-at-{access:016x}"),
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh_token(ttl, generation),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_rotates_and_keeps_the_lifetime() {
        let body = format!(
            "grant_type=refresh_token&refresh_token={}",
            refresh_token(30, 4)
        );
        let (status, json) = answer("POST /token HTTP/1.1", body.as_bytes());
        assert_eq!(status, "200 OK");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["expires_in"], 30);
        assert_eq!(v["refresh_token"], "demo-rt.30.5");
    }

    #[test]
    fn a_revoked_grant_answers_invalid_grant() {
        let (status, json) = answer(
            "POST /token HTTP/1.1",
            b"grant_type=refresh_token&refresh_token=demo-revoked",
        );
        assert_eq!(status, "400 Bad Request");
        assert!(json.contains("invalid_grant"));
    }
}
