//! An incremental parser of `text/event-stream` (the WHATWG HTML standard,
//! "Server-sent events", §9.2.6): bytes go in as they arrive, whole events
//! come out, so each JSON-RPC message is passed on as soon as it is
//! complete and a stream is never held whole.

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// A line longer than this is not an MCP message we can pass on.
pub const MAX_EVENT: usize = 8 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct Parser {
    line: Vec<u8>,
    data: Option<String>,
    id: Option<String>,
    event: Option<String>,
    /// The last event id seen (kept across events, as the standard says).
    pub last_id: Option<String>,
    after_cr: bool,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("an event of the stream is larger than {MAX_EVENT} bytes")]
pub struct TooLarge;

impl Parser {
    /// Feeds a chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Event>, TooLarge> {
        let mut out = Vec::new();
        for &b in chunk {
            // CR, LF and CRLF all end a line.
            if b == b'\n' && self.after_cr {
                self.after_cr = false;
                continue;
            }
            self.after_cr = b == b'\r';
            if b == b'\n' || b == b'\r' {
                let line = std::mem::take(&mut self.line);
                if let Some(e) = self.line_done(&line) {
                    out.push(e);
                }
            } else {
                self.line.push(b);
                let pending = self.data.as_ref().map_or(0, String::len);
                if self.line.len() + pending > MAX_EVENT {
                    return Err(TooLarge);
                }
            }
        }
        Ok(out)
    }

    fn line_done(&mut self, line: &[u8]) -> Option<Event> {
        if line.is_empty() {
            return self.dispatch();
        }
        let text = String::from_utf8_lossy(line);
        if text.starts_with(':') {
            return None;
        }
        let (field, value) = match text.find(':') {
            Some(i) => {
                let v = &text[i + 1..];
                (&text[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (&text[..], ""),
        };
        match field {
            "data" => {
                // Several data lines are joined with LF.
                let data = self.data.get_or_insert_with(String::new);
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value);
            }
            "id" if !value.contains('\0') => {
                self.id = Some(value.to_string());
                self.last_id = Some(value.to_string());
            }
            "event" => self.event = Some(value.to_string()),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<Event> {
        let id = self.id.take();
        let event = self.event.take();
        let data = self.data.take()?;
        Some(Event { id, event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_come_out_whole() {
        let mut p = Parser::default();
        assert!(p.feed(b"id: 7\nevent: mess").unwrap().is_empty());
        let events = p.feed(b"age\ndata: {\"a\":\ndata: 1}\n\n").unwrap();
        assert_eq!(
            events,
            vec![Event {
                id: Some("7".into()),
                event: Some("message".into()),
                data: "{\"a\":\n1}".into()
            }]
        );
        assert_eq!(p.last_id.as_deref(), Some("7"));
    }

    #[test]
    fn comments_crlf_and_priming_events_without_data() {
        let mut p = Parser::default();
        let events = p
            .feed(b": keep-alive\r\n\r\nid: 1\r\n\r\ndata: x\r\n\r\n")
            .unwrap();
        // An id-only event (a priming event for resumption) dispatches
        // nothing but still sets the last event id.
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, "x");
        assert_eq!(p.last_id.as_deref(), Some("1"));
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut p = Parser::default();
        let big = vec![b'a'; MAX_EVENT + 1];
        assert_eq!(p.feed(&big), Err(TooLarge));
    }
}
