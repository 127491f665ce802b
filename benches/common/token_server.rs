//! A local OAuth token endpoint for the benchmarks, in a child process
//! (the bench binary run with `--serve`) so that its CPU is not counted as
//! the engine's. It rotates refresh tokens and counts replays, like a
//! reuse-detecting server would. Shared by `engine_10k` and `fleet`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// The token endpoint in its own process.
pub struct TokenServer {
    child: Mutex<(Child, ChildStdin, BufReader<ChildStdout>)>,
    pub url: String,
}

impl TokenServer {
    pub fn start() -> TokenServer {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line.trim().to_string();
        TokenServer {
            child: Mutex::new((child, stdin, stdout)),
            url,
        }
    }

    pub fn stats(&self) -> Value {
        let mut guard = self.child.lock().unwrap();
        let (_, stdin, stdout) = &mut *guard;
        writeln!(stdin, "stats").unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        let mut guard = self.child.lock().unwrap();
        let _ = guard.0.kill();
        let _ = guard.0.wait();
    }
}

#[derive(Default)]
struct Grants {
    generation: HashMap<String, u64>,
    refreshes: u64,
    replays: u64,
}

/// A minimal HTTP/1.1 token endpoint with keep-alive: refresh tokens are
/// `rt.<grant>.<generation>`; only the current generation is accepted.
pub fn serve() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        println!("http://127.0.0.1:{port}/token");
        std::io::stdout().flush().unwrap();
        let grants = Arc::new(Mutex::new(Grants::default()));
        let stats = Arc::clone(&grants);
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                if line.is_err() {
                    break;
                }
                let g = stats.lock().unwrap();
                println!(
                    "{}",
                    serde_json::json!({"refreshes": g.refreshes, "replays": g.replays})
                );
                std::io::stdout().flush().unwrap();
            }
            std::process::exit(0);
        });
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let grants = Arc::clone(&grants);
            tokio::spawn(async move {
                let _ = connection(socket, grants).await;
            });
        }
    });
}

async fn connection(
    socket: tokio::net::TcpStream,
    grants: Arc<Mutex<Grants>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut reader = tokio::io::BufReader::new(read);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        let mut first = true;
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            if first {
                first = false;
                continue;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length.min(64 * 1024)];
        reader.read_exact(&mut body).await?;
        let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let (status, json) = refresh(
            &grants,
            form.get("refresh_token").map(String::as_str).unwrap_or(""),
        );
        let json = json.to_string();
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\ncache-control: no-store\r\n\r\n{json}",
            json.len()
        );
        write.write_all(response.as_bytes()).await?;
    }
}

fn refresh(grants: &Mutex<Grants>, token: &str) -> (&'static str, Value) {
    let mut parts = token.splitn(3, '.');
    let (Some("rt"), Some(grant), Some(generation)) = (parts.next(), parts.next(), parts.next())
    else {
        return (
            "400 Bad Request",
            serde_json::json!({"error": "invalid_grant"}),
        );
    };
    let Ok(generation) = generation.parse::<u64>() else {
        return (
            "400 Bad Request",
            serde_json::json!({"error": "invalid_grant"}),
        );
    };
    let mut g = grants.lock().unwrap();
    let current = g.generation.entry(grant.to_string()).or_insert(0);
    if *current != generation {
        g.replays += 1;
        return (
            "400 Bad Request",
            serde_json::json!({"error": "invalid_grant", "error_description": "refresh token reused"}),
        );
    }
    *current += 1;
    let next = *current;
    g.refreshes += 1;
    (
        "200 OK",
        serde_json::json!({
            "access_token": format!("at.{grant}.{next}"),
            "refresh_token": format!("rt.{grant}.{next}"),
            "token_type": "Bearer",
            "expires_in": 3600,
        }),
    )
}
