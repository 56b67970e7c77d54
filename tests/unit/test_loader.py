"""The strict loader: every YAML trap and every hostile file gives one located problem, never a crash.

Each case asserts the rule id, line, column and the whole message, as the
data team will read them. Hostile cases also assert that loading stays within
a few seconds: the loader is the first thing that touches a file's bytes.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ap_lint.load.loader import (
    MAX_DEPTH,
    MAX_PROBLEMS_PER_RULE,
    LoadedFile,
    iter_text_values,
    load_record,
)
from ap_lint.load.positions import compose_positions, locate

PATH = "records/placements/oakfield/oakfield-2026-009.yaml"

#: (case, file bytes, rule, line, column, message, whether the data still loads)
TRAPS = [
    ("boolean word as a key", b"id: a\non: 2026-01-01\n", "yaml-boolean-word", 2, 1,
     "The key 'on' is read by YAML as the boolean true, not as a name. Rename the field or put it in quotes ('on').",
     True),
    ("boolean word as a value", b"id: a\nflag: yes\n", "yaml-boolean-word", 2, 7,
     "'yes' is read by YAML 1.1 as true and by other tools as text. Write true for a yes/no field, or put the "
     "word in quotes if it is text.", True),
    ("time read as base 60", b"id: a\nstart: 15:30\n", "yaml-sexagesimal", 2, 8,
     '15:30 is read by YAML as the number 930 (base 60), not as a time. Write times in quotes: "15:30".', True),
    ("leading zero", b"id: a\nurn: 012345\n", "yaml-leading-zero", 2, 6,
     '012345 is read by YAML as an octal number (5349), losing its leading zero. Put it in quotes: "012345".',
     True),
    ("date that does not exist", b"id: a\ndate: 2026-02-30\n", "yaml-invalid-date", 2, 7,
     "2026-02-30 is not a real calendar date. Check the day and month (YYYY-MM-DD).", True),
    ("date with a time", b"id: a\ndate: 2026-02-03 10:00:00\n", "yaml-invalid-date", 2, 7,
     "2026-02-03 10:00:00 has a time of day; write the date alone as YYYY-MM-DD.", True),
    ("duplicate key", b"id: a\nschool: b\nschool: c\n", "yaml-duplicate-key", 3, 1,
     "The key 'school' appears twice in this mapping (first on line 2). YAML keeps only the last one; "
     "delete or merge the duplicate.", True),
    ("null as a key", b"id: a\n~: b\n", "yaml-key-not-text", 2, 1,
     "The key '~' is not a name. Field names are words, such as 'start_date'.", True),
    ("list as a key", b"id: a\n? [x, y]\n: b\n", "yaml-key-not-text", 2, 3,
     "A list is used as a key here. Field names are words, such as 'start_date'.", True),
    ("number of 5,000 digits", b"id: a\nn: " + b"9" * 5000 + b"\n", "yaml-syntax", 2, 4,
     "This number has 5,000 digits, more than any field holds. If it is a reference, put it in quotes; "
     "otherwise correct it.", True),
]

DEEP = (f"The file nests more than {MAX_DEPTH} levels deep here. Records are a few levels deep; check the "
        "indentation and brackets.")

HOSTILE = [
    ("python object tag", b"id: a\nrun: !!python/object/apply:os.system ['echo pwned']\n", "yaml-tag", 2, 6,
     "The tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed: records hold plain text, "
     "numbers, dates, lists and mappings. Remove the tag."),
    ("python name tag", b"id: a\nrun: !!python/name:os.system\n", "yaml-tag", 2, 6,
     "The tag 'tag:yaml.org,2002:python/name:os.system' is not allowed: records hold plain text, numbers, "
     "dates, lists and mappings. Remove the tag."),
    ("local tag", b"id: a\nx: !secret value\n", "yaml-tag", 2, 4,
     "The tag '!secret' is not allowed: records hold plain text, numbers, dates, lists and mappings. "
     "Remove the tag."),
    ("binary tag", b"id: a\nx: !!binary aGVsbG8=\n", "yaml-tag", 2, 4,
     "The tag 'tag:yaml.org,2002:binary' is not allowed: records hold plain text, numbers, dates, lists and "
     "mappings. Remove the tag."),
    ("two documents", b"id: a\n---\nid: b\n", "yaml-multiple-documents", 2, 1,
     "A file holds one record: remove the '---' and what follows, or move it to a file of its own."),
    ("a list, not a mapping", b"- id: a\n", "yaml-not-mapping", 1, 1,
     "A record is a mapping of field names to values (name: value), not a list or a single value."),
    ("a single value", b"just some text\n", "yaml-not-mapping", 1, 1,
     "A record is a mapping of field names to values (name: value), not a list or a single value."),
    ("empty file", b"", "file-empty", 1, 1, "This file is empty. Write the record, or delete the file."),
    ("comments only", b"# to do\n\n", "file-empty", 1, 1,
     "This file holds only comments, no record. Write the record below them, or delete the file."),
    ("spaces only", b"  \n\n", "file-empty", 1, 1, "This file is empty. Write the record, or delete the file."),
    ("document marker only", b"---\n", "file-empty", 1, 1,
     "This file holds no record. Write the record, or delete the file."),
    ("binary file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file-binary", 1, 1,
     "This is a binary file, not a YAML record. Remove it from records/."),
    ("UTF-16 file", "id: a\n".encode("utf-16"), "file-encoding", 1, 1,
     "This file is saved as UTF-16. Save it as UTF-8 in your editor."),
    ("Latin-1 file", b"id: a\nname: Caf\xe9\n", "file-encoding", 2, 10,
     "This file is not UTF-8 (byte 0xe9). Save it as UTF-8 in your editor."),
    ("control character", "id: é\nx: b\x07c\n".encode(), "yaml-syntax", 2, 5,
     "This file holds a control character (#x07), which YAML does not allow. Delete it; your editor may show "
     "it as a box or a question mark."),
    ("tab indentation", b"id: a\npupil:\n\tref: x\n", "yaml-syntax", 3, 1,
     "This is not valid YAML: found character that cannot start any token. A tab is used on this line; "
     "YAML indents with spaces only."),
    ("unclosed quote", b"id: a\nx: \"open\n", "yaml-syntax", 2, 4,
     "This is not valid YAML: the quote that opens here is not closed. Add the closing quote at the end of the "
     "value, or remove this one."),
    ("colon inside a value", b"id: a\nx: a: b\n", "yaml-syntax", 2, 5,
     "This is not valid YAML: mapping values are not allowed in this context. A value contains ': '. "
     "Put the whole value in quotes."),
    ("alias bomb", b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        b"%s: &%s [%s]\n" % (name, name, b", ".join([b"*" + prev] * 9))
        for prev, name in zip([b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h"],
                              [b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"i"])), "yaml-alias-limit", 1, 1,
     "Aliases (*name) expand this file past 100,000 values. Write the values out instead of nesting aliases."),
    ("merge-key bomb", b"a0: &a0 {x: 1, y: 2}\n" + b"".join(
        b"a%d: &a%d {<<: [*a%d, *a%d]}\n" % (i, i, i - 1, i - 1) for i in range(1, 40)), "yaml-alias-limit", 2, 10,
     "'<<' (a merge key) copies fields from elsewhere in the file, and other YAML tools read it as a field "
     "named '<<'. Write the fields out instead."),
    ("too large", b"id: a\nrationale: " + b"x" * (1024 * 1024) + b"\n", "file-too-large", 1, 1,
     "This file is larger than 1,048,576 bytes, the most a record may be. Remove what does not belong in it."),
    # 100,000 levels would overflow libyaml's C stack and kill the process: the depth is counted first.
    ("deep flow nesting", b"id: a\nx: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "yaml-too-deep", 2, 67, DEEP),
    ("deep flow nesting, never closed", b"id: a\nx: " + b"{a: " * 200_000, "yaml-too-deep", 2, 256, DEEP),
    ("deep compact sequences", b"id: a\nx:\n" + b"- " * 300_000 + b"x\n", "yaml-too-deep", 3, 127, DEEP),
    ("deep block nesting", b"id: a\n" + b"".join(b"  " * i + b"k:\n" for i in range(100)) + b"  " * 100 + b"v\n",
     "yaml-too-deep", 66, 129, DEEP),
    ("self-referencing alias", b"id: a\nx: &loop [*loop]\n", "yaml-too-deep", 1, 1,
     f"The file nests more than {MAX_DEPTH} levels deep. Records are a few levels deep; check the indentation."),
]


def load(raw: bytes) -> tuple[LoadedFile, float]:
    start = time.perf_counter()
    loaded = load_record(raw, PATH)
    return loaded, time.perf_counter() - start


@pytest.mark.parametrize(("raw", "rule", "line", "column", "message", "loads"),
                         [case[1:] for case in TRAPS], ids=[case[0] for case in TRAPS])
def test_trap_is_reported_where_it_is(raw: bytes, rule: str, line: int, column: int, message: str,
                                      loads: bool) -> None:
    loaded, _ = load(raw)
    assert [(p.rule, p.line, p.column, p.message) for p in loaded.problems] == [(rule, line, column, message)]
    assert loaded.ok is loads
    assert all(p.file == PATH and p.severity == "error" for p in loaded.problems)


@pytest.mark.parametrize(("raw", "rule", "line", "column", "message"),
                         [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_hostile_file_gives_one_located_problem_quickly(raw: bytes, rule: str, line: int, column: int,
                                                        message: str) -> None:
    loaded, seconds = load(raw)
    assert [(p.rule, p.line, p.column, p.message) for p in loaded.problems] == [(rule, line, column, message)]
    assert loaded.data is None
    assert seconds < 5


def test_tags_never_run_code(tmp_path: object) -> None:
    marker = f"{tmp_path}/ran"
    loaded, _ = load(f"id: a\nx: !!python/object/apply:os.system ['touch {marker}']\n".encode())
    assert loaded.problems[0].rule == "yaml-tag"
    import os
    assert not os.path.exists(marker)


def test_thousands_of_duplicate_keys_are_counted_not_listed() -> None:
    raw = b"id: a\n" + b"".join(b"k: %d\n" % i for i in range(5000))
    loaded, seconds = load(raw)
    lines = [(p.rule, p.line, p.column) for p in loaded.problems]
    assert lines == [("yaml-duplicate-key", n, 1) for n in range(3, 3 + MAX_PROBLEMS_PER_RULE + 1)]
    assert loaded.problems[0].message == ("The key 'k' appears twice in this mapping (first on line 2). "
                                          "YAML keeps only the last one; delete or merge the duplicate.")
    assert loaded.problems[-1].message == ("4,994 more problems like the ones above from here on, not listed one "
                                           "by one. Fix them all, then check again.")
    assert seconds < 5


def test_long_keys_are_shortened_in_messages() -> None:
    key = "k" * 500
    loaded, _ = load(f"id: a\n{key}: 1\n{key}: 2\n".encode())
    assert loaded.problems[0].message.startswith("The key '" + "k" * 39 + "…' appears twice")


def test_byte_order_mark_and_windows_line_ends_are_accepted() -> None:
    loaded, _ = load(b"\xef\xbb\xbfid: a\r\nschool: b\r\n")
    assert loaded.problems == []
    assert loaded.data == {"id": "a", "school": "b"}


def test_dates_become_iso_text_and_aliases_still_work() -> None:
    loaded, _ = load(b"id: a\nstart: 2026-09-07\nbase: &b [x]\ncopy: *b\n")
    assert loaded.problems == []
    assert loaded.data == {"id": "a", "start": "2026-09-07", "base": ["x"], "copy": ["x"]}


def test_a_deep_but_legal_file_still_loads_through_the_python_parser() -> None:
    # many brackets in total (so the cheap depth bound sends it to the Python parser), but shallow
    raw = b"id: a\n" + b"".join(b"k%d: [1, 2]\n" % i for i in range(200))
    loaded, _ = load(raw)
    assert loaded.problems == []
    assert loaded.data is not None and loaded.data["k199"] == [1, 2]


def test_locate_points_at_the_last_of_duplicate_keys_and_at_list_items() -> None:
    root = compose_positions("id: a\nschool: b\nschool: c\nreviews:\n  - date: 2026-01-01\n  - date: 2026-02-01\n")
    assert locate(root, ("school",)) == (3, 9)
    assert locate(root, ("reviews", 1, "date")) == (6, 11)
    assert locate(root, ("reviews", 7, "date")) == (5, 3)  # missing: the nearest enclosing node
    assert locate(root, ("nothing",)) == (1, 1)
    assert locate(root, ("reviews", 1, "date"), key=True) == (6, 5)  # the key itself, for an unknown field


def test_locate_is_linear_in_the_number_of_findings() -> None:
    text = "".join(f"k{i}: {i}\n" for i in range(30_000))
    root = compose_positions(text)
    start = time.perf_counter()
    positions = [locate(root, (f"k{i}",)) for i in range(30_000)]
    assert positions[-1] == (30_000, 9)
    assert time.perf_counter() - start < 5


def test_compose_positions_survives_what_the_loader_refuses() -> None:
    assert compose_positions("x: " + "[" * 100_000) is None
    assert compose_positions("x: [") is None


def test_iter_text_values_gives_every_text_with_its_path() -> None:
    data = {"a": "x", "b": [{"c": "y"}, 3], "d": {"e": None, "f": "z"}}
    assert list(iter_text_values(data)) == [(("a",), "x"), (("b", 0, "c"), "y"), (("d", "f"), "z")]


# A hand edit of a real example record, and where the message must send its editor.
EXAMPLE = Path(__file__).resolve().parents[2] / "records" / "placements" / "oakfield" / "oakfield-2026-001.yaml"


def edited(old: str, new: str) -> tuple[bytes, int]:
    """The example placement with its one ``old`` replaced by ``new``, and the line (1-based) the edit is on."""
    text = EXAMPLE.read_text("utf-8")
    assert text.count(old) == 1, old
    at = text.index(old)
    return (text[:at] + new + text[at + len(old):]).encode(), text.count("\n", 0, at) + 1


@pytest.mark.parametrize(("old", "new", "spaces"), [
    ("  date: 2026-09-03", " date: 2026-09-03", 2),  # one space short inside `decision:`
    ("    attendance_percent: 93", "   attendance_percent: 93", 4),  # one short inside a list entry
    ('    end: "15:00"\n  - day: tuesday', '   end: "15:00"\n  - day: tuesday', 4),
], ids=["in a block", "in a list entry", "in a timetable session"])
def test_a_line_one_space_short_is_told_the_indentation_of_its_own_block(old: str, new: str, spaces: int) -> None:
    raw, line = edited(old, new)
    problems = load_record(raw, PATH).problems
    assert [(p.rule, p.line, p.column) for p in problems] == [("yaml-indentation", line, 1)]
    assert f"indent it by {spaces} spaces" in problems[0].message
    fixed = raw.decode().replace(new, old).encode()  # following the message gives the example back
    assert load_record(fixed, PATH).problems == []


def test_a_block_s_first_line_left_unindented_is_blamed_not_the_line_after_it() -> None:
    raw, line = edited("  ref: CRST-P-10482", "ref: CRST-P-10482")  # `pupil:` then its first field at column 0
    problems = load_record(raw, PATH).problems
    assert [(p.rule, p.line, p.column) for p in problems] == [("yaml-indentation", line, 1)]
    assert f"Line {line} is indented 0 spaces" in problems[0].message
    assert "indent it by 2 spaces" in problems[0].message


def test_a_field_of_a_list_entry_at_the_dash_s_column_is_told_the_entry_s_indentation() -> None:
    raw, line = edited("    progress: Settling in", "  progress: Settling in")
    problems = load_record(raw, PATH).problems
    assert [(p.rule, p.line, p.column) for p in problems] == [("yaml-indentation", line, 1)]
    assert "indent it by 4 spaces" in problems[0].message and "- " in problems[0].message


@pytest.mark.parametrize(("old", "new", "says"), [
    ("status: active", "status:active", "Put a space after the ':'"),
    ("site: main", "site main", "has no ':'"),
    ("site: main", "site:\u00a0main", "U+00A0"),
], ids=["no space after the colon, last line", "no colon", "a non-breaking space after the colon"])
def test_a_field_line_without_its_colon_and_space_is_found_on_its_own_line(old: str, new: str, says: str) -> None:
    raw, line = edited(old, new)
    problems = load_record(raw, PATH).problems
    assert [(p.rule, p.line, p.column) for p in problems] == [("yaml-syntax", line, 1)]
    assert says in problems[0].message
    assert line <= raw.decode().count("\n")  # never a line past the end of the file


@pytest.mark.parametrize(("old", "new"), [
    ("progress: Settling in", 'progress: "Settling in'),  # the quote runs to the end of the file
    ('start: "09:00"\n    end: "15:00"\n  - day: tuesday', 'start: "09:00\n    end: "15:00"\n  - day: tuesday'),
], ids=["never closed", "closed by the next line's quote"])
def test_an_unclosed_quote_is_found_where_it_opens(old: str, new: str) -> None:
    raw, line = edited(old, new)
    problems = load_record(raw, PATH).problems
    column = raw.decode().split("\n")[line - 1].index('"') + 1
    assert [(p.rule, p.line, p.column) for p in problems] == [("yaml-syntax", line, column)]
    assert "quote" in problems[0].message and "not closed" in problems[0].message


def test_a_list_written_at_its_key_s_column_ends_where_the_next_field_starts() -> None:
    # legal YAML (a list at its key's column) before a real mistake: only the mistake is reported
    raw = (b"id: a\nobjectives:\n- Attend every session.\n- Use the agreed strategies.\nstatus: active\n"
           b"decision:\n  by: principal\n  list:\n  - a\n  name: N\n date: 2026-09-03\n")
    problems = load_record(raw, PATH).problems
    assert [(p.rule, p.line, p.column) for p in problems] == [("yaml-indentation", 11, 1)]
    assert "indent it by 2 spaces" in problems[0].message


def test_a_list_entry_without_its_dash_is_one_finding_that_says_to_add_the_dash() -> None:
    raw, line = edited("  - date: 2026-11-20", "    date: 2026-11-20")  # the entry's other fields follow it
    problems = load_record(raw, PATH).problems
    assert [(p.rule, p.line, p.column) for p in problems] == [("yaml-duplicate-key", line, 5)]
    assert "start it with '- '" in problems[0].message and "line 39" in problems[0].message


def test_a_repeated_key_that_does_not_start_an_entry_keeps_its_own_message() -> None:
    raw, line = edited("  - date: 2026-11-20\n", "  - date: 2026-11-20\n    date: 2026-11-21\n")
    problems = load_record(raw, PATH).problems
    assert [(p.rule, p.line) for p in problems] == [("yaml-duplicate-key", line + 1)]
    assert "delete or merge the duplicate" in problems[0].message and "- '" not in problems[0].message
