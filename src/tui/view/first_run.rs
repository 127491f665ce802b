//! The screen of an empty store: exactly how to add a provider or a key.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::style::{bold, dim, fg};
use crate::tui::app::App;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let c = app.color;
    let home = app.home.display().to_string();
    let code = |s: &str| Line::styled(format!("    {s}"), fg(c, Color::Cyan));
    if !app.providers.is_empty() {
        return draw_with_providers(app, frame, area);
    }
    let mut lines = vec![
        Line::styled(format!("No credentials yet in {home}"), bold()),
        Line::raw(""),
        Line::raw(format!(
            "OAuth: describe a provider in {home}/providers.toml"
        )),
        code("[providers.github]"),
        code("preset = \"github\""),
        code("client_id = \"YOUR-CLIENT-ID\""),
        code("scopes = [\"repo\"]"),
        Line::raw("then log in (press l here, L for a device code, or in a shell):"),
        code("credtop login github            # --device over SSH"),
        Line::raw(""),
        Line::raw("API key or PAT: the secret is read from stdin, hidden:"),
        code("credtop add-key openai --provider openai"),
        Line::raw(""),
        Line::styled(
            "The table appears here as soon as a credential is stored.",
            dim(c),
        ),
    ];
    for p in &app.problems {
        lines.push(Line::styled(format!("! {p}"), fg(c, Color::Red)));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(" Welcome to credtop "))
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// providers.toml already describes providers: offer them, not the recipe.
fn draw_with_providers(app: &App, frame: &mut Frame, area: Rect) {
    let c = app.color;
    let home = app.home.display().to_string();
    let mut lines = vec![
        Line::styled(format!("No credentials yet in {home}"), bold()),
        Line::raw(""),
        Line::raw("Providers configured in providers.toml:"),
    ];
    for name in &app.providers {
        lines.push(Line::styled(format!("    {name}"), fg(c, Color::Cyan)));
    }
    lines.extend([
        Line::raw("Press l to pick one and log in (L for a device code, over SSH)."),
        Line::raw(""),
        Line::raw("API key or PAT: the secret is read from stdin, hidden:"),
        Line::styled(
            "    credtop add-key openai --provider openai",
            fg(c, Color::Cyan),
        ),
    ]);
    for p in &app.problems {
        lines.push(Line::styled(format!("! {p}"), fg(c, Color::Red)));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(" Welcome to credtop "))
            .wrap(Wrap { trim: false }),
        area,
    );
}
