"""Strict YAML loading: safe, one document, UTF-8, bounded, with the YAML 1.1 traps caught.

``load_record`` turns bytes into plain JSON-like data (dict, list, str, int,
float, bool, None; dates become ISO ``YYYY-MM-DD`` strings) plus the problems
found on the way, each already located (the parser's marks are at hand while
loading). ``locate`` finds the line and column of a JSON path; the engine calls
it only for files that have findings, so clean files cost one fast parse.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml

from ap_lint.findings import Finding, Fix, JsonPath, Severity
from ap_lint.load.syntax import LoadProblem, position_of_offset, syntax_problem

try:  # libyaml is ~8x faster; fall back to the pure-Python parser where it is missing
    from yaml import CSafeLoader as BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 1024 * 1024
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 64

BOOLEAN_WORDS = {"yes", "no", "on", "off", "y", "n"}
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
_LEADING_ZERO_INT = re.compile(r"^[-+]?0[0-9_]+$")
#: A comment that cuts a plain value short: ` #` after one space, or `#` followed by text ("Meeting #2 went well").
#: A comment set off by two spaces and a space after the `#` (`value  # note`) is taken as meant.
CUT_COMMENT = re.compile(r"^(?: #|[ \t]+#[^\s#])")
CUT_COMMENT_ANYWHERE = re.compile(r"[^\s'\"](?: #|[ \t]+#[^\s#])")


@dataclass
class LoadedFile:
    """One file as loaded: its data (None when it could not be read) and problems."""

    path: str
    data: Any
    problems: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None


class _StrictLoader(BaseLoader):
    """Safe loader that records traps instead of silently converting them.

    Files that may nest deeply are vetted by ``check_depth`` before it sees them.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.text = stream
        self.traps: list[tuple[str, str, yaml.Mark, tuple[Fix, ...]]] = []
        self.warnings: set[int] = set()  # indexes into traps of those that are warnings

    def trap(self, rule: str, message: str, node: yaml.Node, fixes: tuple[Fix, ...] = (), *,
             warning: bool = False) -> None:
        if warning:
            self.warnings.add(len(self.traps))
        self.traps.append((rule, message, node.start_mark, fixes))

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                # '<<' copies fields from elsewhere (and nested merges multiply them, like aliases);
                # YAML 1.2 tools read it as an ordinary key. Records write their fields out.
                raise LoadProblem("yaml-alias-limit",
                               "'<<' (a merge key) copies fields from elsewhere in the file, and other YAML tools "
                               "read it as a field named '<<'. Write the fields out instead.",
                               key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        super().flatten_mapping(node)


def _short(text: str, limit: int = 40) -> str:
    """Text to quote in a message, cut to ``limit`` characters on one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _starts_list_entry(loader: Any, node: yaml.MappingNode) -> bool:
    """Whether the mapping is an entry of a block list: its first key comes after a '- ' on its line."""
    mark = node.start_mark
    start = loader.text.rfind("\n", 0, mark.index) + 1 if mark.index <= len(loader.text) else -1
    return start >= 0 and loader.text[start:mark.index].rstrip().endswith("-")


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    first_line: dict[Any, int] = {}
    entry_from = 0  # a line where another list entry seems to start without its '- ' (0: none)
    for position, (key_node, value_node) in enumerate(node.value):
        if not isinstance(key_node, yaml.ScalarNode):
            # A list or mapping used as a key ('? [a, b]'): never built, since it may be an alias bomb.
            what = "list" if isinstance(key_node, yaml.SequenceNode) else "mapping"
            loader.trap(
                "yaml-key-not-text",
                f"A {what} is used as a key here. Field names are words, such as 'start_date'.",
                key_node,
            )
            key: Any = f"({what} key on line {key_node.start_mark.line + 1})"
        elif key_node.tag == "tag:yaml.org,2002:bool":
            word = key_node.value
            value_word = str(key_node.value.lower() in {"yes", "on", "y", "true"}).lower()
            loader.trap(
                "yaml-boolean-word",
                f"The key '{word}' is read by YAML as the boolean {value_word}, not as a name. "
                f"Rename the field or put it in quotes ('{word}').",
                key_node,
            )
            key = word
        else:
            key = loader.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                loader.trap(
                    "yaml-key-not-text",
                    f"The key '{_short(key_node.value)}' is not a name. Field names are words, such as 'start_date'.",
                    key_node,
                )
                key = str(key_node.value)
        if key in mapping:
            line = key_node.start_mark.line + 1
            if position > 1 and key == next(iter(mapping)) and _starts_list_entry(loader, node):
                # the entry's first field again, after its others: another entry written without its '- '
                entry_from = line
                loader.trap(
                    "yaml-duplicate-key",
                    f"The key '{_short(key)}' appears twice in this list entry (first on line {first_line[key]}). "
                    f"If line {line} starts another entry, start it with '- ', like line {first_line[key]}; "
                    "otherwise delete or merge the duplicate (YAML keeps only the last one).",
                    key_node,
                )
            elif not entry_from or first_line[key] >= entry_from:  # the new entry's own fields: the same mistake
                loader.trap(
                    "yaml-duplicate-key",
                    f"The key '{_short(key)}' appears twice in this mapping (first on line {first_line[key]}). "
                    "YAML keeps only the last one; delete or merge the duplicate.",
                    key_node,
                )
        else:
            first_line[key] = key_node.start_mark.line + 1
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _construct_bool(loader: Any, node: yaml.ScalarNode) -> Any:
    value = loader.construct_yaml_bool(node)
    if node.value.lower() in BOOLEAN_WORDS:
        loader.trap(
            "yaml-boolean-word",
            f"'{node.value}' is read by YAML 1.1 as {str(value).lower()} and by other tools as text. "
            f"Write {str(value).lower()} for a yes/no field, or put the word in quotes if it is text.",
            node,
            (Fix(f"Write {str(value).lower()}", str(value).lower()), Fix(f'Put it in quotes: "{node.value}"',
                                                                         f'"{node.value}"')),
        )
    return value


def _as_time(text: str) -> str:
    """``9:30`` written as a time of day is written ``09:30`` (two digits for the hour)."""
    hours, _, rest = text.partition(":")
    return f"{hours.zfill(2)}:{rest}" if hours.isdigit() and len(hours) < 2 else text


def _construct_int(loader: Any, node: yaml.ScalarNode) -> Any:
    text = node.value
    if _SEXAGESIMAL.match(text):
        number = loader.construct_yaml_int(node)
        loader.trap(
            "yaml-sexagesimal",
            f"{text} is read by YAML as the number {number} (base 60), not as a time. "
            f'Write times in quotes: "{text}".' if _as_time(text) == text else
            f'Write times in quotes, with two digits for the hour: "{_as_time(text)}".',
            node,
            (Fix(f'Put the time in quotes: "{_as_time(text)}"', f'"{_as_time(text)}"'),),
        )
        return text
    if _LEADING_ZERO_INT.match(text):
        loader.trap(
            "yaml-leading-zero",
            f"{text} is read by YAML as an octal number ({loader.construct_yaml_int(node)}), "
            f"losing its leading zero. Put it in quotes: \"{text}\".",
            node,
            (Fix(f'Put it in quotes: "{text}"', f'"{text}"'),
             *((Fix(f"Write the number {int(text, 10)}", str(int(text, 10))),) if text.isdigit() else ())),
        )
        return text
    try:
        return loader.construct_yaml_int(node)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        loader.trap(
            "yaml-syntax",
            f"This number has {len(text):,} digits, more than any field holds. "
            "If it is a reference, put it in quotes; otherwise correct it.",
            node,
        )
        return text


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    text = node.value
    try:
        value = loader.construct_yaml_timestamp(node)
    except ValueError:
        loader.trap(
            "yaml-invalid-date",
            f"{text} is not a real calendar date. Check the day and month (YYYY-MM-DD).",
            node,
        )
        return text
    if isinstance(value, datetime.datetime):
        loader.trap(
            "yaml-invalid-date",
            f"{text} has a time of day; write the date alone as YYYY-MM-DD.",
            node,
            (Fix(f"Write the date alone: {value.date().isoformat()}", value.date().isoformat()),),
        )
        return text
    return value.isoformat()


def _construct_str(loader: Any, node: yaml.ScalarNode) -> Any:
    value = loader.construct_yaml_str(node)
    if not node.style and isinstance(value, str) and "#" in loader.text:  # plain: no quotes, not a block
        lines = loader.text.split("\n")
        end = node.end_mark
        rest = lines[end.line][end.column:] if end.line < len(lines) else ""
        if CUT_COMMENT.match(rest):
            comment = rest.lstrip(" \t")
            loader.trap(
                "yaml-comment-cut",
                f"'{_short(value)}' is all that is stored here: YAML reads ' {_short(comment, 30)}' as a comment "
                f"and drops it. If it is part of the value, put the whole value in quotes: "
                f"\"{_short(value + rest, 80)}\".",
                node, warning=True,
            )
    return value


def _refuse_tag(loader: Any, node: yaml.Node) -> Any:
    raise LoadProblem(
        "yaml-tag",
        f"The tag '{node.tag}' is not allowed: records hold plain text, numbers, dates, lists and mappings. "
        "Remove the tag.",
        node.start_mark.line + 1,
        node.start_mark.column + 1,
    )


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_StrictLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_StrictLoader.add_constructor(None, _refuse_tag)
for _tag in ("tag:yaml.org,2002:binary", "tag:yaml.org,2002:set", "tag:yaml.org,2002:omap",
             "tag:yaml.org,2002:pairs"):
    _StrictLoader.add_constructor(_tag, _refuse_tag)


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadProblem("file-encoding", "This file is saved as UTF-16. Save it as UTF-8 in your editor.")
    if b"\x00" in raw:
        raise LoadProblem("file-binary", "This is a binary file, not a YAML record. Remove it from records/.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        good = raw[: error.start].decode("utf-8", errors="replace")
        line, column = position_of_offset(good, len(good))
        raise LoadProblem(
            "file-encoding",
            f"This file is not UTF-8 (byte 0x{raw[error.start]:02x}). Save it as UTF-8 in your editor.",
            line, column,
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _expanded_size(value: Any, limit: int) -> int:
    """Count nodes as if every alias were copied out; stop counting past ``limit``."""
    memo: dict[int, int] = {}

    def size(item: Any, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise LoadProblem("yaml-too-deep", f"The file nests more than {MAX_DEPTH} levels deep. "
                                            "Records are a few levels deep; check the indentation.")
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            return 1
        key = id(item)
        if key in memo:
            return memo[key]
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > limit:
                break
        memo[key] = total
        return total

    return size(value, 0)


def load_record(raw: bytes, path: str, *, max_bytes: int = MAX_FILE_BYTES,
                max_nodes: int = MAX_EXPANDED_NODES) -> LoadedFile:
    """Load one record file's bytes strictly; never raises for bad input."""
    text = ""
    loader: Any = None
    try:
        if len(raw) > max_bytes:
            raise LoadProblem("file-too-large", f"This file is larger than {max_bytes:,} bytes, the most a record "
                                             "may be. Remove what does not belong in it.")
        text = _decode(raw)
        if not text.strip() or all(
            not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
        ):
            if "#" in text:
                raise LoadProblem("file-empty", "This file holds only comments, no record. Write the record below "
                                                "them, or delete the file.")
            raise LoadProblem("file-empty", "This file is empty. Write the record, or delete the file.")
        deep = nesting_bound(text) > MAX_DEPTH
        if deep:
            check_depth(text)
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"
                                and not node.value):
                raise LoadProblem("file-empty", "This file holds no record. Write the record, or delete the file.")
            if not isinstance(node, yaml.MappingNode):
                raise LoadProblem("yaml-not-mapping",
                               "A record is a mapping of field names to values (name: value), "
                               "not a list or a single value.",
                               node.start_mark.line + 1, node.start_mark.column + 1)
            data = loader.construct_document(node)
            paths = _paths_of_marks(node, {(trap[2].line, trap[2].column) for trap in loader.traps})
        finally:
            loader.dispose()
        if (deep or "*" in text) and _expanded_size(data, max_nodes) > max_nodes:
            raise LoadProblem("yaml-alias-limit", f"Aliases (*name) expand this file past {max_nodes:,} values. "
                                               "Write the values out instead of nesting aliases.")
    except LoadProblem as problem:
        return LoadedFile(path, None, [_finding(path, problem.rule, problem.message, problem.line, problem.column)])
    except yaml.YAMLError as error:
        syntax = syntax_problem(error, text)
        return LoadedFile(path, None, [_finding(path, syntax.rule, syntax.message, syntax.line, syntax.column)])
    except RecursionError:
        return LoadedFile(path, None, [_finding(
            path, "yaml-too-deep", f"The file nests too deeply to read (more than {MAX_DEPTH} levels). "
                                   "Records are a few levels deep; check the indentation and brackets.", 1, 1)])
    return LoadedFile(path, data, _capped(path, loader.traps, loader.warnings, paths))


