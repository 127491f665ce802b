//! Reading other tools' files without ever writing them, and the expiry
//! encodings they use (milliseconds, seconds, numbers as strings, RFC 3339
//! with `Z` or a literal `UTC`, naive UTC, JWT `exp`).

use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use super::Problem;

/// How many times a file that does not parse is read before it is reported:
/// Codex truncates and rewrites `auth.json` in place, so a reader can catch
/// it half-written.
pub const TORN_ATTEMPTS: u32 = 4;
const TORN_PAUSE: Duration = Duration::from_millis(40);

/// Reads a file (read-only). `Ok(None)` when it does not exist.
pub fn read_bytes(tool: &'static str, path: &Path) -> Result<Option<Vec<u8>>, Problem> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Problem::Unreadable {
            tool,
            path: path.to_path_buf(),
            reason: e.kind().to_string(),
        }),
    }
}

/// Reads and parses a JSON file, reading it again (a bounded number of
/// times, with a short pause) while it does not parse. The parse error is
/// reduced to its position so that no value from the file reaches a message.
pub fn read_json(tool: &'static str, path: &Path) -> Result<Option<Value>, Problem> {
    let mut last = String::new();
    for attempt in 1..=TORN_ATTEMPTS {
        let Some(bytes) = read_bytes(tool, path)? else {
            return Ok(None);
        };
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => return Ok(Some(v)),
            Err(e) => {
                last = format!(
                    "invalid JSON at line {} column {} of {} bytes",
                    e.line(),
                    e.column(),
                    bytes.len()
                );
            }
        }
        if attempt < TORN_ATTEMPTS {
            std::thread::sleep(TORN_PAUSE * attempt);
        }
    }
    Err(Problem::Torn {
        tool,
        path: path.to_path_buf(),
        attempts: TORN_ATTEMPTS,
        reason: last,
    })
}

/// When the file was last written: a proxy for when its token was issued.
pub fn modified(path: &Path) -> Option<DateTime<Utc>> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(DateTime::<Utc>::from(t))
}

/// A number, or a number written as a string (MSAL writes `"1767225600"`).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite())
}

/// Epoch milliseconds, integer or float (Gemini has been seen writing
/// `1767225600000.5`).
pub fn epoch_ms(v: &Value) -> Option<DateTime<Utc>> {
    let ms = number(v)?;
    Utc.timestamp_millis_opt(ms.round() as i64).single()
}

/// Epoch seconds.
pub fn epoch_secs(v: &Value) -> Option<DateTime<Utc>> {
    let s = number(v)?;
    Utc.timestamp_millis_opt((s * 1000.0).round() as i64)
        .single()
}

/// A written time: RFC 3339 (`Z` or an offset), botocore's literal `UTC`
/// suffix, or a naive time taken as UTC (gcloud's SQLite `token_expiry`).
pub fn text_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = s
        .strip_suffix("UTC")
        .or_else(|| s.strip_suffix('Z'))
        .unwrap_or(s)
        .trim_end();
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(naive, f).ok())
        .map(|t| t.and_utc())
}

/// Any of the above in a JSON value: numbers above 10^11 are milliseconds
/// (10^11 seconds is the year 5138), smaller ones seconds.
pub fn any_time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) if s.trim().parse::<f64>().is_err() => text_time(s),
        _ => {
            let n = number(v)?;
            if n.abs() >= 1e11 {
                epoch_ms(v)
            } else {
                epoch_secs(v)
            }
        }
    }
}

/// The claims of a JWT, decoded without verification: good enough to show
/// an expiry, never to trust an identity.
pub fn jwt_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `scheme://host[:port]` of a URL, dropping the userinfo, path, query and
/// fragment where hosted MCP servers sometimes carry a key; None when the
/// text is not a URL with a host.
pub fn origin_only(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

/// A string field, when present and not empty.
pub fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_expiry_encoding_lands_on_the_same_instant() {
        let want = t("2026-01-01T00:00:00Z");
        assert_eq!(epoch_ms(&json!(1767225600000u64)), Some(want));
        assert_eq!(epoch_ms(&json!(1767225600000.4)), Some(want));
        assert_eq!(epoch_secs(&json!("1767225600")), Some(want));
        assert_eq!(text_time("2026-01-01T00:00:00Z"), Some(want));
        assert_eq!(text_time("2026-01-01T00:00:00UTC"), Some(want));
        assert_eq!(text_time("2026-01-01T02:00:00+02:00"), Some(want));
        assert_eq!(text_time("2026-01-01 00:00:00.000000"), Some(want));
        assert_eq!(any_time(&json!(1767225600)), Some(want));
        assert_eq!(any_time(&json!("1767225600000")), Some(want));
        assert_eq!(any_time(&json!("2026-01-01T00:00:00.000Z")), Some(want));
    }

    #[test]
    fn nonsense_is_no_time_not_a_panic() {
        for v in [json!("soon"), json!(null), json!(f64::MAX), json!([1])] {
            assert_eq!(any_time(&v), None, "{v}");
        }
    }

    #[test]
    fn only_the_origin_of_a_url_is_kept() {
        assert_eq!(
            origin_only("https://u:p@mcp.example.invalid:8443/k/SECRET?key=S#f").as_deref(),
            Some("https://mcp.example.invalid:8443")
        );
        assert_eq!(
            origin_only("https://mcp.example.invalid/mcp").as_deref(),
            Some("https://mcp.example.invalid")
        );
        assert_eq!(origin_only("not a url"), None);
    }

    #[test]
    fn jwt_exp_is_read_without_verification() {
        let claims = jwt_claims("eyJhbGciOiJub25lIn0.eyJleHAiOjE3NjcyMjU2MDB9.ZmFrZQ").unwrap();
        assert_eq!(claims["exp"], 1767225600);
        assert!(jwt_claims("not-a-jwt").is_none());
    }
}
