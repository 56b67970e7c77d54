"""Rendering the report: HTML (one self-contained page) or Markdown (a pull-request comment), by Jinja2."""

from __future__ import annotations

import datetime
import re
from typing import Any, Callable

import jinja2
import markupsafe

from ap_lint.output.escape import printable, visible
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


#: Markdown's syntax characters: each is written with a backslash, so it is shown, never read as syntax
#: (links and images need [ and ], emphasis, code spans, HTML, entities, tables, maths)
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]<>|#~&$^])")
#: what starts a list or a heading at the start of a line (a value shown as a paragraph)
_LINE_START = re.compile(r"^(\d+(?=[.)])|)([-+=.)])")
#: what a renderer turns into a link or a notification even when escaped: a mention (@team), a bare URL
_AUTOLINKS = re.compile(r"@(?=\w)|(?i:\b(?:https?|ftp|mailto|www)(?=[:.]))")


def markdown_cell(text: Any) -> str:
    """Text shown as itself inside a Markdown table cell (and anywhere in a paragraph).

    White space (line breaks too) is one line, other control characters are visible escapes, every character of
    Markdown syntax is backslash-escaped, and a zero-width space keeps ``@name`` from mentioning anyone
    and ``https://...`` from becoming a link.
    """
    line = _MARKDOWN_SYNTAX.sub(r"\\\1", visible(" ".join(str(text).split())))
    return _AUTOLINKS.sub(lambda m: m.group() + "\u200b", _LINE_START.sub(r"\1\\\2", line))


def markdown_code(text: Any) -> str:
    """Text as a Markdown code span that nothing in it can end, safe inside a table cell.

    The fence is one backtick longer than the longest run of backticks in the text; a ``|`` is escaped (a
    table reads it before the code span does).
    """
    line = " ".join(visible(str(text)).split())  # a path or an id: a line break in it is shown, as \\n
    longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
    fence = "`" * (longest + 1)
    escaped = line.replace("|", "\\|")
    pad = " " if longest else ""  # a span that starts or ends with a backtick needs a space inside its fence
    return f"{fence}{pad}{escaped}{pad}{fence}"


def path_breaks(text: Any) -> markupsafe.Markup:
    """A file path, escaped, that a narrow column breaks after a '/' rather than inside a name."""
    return markupsafe.escape(visible(str(text))).replace("/", markupsafe.Markup("/<wbr>"))


_SYMBOLS = {"ok": "✔", "warning": "⚠", "error": "✖", "neutral": "•", "": ""}


def _printable(value: Any) -> Any:
    """Every value a template shows, with control characters escaped; markup the code built is kept as it is."""
    return value if isinstance(value, markupsafe.Markup) else printable(value)


def _environment(autoescape: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("ap_lint.output.report", "templates"), autoescape=autoescape,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        finalize=_printable)
    environment.filters.update(long_date=long_date, due_when=due_when, md=markdown_cell, md_code=markdown_code,
                               path_breaks=path_breaks,
                               symbol=lambda tone: _SYMBOLS.get(tone, ""))
    if not autoescape:  # Markdown: a value that is not a date is shown as it is, so it is escaped like any other
        environment.filters.update(long_date=lambda iso: markdown_cell(long_date(iso)))
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
