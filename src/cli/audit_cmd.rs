use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::docs_cmd::finish_output;
use super::{Context, Failure, exit};
use crate::audit::{AuditRecord, Break, Event, Follower, RecordFilter, parse_duration, read_since};

/// How often `--follow` looks at the trail: well inside the second an
/// operator expects, at a cost of one `stat` and `open` when idle.
const FOLLOW_POLL: Duration = Duration::from_millis(200);
/// What `--follow` reads back to find the last ten records.
const FOLLOW_BACKLOG_BYTES: u64 = 256 * 1024;
const FOLLOW_BACKLOG_RECORDS: usize = 10;

/// The narrowing flags of `credtop audit`.
pub struct Query {
    since: Option<DateTime<Utc>>,
    filter: RecordFilter,
}

impl Query {
    pub fn parse(
        since: Option<&str>,
        credentials: Vec<String>,
        events: &[String],
    ) -> Result<Query, Failure> {
        let since = match since {
            Some(text) => {
                let back = parse_duration(text).map_err(|e| Failure::new(exit::USAGE, e))?;
                // Further back than chrono's calendar: everything there is.
                Some(
                    Utc::now()
                        .checked_sub_signed(back)
                        .unwrap_or(DateTime::<Utc>::MIN_UTC),
                )
            }
            None => None,
        };
        let events = events
            .iter()
            .map(|name| {
                Event::from_name(name).ok_or_else(|| {
                    Failure::new(
                        exit::USAGE,
                        format!(
                            "{:?} is not an audit event; one of: {}",
                            name,
                            Event::names().join(", ")
                        ),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Query {
            since,
            filter: RecordFilter {
                credentials,
                events,
            },
        })
    }

    fn wants(&self, r: &AuditRecord) -> bool {
        self.since.is_none_or(|s| r.ts >= s) && self.filter.matches(r)
    }
}

/// `credtop audit [--json] [--since 1h] [--credential NAME] [--event EVENT]`.
pub fn run(ctx: &Context, json: bool, query: &Query) -> Result<ExitCode, Failure> {
    let mut read = read_since(&ctx.audit, query.since)?;
    if read.unreadable_lines > 0 {
        eprintln!(
            "credtop: {} unreadable line(s) in {} were skipped",
            read.unreadable_lines,
            ctx.audit.path().display()
        );
    }
    read.records.retain(|r| query.wants(r));
    let mut out = std::io::stdout().lock();
    let written = if json {
        serde_json::to_string_pretty(&read.records)
            .map_err(|e| Failure::new(exit::ERROR, format!("records could not be encoded: {e}")))
            .map(|text| writeln!(out, "{text}"))?
    } else {
        read.records
            .iter()
            .try_for_each(|r| writeln!(out, "{}", one_line(r)))
    };
    finish_output(written)
}

/// `credtop audit --follow`: the last records, then each new one as it is
/// written, until interrupted (or the reader of a pipe goes away).
pub fn follow(ctx: &Context, json: bool, query: &Query) -> Result<ExitCode, Failure> {
    let back = if query.since.is_some() {
        u64::MAX
    } else {
        FOLLOW_BACKLOG_BYTES
    };
    let mut follower = Follower::starting_near(&ctx.audit, back)?;
    let mut first = true;
    loop {
        let appended = follower.poll()?;
        if appended.restarted {
            eprintln!(
                "credtop: {} was truncated or replaced; reading it from its start",
                ctx.audit.path().display()
            );
        }
        let mut lines: Vec<(Vec<u8>, AuditRecord)> = appended
            .lines
            .into_iter()
            .filter_map(|line| {
                let r = serde_json::from_slice::<AuditRecord>(&line).ok()?;
                query.wants(&r).then_some((line, r))
            })
            .collect();
        if first && query.since.is_none() {
            let skip = lines.len().saturating_sub(FOLLOW_BACKLOG_RECORDS);
            lines.drain(..skip);
        }
        first = false;
        let mut out = std::io::stdout().lock();
        let written = lines.iter().try_for_each(|(line, r)| {
            if json {
                out.write_all(line)?;
                out.write_all(b"\n")
            } else {
                writeln!(out, "{}", one_line(r))
            }
        });
        if let Err(e) = written.and_then(|()| out.flush()) {
            return finish_output(Err(e));
        }
        drop(out);
        std::thread::sleep(FOLLOW_POLL);
    }
}

/// `credtop audit verify [--json]`.
pub fn verify(ctx: &Context, json: bool) -> Result<ExitCode, Failure> {
    let v = crate::audit::verify(&ctx.audit)?;
    let broken = v.verifier.broken().cloned();
    if json {
        let report = serde_json::json!({
            "intact": broken.is_none(),
            "chained": v.verifier.chained(),
            "unchained": v.verifier.unchained(),
            "broken": broken.as_ref().map(|b| serde_json::json!({
                "line": b.line(),
                "reason": reason(b),
                "message": b.to_string(),
            })),
        });
        println!("{report}");
    } else if let Some(b) = &broken {
        println!("audit trail NOT intact: {b}");
    } else if !v.exists {
        println!("no audit trail yet at {}", ctx.audit.path().display());
    } else {
        println!(
            "audit trail intact: {} record(s) in the hash chain",
            v.verifier.chained()
        );
        if v.verifier.unchained() > 0 {
            println!(
                "the first {} line(s) predate the chain (written before credtop chained its trail) and cannot be checked; the chain starts after them",
                v.verifier.unchained()
            );
        }
    }
    Ok(if broken.is_some() {
        ExitCode::from(exit::NEEDS_ACTION)
    } else {
        ExitCode::SUCCESS
    })
}

fn reason(b: &Break) -> &'static str {
    match b {
        Break::Edited { .. } => "edited",
        Break::OutOfPlace { .. } => "out_of_place",
        Break::Unsealed { .. } => "unsealed",
        Break::Truncated { .. } => "truncated",
    }
}

/// `2026-11-24T18:00:00Z  refresh_failed  acme  cli[123]  failed  transient  …`,
/// control characters escaped: the trail is a file anyone with the user's
/// rights may have written to.
pub fn one_line(r: &AuditRecord) -> String {
    crate::model::shown(&raw_line(r))
}

fn raw_line(r: &AuditRecord) -> String {
    let mut line = format!(
        "{}  {:20}  {:16}  {:>16}  {:7}",
        r.ts.format("%Y-%m-%dT%H:%M:%SZ"),
        r.event.as_str(),
        r.credential.as_deref().unwrap_or("-"),
        format!("{}[{}]", serde_plain(&r.actor), r.pid),
        serde_plain(&r.outcome),
    );
    if let Some(k) = r.kind {
        line.push_str(&format!("  {k}"));
    }
    if let Some(ms) = r.latency_ms {
        line.push_str(&format!("  {ms}ms"));
    }
    if let Some(fp) = &r.fingerprint {
        line.push_str(&format!("  {fp}"));
    }
    if let Some(d) = &r.detail {
        line.push_str(&format!("  {d}"));
    }
    line
}

fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}