#: Problems of one kind reported one by one in a file; the rest are counted in one more finding.
MAX_PROBLEMS_PER_RULE = 5


def _capped(path: str, traps: list[tuple[str, str, yaml.Mark, tuple[Fix, ...]]], warnings: set[int] | None = None,
            paths: dict[tuple[int, int], JsonPath] | None = None) -> list[Finding]:
    """The traps as findings, at most MAX_PROBLEMS_PER_RULE of each rule, then one that counts the rest.

    A finding knows the path of the value it is about (when ``paths`` has it), so a later stage can
    say more about it from the schema (the choices a field allows).
    """
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    for index, (rule, message, mark, fixes) in enumerate(traps):
        seen[rule] = seen.get(rule, 0) + 1
        at = (paths or {}).get((mark.line, mark.column), ())
        severity: Severity = "warning" if warnings and index in warnings else "error"
        if seen[rule] <= MAX_PROBLEMS_PER_RULE:
            findings.append(dataclasses.replace(
                _finding(path, rule, message, mark.line + 1, mark.column + 1, severity, at), fixes=fixes))
        elif seen[rule] == MAX_PROBLEMS_PER_RULE + 1:
            findings.append(_finding(path, rule, "", mark.line + 1, mark.column + 1, severity))
    for index, finding in enumerate(findings):
        if not finding.message:
            more = seen[finding.rule] - MAX_PROBLEMS_PER_RULE
            findings[index] = _finding(
                path, finding.rule, f"{more:,} more problem{'s' if more > 1 else ''} like the ones above "
                                    f"from here on, not listed one by one. Fix them all, then check again.",
                finding.line, finding.column, finding.severity)
    return findings


