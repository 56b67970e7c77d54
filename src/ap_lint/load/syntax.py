"""Why YAML could not be read, in words a person can act on: the line and column, and what to write instead.

``syntax_problem`` turns a parser's error into one problem with a hint (a value holding ': ', a tab, an
unclosed quote, a line indented one space too far); ``LoadProblem`` is a problem that stops loading a file.
"""

from __future__ import annotations

import re

import yaml


class LoadProblem(Exception):
    """A problem that stops loading the file."""

    def __init__(self, rule: str, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.line = line
        self.column = column


_YAML_HINTS = {
    "mapping values are not allowed": "A value contains ': '. Put the whole value in quotes.",
    "found a tab character": "A tab is used for indentation. YAML needs spaces.",
    "could not find expected ':'": "A line is missing its ':' or a quote is not closed.",
    "found undefined alias": "An alias (*name) refers to an anchor (&name) that is not defined.",
    "expected a single document in the stream": "A file holds one record: remove the '---' and what follows, "
                                                "or move it to a file of its own.",
    "found unexpected end of stream": "A quote or bracket is not closed.",
}


_BRACED_VALUE = re.compile(r"^(?P<lead>\s*(?:-\s+)*)(?P<key>[^\s#:'\"{\[-][^:#]*?):[ \t]+\{")


def braced_hint(field: str) -> str:
    """What to do about a text value that starts with '{', which YAML reads as a mapping."""
    noun = "message" if field == "message" else "value"
    return (f"{field} starts with '{{', so YAML reads it as a mapping: put the whole {noun} in quotes, or write it "
            f"on the next lines after `{field}: >-`.")


def _braced_value(line: str, column: int) -> tuple[str, int] | None:
    """The field of ``line`` whose value starts with '{' and was closed before ``column`` (0-based), where the
    parser stopped (text went on after the '}'), and the column (1-based) of the '{'; or None."""
    found = _BRACED_VALUE.match(line)
    if found is None:
        return None
    brace = found.end() - 1
    closing = line.find("}", brace)
    if closing < 0 or closing >= column:
        return None
    return found.group("key").strip(), brace + 1


def syntax_problem(error: yaml.YAMLError, text: str) -> LoadProblem:
    """The problem a parser's error stands for, located, with a hint where the error is a common one."""
    if isinstance(error, yaml.reader.ReaderError):  # a character YAML does not allow, anywhere in the file
        character = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or " ")
        # libyaml counts bytes and the Python reader characters: find the character itself instead
        offset = text.find(chr(character))
        line, column = position_of_offset(text, offset if offset >= 0 else error.position)
        return LoadProblem("yaml-syntax", f"This file holds a control character (#x{character:02x}), which YAML does "
                                       "not allow. Delete it; your editor may show it as a box or a question mark.",
                        line, column)
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = " ".join((getattr(error, "problem", None) or str(error)).split())
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    lines = text.split("\n")
    context = getattr(error, "context", None)
    started = getattr(error, "context_mark", None)
    if started is not None and started.line < len(lines):
        # a plain key that never met its ':', or a quote that was never closed: the parser noticed on a later
        # line (or past the end of the file); the mistake is where the key or the quote began
        if "could not find expected ':'" in problem and "simple key" in (context or ""):
            return LoadProblem("yaml-syntax", _missing_colon(lines[started.line]), started.line + 1, 1)
        if "quoted scalar" in (context or ""):
            return _unclosed_quote(started.line, started.column)
    hint = next((h for key, h in _YAML_HINTS.items() if key in problem), "")
    if not hint and line <= len(lines) and "\t" in lines[line - 1]:
        hint = "A tab is used on this line; YAML indents with spaces only."
    if "single document" in (context or "") + problem:
        return LoadProblem("yaml-multiple-documents", _YAML_HINTS["expected a single document in the stream"],
                        line, column)
    indentation = _indentation_problem(lines, line - 1)
    if indentation is not None:
        return LoadProblem("yaml-indentation", indentation[1], indentation[0] + 1, 1)
    opened = _open_quote(lines, line - 1)
    if opened is not None:
        return _unclosed_quote(*opened)
    braced = _braced_value(lines[line - 1], column - 1) if line <= len(lines) else None
    if braced is not None:
        hint, column = braced_hint(braced[0]), braced[1]
    message = f"This is not valid YAML: {problem}."
    if hint:
        message += f" {hint}"
    return LoadProblem("yaml-syntax", message, line, column)


def _missing_colon(text: str) -> str:
    """What a line that YAML could not split into a field name and a value lacks."""
    code = text.split(" #", 1)[0].strip()
    colon = code.find(":")
    if colon < 0:
        return ("This is not valid YAML: this line has no ':' between the field name and its value. "
                "Write the name, a colon and a space, then the value (name: value).")
    after = code[colon + 1:colon + 2]
    if after and after.isspace():
        return (f"This is not valid YAML: the ':' on this line is followed by an unusual space (U+{ord(after):04X}), "
                "not an ordinary one. Delete the space after the ':' and type it again.")
    return ("This is not valid YAML: a field name and its value must be apart. Put a space after the ':' "
            f"({code[:colon + 1]} {code[colon + 1:].lstrip()}).")


def _unclosed_quote(line: int, column: int) -> LoadProblem:
    """The quote opened at ``line``, ``column`` (0-based) runs on past its line."""
    return LoadProblem("yaml-syntax", "This is not valid YAML: the quote that opens here is not closed. Add the "
                                      "closing quote at the end of the value, or remove this one.",
                       line + 1, column + 1)


_OPENING_QUOTE = re.compile(r"""^\s*(?:-\s+)*(?:[^\s'"#:][^:#]*:\s+)?(?P<quote>["'])""")


