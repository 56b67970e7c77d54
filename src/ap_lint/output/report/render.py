"""Rendering the report: HTML (one self-contained page) or Markdown (a pull-request comment), by Jinja2."""

from __future__ import annotations

import datetime
from typing import Any, Callable

import jinja2
import markupsafe

from ap_lint.output.report.model import Report, plural

# ---------------------------------------------------------------- rendering

def long_date(iso: str) -> str:
    """``2027-01-11`` as ``Mon 11 Jan 2027``."""
    try:
        day = datetime.date.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    return f"{day:%a} {day.day} {day:%b %Y}"


def due_when(days: int) -> str:
    """How far off a due date is, in words."""
    if days < 0:
        return f"Overdue by {plural(-days, 'day', 'days')}"
    if days == 0:
        return "Today"
    if days == 1:
        return "Tomorrow"
    return f"In {days} days"


def markdown_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def path_breaks(text: Any) -> markupsafe.Markup:
    """A file path, escaped, that a narrow column breaks after a '/' rather than inside a name."""
    return markupsafe.escape(str(text)).replace("/", markupsafe.Markup("/<wbr>"))


_SYMBOLS = {"ok": "✔", "warning": "⚠", "error": "✖", "neutral": "•", "": ""}


def _environment(autoescape: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("ap_lint.output.report", "templates"), autoescape=autoescape,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters.update(long_date=long_date, due_when=due_when, md=markdown_cell, path_breaks=path_breaks,
                               symbol=lambda tone: _SYMBOLS.get(tone, ""))
    environment.globals.update(plural=plural)
    return environment


def render_html(report: Report) -> str:
    """The report as one self-contained web page: inline CSS and SVG, no scripts, no network."""
    return _environment(autoescape=True).get_template("report.html.j2").render(report=report)


def render_markdown(report: Report) -> str:
    """The report as Markdown, for a pull-request comment."""
    return _environment(autoescape=False).get_template("report.md.j2").render(report=report)


Renderer = Callable[[Report], str]

RENDERER_BY_SUFFIX: dict[str, Renderer] = {
    ".html": render_html,
    ".htm": render_html,
    ".md": render_markdown,
}