def _paths_of_marks(root: yaml.Node, marks: set[tuple[int, int]]) -> dict[tuple[int, int], JsonPath]:
    """The path of each value (or key) node that starts at one of ``marks`` (0-based line, column)."""
    found: dict[tuple[int, int], JsonPath] = {}
    if not marks:
        return found
    stack: list[tuple[yaml.Node, JsonPath]] = [(root, ())]
    while stack:
        node, at = stack.pop()
        start = (node.start_mark.line, node.start_mark.column)
        if start in marks and start not in found:
            found[start] = at
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                key_start = (key_node.start_mark.line, key_node.start_mark.column)
                if key_start in marks and key_start not in found:
                    found[key_start] = at + (name,)
                stack.append((value_node, at + (name,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, at + (index,)) for index, item in enumerate(node.value))
    return found


def check_depth(text: str) -> None:
    """Refuse a file that nests past MAX_DEPTH, before any parser builds it.

    libyaml builds nodes recursively in C, so a file nested tens of thousands
    of levels deep would overflow the C stack and kill the process. The
    pure-Python parser streams events without recursion, so it can count the
    depth safely and say where the file goes too deep.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise LoadProblem("yaml-too-deep", f"The file nests more than {MAX_DEPTH} levels deep here. Records are "
                                                "a few levels deep; check the indentation and brackets.",
                               mark.line + 1 if mark else 1, mark.column + 1 if mark else 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def nesting_bound(text: str) -> int:
    """A cheap upper bound on how deep ``text`` can nest (ordinary records: under 30).

    Every level of nesting needs a flow bracket, more indentation, or a block
    indicator ('- ', '? ', ': ') on the same line.
    """
    flow = text.count("[") + text.count("{")
    if flow > MAX_DEPTH:
        return flow
    block = 0
    for line in text.split("\n"):
        body = line.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        indent = len(line) - len(body)
        same_line = body.count("- ") + body.count("? ") + body.count(": ") + 1
        block = max(block, 2 * indent + same_line)
    return flow + block


def _finding(path: str, rule: str, message: str, line: int, column: int, severity: Severity = "error",
             at: JsonPath = ()) -> Finding:
    return Finding(file=path, line=line, column=column, rule=rule, severity=severity, message=message, path=at)


def iter_text_values(data: Any, prefix: JsonPath = ()) -> Iterator[tuple[JsonPath, str]]:
    """Every text value in a record, with its path."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from iter_text_values(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from iter_text_values(value, prefix + (index,))
    elif isinstance(data, str):
        yield prefix, data