def _open_quote(lines: list[str], error_line: int) -> tuple[int, int] | None:
    """A value that opens a quote it does not close on its own line, on the line of a parser's error or the
    one before (the quote then ran on, and a later quote closed it in the wrong place); or None."""
    for number in (error_line - 1, error_line):
        if not 0 <= number < len(lines):
            continue
        found = _OPENING_QUOTE.match(lines[number])
        if found is None:
            continue
        quote, start = found.group("quote"), found.end()
        rest = lines[number][start:]
        closed = rest.replace('\\\\', "").replace('\\"', "").find('"') >= 0 if quote == '"' else (
            rest.replace("''", "").find("'") >= 0)
        if not closed:
            return number, start - 1
    return None


_BLOCK_SCALAR = re.compile(r":[ \t]+[|>][-+0-9]*[ \t]*(#.*)?$")


def _indentation_problem(lines: list[str], error_line: int) -> tuple[int, str] | None:
    """The line (0-based) whose indentation breaks the file near ``error_line``, and what to write; or None.

    Lines of one block start in the same column. A line indented further than the line above, when that
    line does not open a block (it has its value), is over-indented, unless that line is itself the first
    of a block left where its opening line is (``owner:`` and then ``name:`` under it, not inside it); a line
    that steps back to a column no open block uses is mis-indented, and told the nearer block's column (the
    block above it, on a tie); a line at a list's ``-`` column that does not start an entry belongs to the
    entry above. When a block's first line was indented by an unusual step (3 spaces where the file indents
    by 2) and the next line by the usual one, the first line is the odd one out.
    """
    usual = _usual_step(lines)
    levels: list[tuple[int, int]] = []  # (column, first line of the block at that column)
    entries: dict[int, int] = {}  # column of an open list's '-' -> the column of its entries' fields
    opens = True
    scalar_indent = -1
    previous: tuple[int, int, bool] | None = None  # the last line: its number, its indentation, whether it opened
    empty_opener = False  # the last line came straight after a line that opened a block, at that line's column
    for number, text in enumerate(lines[:error_line + 1]):
        body = text.lstrip(" ")
        indent = len(text) - len(body)
        if not body.strip() or body.startswith("#") or (scalar_indent >= 0 and indent > scalar_indent):
            continue
        scalar_indent = -1
        if text.startswith(("---", "...")):
            continue
        while levels and indent < levels[-1][0]:
            closed = levels.pop()
            entries = {dash: field for dash, field in entries.items() if dash < closed[0]}
            top = levels[-1][0] if levels else 0
            if indent > top or (not levels and indent > 0):
                if closed[0] - top != usual and indent - top == usual:
                    return closed[1], _indent_message(closed[1], closed[0], indent, "below")
                return number, _indent_message(number, indent, closed[0] if closed[0] - indent <= indent - top
                                                                 else top, "above")
        if not levels or indent > levels[-1][0]:
            if levels and not opens:
                top, first = levels[-1]
                parent = levels[-2][0] if len(levels) > 1 else 0
                if len(levels) > 1 and top - parent != usual and indent - parent == usual:
                    return first, _indent_message(first, top, indent, "below")
                if previous is not None and empty_opener and previous[1] == top and indent - top == usual:
                    return previous[0], _indent_message(previous[0], top, indent, "below")
                return number, _indent_message(number, indent, top, "above")
            levels.append((indent, number))
        if indent in entries and not (body.startswith("- ") or body == "-"):
            return number, _entry_message(number, indent, entries[indent])
        empty_opener = previous is not None and previous[2] and previous[1] == indent
        # a list indented under its key: a line at its '-' column must start an entry (a list written at its
        # key's own column ends where a line without '-' starts)
        nested = bool(levels) and levels[-1] == (indent, number)
        column = indent
        while body.startswith("- ") or body == "-":
            rest = body[1:].lstrip(" ")
            if nested or column > indent:
                entries[column] = column + len(body) - len(rest)
            column += len(body) - len(rest)
            body = rest
            if body:
                levels.append((column, number))
        code = body.split(" #", 1)[0].rstrip()
        opens = code.endswith(":") or not body or body == "-"
        previous = (number, indent, opens)
        if _BLOCK_SCALAR.search(code):
            scalar_indent = indent
    return None


def _usual_step(lines: list[str]) -> int:
    """How many spaces the file indents by (the most common step from one line to a deeper next line)."""
    steps: dict[int, int] = {}
    previous = 0
    for text in lines:
        body = text.lstrip(" ")
        if not body.strip() or body.startswith("#"):
            continue
        indent = len(text) - len(body)
        if indent > previous:
            steps[indent - previous] = steps.get(indent - previous, 0) + 1
        previous = indent
        while body.startswith("- "):
            body = body[2:].lstrip(" ")
            previous = len(text) - len(body)
    return max(steps, key=lambda step: (steps[step], -step)) if steps else 2


def _indent_message(number: int, indent: int, expected: int, where: str) -> str:
    return (f"Line {number + 1} is indented {indent} space{'s' if indent != 1 else ''}, but the lines of its "
            f"block are indented {expected}: indent it by {expected} space{'s' if expected != 1 else ''}, like the lines "
            f"{where} it. YAML reads which field belongs where from the indentation.")


def _entry_message(number: int, indent: int, fields: int) -> str:
    return (f"Line {number + 1} is indented {indent} space{'s' if indent != 1 else ''}, like the '- ' that starts "
            f"each entry of this list, but it does not start an entry: indent it by {fields} spaces, like the "
            "fields of the entry above it, or start a new entry with '- '. YAML reads which field belongs where "
            "from the indentation.")


def position_of_offset(text: str, offset: int) -> tuple[int, int]:
    """The line and column (1-based) of a character offset in ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
