//! A stub HTTP server for the faults no real authorization server produces
//! on demand: 500s, 429 with Retry-After, garbage, endless and slow bodies.
//! Loopback only; every connection is served by a thread that ends on its
//! own within a few seconds.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

pub struct Stub {
    pub port: u16,
}

impl Stub {
    pub fn start() -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        Stub { port }
    }

    pub fn url(&self, fault: &str) -> String {
        format!("http://127.0.0.1:{}/{fault}", self.port)
    }
}

fn serve(mut stream: TcpStream) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut buf = [0u8; 8192];
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let body = request_body(&mut stream, &head);
    let text = String::from_utf8_lossy(&head);
    let path = text
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/')
        .to_string();
    let reply = |s: &mut TcpStream, status: &str, extra: &str, body: &str| {
        let _ = write!(
            s,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        );
    };
    match path.as_str() {
        "500" => reply(&mut stream, "500 Internal Server Error", "", "oops"),
        "503-retry" => reply(
            &mut stream,
            "503 Service Unavailable",
            "Retry-After: 7\r\n",
            "",
        ),
        "429-seconds" => reply(
            &mut stream,
            "429 Too Many Requests",
            "Retry-After: 120\r\n",
            "{\"error\":\"ratelimited\"}",
        ),
        "429-date" => reply(
            &mut stream,
            "429 Too Many Requests",
            "Retry-After: Wed, 21 Oct 2099 07:28:00 GMT\r\n",
            "",
        ),
        "200-error" => reply(
            &mut stream,
            "200 OK",
            "Content-Type: application/json\r\n",
            "{\"error\":\"bad_refresh_token\",\"error_description\":\"The refresh token passed is incorrect or expired.\"}",
        ),
        "200-invalid-grant" => reply(
            &mut stream,
            "200 OK",
            "Content-Type: application/json\r\n",
            "{\"error\":\"invalid_grant\"}",
        ),
        "html" => reply(
            &mut stream,
            "200 OK",
            "Content-Type: text/html\r\n",
            "<html><body>Sign in</body></html>",
        ),
        "truncated" => reply(
            &mut stream,
            "200 OK",
            "Content-Type: application/json\r\n",
            "{\"access_token\":\"stub-partial-tok",
        ),
        "invalid-client" => reply(
            &mut stream,
            "401 Unauthorized",
            "Content-Type: application/json\r\n",
            "{\"error\":\"invalid_client\"}",
        ),
        "endless" => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{{\"access_token\":\""
            );
            let chunk = [b'a'; 16 * 1024];
            // Bounded: 64 MiB at most, far past credtop's cap.
            for _ in 0..4096 {
                if stream.write_all(&chunk).is_err() {
                    return;
                }
            }
        }
        "slow" => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
            );
            // One byte a second, for at most a minute.
            for _ in 0..60 {
                std::thread::sleep(Duration::from_secs(1));
                if stream.write_all(b" ").is_err() {
                    return;
                }
            }
        }
        // A hostile server: terminal escape sequences and a forged line in
        // its error text, and the refresh token it was sent echoed back.
        "hostile-echo" => {
            let sent = form_value(&body, "refresh_token").unwrap_or_default();
            let json = serde_json::json!({
                "error": "invalid_grant",
                "error_description": format!("\u{1b}[2J\u{1b}]0;pwned\u{7}bad token {sent}\nOK: all good"),
            });
            reply(
                &mut stream,
                "400 Bad Request",
                "Content-Type: application/json\r\n",
                &json.to_string(),
            )
        }
        "empty-token" => reply(
            &mut stream,
            "200 OK",
            "Content-Type: application/json\r\n",
            "{\"access_token\":\"\",\"token_type\":\"Bearer\",\"expires_in\":3600}",
        ),
        _ => reply(&mut stream, "404 Not Found", "", ""),
    }
}

/// The request body after the head (Content-Length bytes, at most 64 KiB).
fn request_body(stream: &mut TcpStream, head: &[u8]) -> Vec<u8> {
    let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    let len = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(64 * 1024);
    let mut body = head[end + 4..].to_vec();
    let mut buf = [0u8; 4096];
    while body.len() < len {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    body
}

/// One field of a form-encoded body (percent-decoded).
fn form_value(body: &[u8], key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}
