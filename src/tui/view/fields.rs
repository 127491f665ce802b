//! Label and value laid out for a pane of a given width: labels right-
//! aligned in one column, values after them, and a line broken only
//! between two values, never inside one ("2026-12-02 06:07:22" stays whole).

use ratatui::text::{Line, Span};

use super::style::bold;
use crate::report::fit;

/// The label column's width ("fingerprint", "MCP servers" and the rest).
pub const LABEL_W: usize = 12;

/// `label` and its `values`, joined by two spaces, on as many lines as the
/// width needs; the lines after the first are indented to the values. A
/// value wider than a whole line is cut between words with "…".
pub fn field_lines(label: &str, values: Vec<Span<'static>>, width: usize) -> Vec<Line<'static>> {
    joined(label, values, width, "  ")
}

/// [`field_lines`] with `sep` between values: one space for the words of
/// a sentence.
pub fn joined(
    label: &str,
    values: Vec<Span<'static>>,
    width: usize,
    sep: &'static str,
) -> Vec<Line<'static>> {
    let gap = sep.chars().count();
    let room = width.saturating_sub(LABEL_W + 1).max(1);
    let mut lines = Vec::new();
    let mut spans = vec![Span::styled(format!("{label:>LABEL_W$} "), bold())];
    let mut used = 0;
    for value in values {
        let len = value.content.chars().count();
        if used > 0 && used + gap + len > room {
            lines.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::raw(" ".repeat(LABEL_W + 1)));
            used = 0;
        }
        if used > 0 {
            spans.push(Span::raw(sep));
            used += gap;
        }
        let value = if len > room {
            Span::styled(fit(&value.content, room), value.style)
        } else {
            value
        };
        used += value.content.chars().count();
        spans.push(value);
    }
    lines.push(Line::from(spans));
    lines
}

/// Plain values from strings.
pub fn plain<I: IntoIterator<Item = String>>(values: I) -> Vec<Span<'static>> {
    values.into_iter().map(Span::raw).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn a_line_breaks_between_values_only() {
        let values = plain([
            "created 2026-12-02 05:07:22".to_string(),
            "expires 2026-12-02 06:07:22".to_string(),
        ]);
        let wide = field_lines("lifetime", values.clone(), 80);
        assert_eq!(wide.len(), 1);
        let narrow = field_lines("lifetime", values, 45);
        assert_eq!(
            text(&narrow),
            [
                "    lifetime created 2026-12-02 05:07:22",
                "             expires 2026-12-02 06:07:22"
            ]
        );
    }

    #[test]
    fn a_value_wider_than_the_pane_ends_in_an_ellipsis() {
        let lines = field_lines("source", plain(["credtop store at a far place".into()]), 30);
        assert_eq!(text(&lines), ["      source credtop store at…"]);
    }
}
