#!/usr/bin/env python3
"""Converts `tmux capture-pane -e -p` output (text with SGR escapes) to a
standalone HTML page, for screenshots. Understands what tmux emits: reset,
bold, dim, italic, underline, reverse, the 16 colours, 256 colours and
truecolor, foreground and background.

Usage: ansi2html.py < pane.ansi > pane.html
Every non-ASCII character is pinned to one cell width so that symbols the
monospace font lacks (and borrows from another font) keep the grid.
"""
import html
import re
import sys

BASE16 = [
    "#1d1f21", "#cc6666", "#b5bd68", "#f0c674", "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
    "#666666", "#ff7b7b", "#d1dc7e", "#ffd98a", "#97bde0", "#d3aee0", "#a3e0d8", "#ffffff",
]
FG, BG = "#c5c8c6", "#1d1f21"
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESC = re.compile(r"\x1b(\[[0-9;?]*[A-Za-ln-z]|\][^\x07]*\x07|[()][0-9A-B])")


def color256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


class State:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def apply(self, params):
        codes = [int(p) if p else 0 for p in re.split("[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 3:
                self.italic = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = BASE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = BASE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    value = color256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    value = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    value = None
                if c == 38:
                    self.fg = value
                else:
                    self.bg = value
            i += 1

    def style(self):
        fg, bg = self.fg or FG, self.bg or BG
        if self.reverse:
            fg, bg = bg, fg
        parts = [f"color:{fg}"]
        if bg != BG:
            parts.append(f"background:{bg}")
        if self.bold:
            parts.append("font-weight:bold")
        if self.dim:
            parts.append("opacity:0.6")
        if self.italic:
            parts.append("font-style:italic")
        if self.underline:
            parts.append("text-decoration:underline")
        return ";".join(parts)


def cells(text):
    out = []
    for ch in text:
        # ASCII, box drawing and block elements are in the monospace font.
        if ord(ch) < 128 or 0x2500 <= ord(ch) <= 0x259F:
            out.append(html.escape(ch))
        else:
            out.append(f'<span class="c">{html.escape(ch)}</span>')
    return "".join(out)


def convert(ansi):
    state = State()
    lines = []
    for raw in ansi.rstrip("\n").split("\n"):
        raw = OTHER_ESC.sub("", raw)
        out, pos = [], 0
        for m in SGR.finditer(raw):
            if m.start() > pos:
                out.append(f'<span style="{state.style()}">{cells(raw[pos:m.start()])}</span>')
            state.apply(m.group(1))
            pos = m.end()
        if pos < len(raw):
            out.append(f'<span style="{state.style()}">{cells(raw[pos:])}</span>')
        lines.append("".join(out))
    body = "\n".join(lines)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><style>
html, body {{ margin: 0; background: {BG}; }}
pre {{ margin: 0; padding: 12px; font: 15px/1.2 "DejaVu Sans Mono", "Symbola", monospace; color: {FG}; }}
.c {{ display: inline-block; width: 1ch; overflow: visible; text-align: center; }}
</style></head><body><pre>{body}</pre></body></html>
"""


if __name__ == "__main__":
    sys.stdout.write(convert(sys.stdin.read()))
