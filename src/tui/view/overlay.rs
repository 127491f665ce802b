//! Dialogs and help, drawn over everything else.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Color;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::style::{bold, dim, fg};
use crate::tui::app::{App, Overlay};
use crate::tui::bindings;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    area.centered(
        Constraint::Length(width.min(area.width)),
        Constraint::Length(height.min(area.height)),
    )
}

fn boxed(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>, width: u16) {
    // Tall enough for the lines as they wrap at this width, so that none
    // (the last is usually the hint) is cut off.
    let inner = width.min(area.width).saturating_sub(2).max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let rect = centered(area, width, rows as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(format!(" {title} ")))
            .wrap(Wrap { trim: false }),
        rect,
    );
}

pub fn draw(app: &App, frame: &mut Frame) {
    let Some(overlay) = &app.overlay else {
        return;
    };
    let area = frame.area();
    let c = app.color;
    let yes_no = || Line::styled("y confirms, any other key cancels", dim(c));
    match overlay {
        Overlay::Help => {
            let mut lines: Vec<Line> = bindings::TABLE
                .iter()
                .map(|b| Line::from(format!("{:>9}  {}", b.shown, b.help)))
                .collect();
            lines.push(Line::raw(
                "✓ ok  ▲ danger  ✗ expired  ⊘ revoked  ⏸ paused  ↯ retrying",
            ));
            lines.push(Line::styled(
                "TTL ┃ refresh point (80 %), ╳ the grant's end.",
                dim(c),
            ));
            lines.push(Line::styled(
                "Mouse: a click selects a row, the wheel scrolls. Any key closes.",
                dim(c),
            ));
            boxed(frame, area, "Help", lines, 66);
        }
        Overlay::ConfirmRevoke { name } => boxed(
            frame,
            area,
            "Revoke",
            vec![
                Line::styled(format!("Revoke {name}?"), bold()),
                Line::raw("It is revoked at the provider where possible and"),
                Line::raw("always deleted here. Whatever uses it stops working."),
                mcp_line(app, std::slice::from_ref(name)),
                yes_no(),
            ],
            58,
        ),
        Overlay::ConfirmLogout { provider, names } => boxed(
            frame,
            area,
            "Log out",
            vec![
                Line::styled(format!("Log out of {provider}?"), bold()),
                Line::raw(format!("Removes: {}", names.join(", "))),
                Line::raw("Each is revoked remotely where possible."),
                mcp_line(app, names),
                yes_no(),
            ],
            58,
        ),
        Overlay::AskProvider {
            input,
            device,
            pick,
        } => boxed(
            frame,
            area,
            if *device {
                "Log in (device flow)"
            } else {
                "Log in"
            },
            ask_provider_lines(app, input.value(), *pick),
            50,
        ),
        Overlay::LoginUrl {
            provider,
            url,
            user_code,
        } => {
            let mut lines = vec![
                Line::raw(format!(
                    "To log in to {provider}, open this URL in a browser:"
                )),
                Line::raw(""),
                Line::styled(url.clone(), fg(c, Color::Cyan)),
                Line::raw(""),
            ];
            if let Some(code) = user_code {
                lines.push(Line::from(vec![
                    ratatui::text::Span::raw("and enter the code: "),
                    ratatui::text::Span::styled(code.clone(), bold()),
                ]));
            }
            lines.push(Line::styled(
                "Waiting for the login… Esc hides this; the login goes on.",
                dim(c),
            ));
            // At least 60 columns, at most the screen (which may be narrower).
            let width = (url.chars().count() as u16 + 4).max(60).min(area.width);
            boxed(frame, area, "Log in", lines, width);
        }
        Overlay::RotateKey { name, input } => boxed(
            frame,
            area,
            "Rotate",
            vec![
                Line::raw(format!("New secret for {name} (hidden):")),
                Line::styled(
                    format!("> {}▏", "•".repeat(input.value().chars().count())),
                    bold(),
                ),
                Line::styled(
                    "Enter stores it atomically; revoke the old one at the provider.",
                    dim(c),
                ),
            ],
            60,
        ),
    }
}

fn mcp_line(app: &App, names: &[String]) -> Line<'static> {
    let servers: Vec<&str> = names
        .iter()
        .flat_map(|n| app.dependents_of(n))
        .map(String::as_str)
        .collect();
    if servers.is_empty() {
        Line::styled("MCP servers that depend on it: none known", dim(app.color))
    } else {
        Line::styled(
            format!("MCP servers that will stop: {}", servers.join(", ")),
            fg(app.color, Color::Yellow),
        )
    }
}

/// The configured providers to pick from (j/k, Enter), or a name to type.
fn ask_provider_lines(app: &App, typed: &str, pick: usize) -> Vec<Line<'static>> {
    let c = app.color;
    let mut lines = Vec::new();
    if app.providers.is_empty() {
        lines.push(Line::raw("Provider (a table of providers.toml):"));
    } else {
        lines.push(Line::raw("Configured in providers.toml (j/k, Enter):"));
        for (i, name) in app.providers.iter().enumerate() {
            let chosen = typed.is_empty() && i == pick;
            let marker = if chosen { "▶ " } else { "  " };
            let style = if chosen {
                bold()
            } else {
                ratatui::style::Style::default()
            };
            lines.push(Line::styled(format!("{marker}{name}"), style));
        }
        lines.push(Line::raw("or type another name:"));
    }
    lines.push(Line::styled(format!("> {typed}▏"), bold()));
    lines.push(Line::styled("Enter logs in, Esc cancels", dim(c)));
    lines
}
