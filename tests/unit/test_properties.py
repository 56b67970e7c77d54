"""Property-based tests: no input makes the loader or the checker crash.

Random YAML-like text and random bytes go through the loader; random
mutations of the example register's valid records (a field deleted, a value of
another type, odd Unicode inserted, two dates swapped) go through the whole
check. Each must end in findings with a location, never an exception.

The examples are derandomized (the same every run, so CI is reproducible) and
bounded so that the module runs in well under 30 seconds.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ap_lint.checker import Checker
from ap_lint.load.loader import load_record
from ap_lint.load.register import Record, SourceFile, discover, read_source, record_from_bytes
from ap_lint.load.yamlfast import load_fast
from tests.conftest import REPO_ROOT, checker_for

TODAY = "2026-11-28"
FAST = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
SLOWER = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: pieces of YAML that, joined at random, make text that is often almost valid
TOKENS = ["id: ", "a", "b: ", ":", "- ", "  ", "\n", "\t", "[", "]", "{", "}", ",", "&x ", "*x", "*y", "<<: ",
          "? ", "!!python/object:os.system ", "!tag ", "'", '"', "#", "---\n", "...\n", "%YAML 1.1\n", "|\n", ">-\n",
          "yes", "no", "on", "2026-02-30", "2026-09-07", "15:30", "012", "0x1F", "1e999", ".nan", "~", "null",
          "é", "\u202e", "\ufeff", "\x85", "\u2028", "😀", "9" * 40]

yaml_text = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)), max_size=60).map("".join)


def assert_loaded_cleanly(raw: bytes) -> None:
    loaded = load_record(raw, "records/x.yaml")
    if loaded.data is None:
        assert len(loaded.problems) == 1, "a file that cannot be read gives exactly one problem"
    else:
        assert isinstance(loaded.data, dict)
    for problem in loaded.problems:
        assert problem.line >= 1 and problem.column >= 1
        assert problem.message and "\n" not in problem.message
        assert problem.severity == "error"


@FAST
@given(yaml_text)
def test_random_yaml_text_never_crashes_the_loader(text: str) -> None:
    assert_loaded_cleanly(text.encode("utf-8", errors="surrogatepass"))


@FAST
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_loader(raw: bytes) -> None:
    assert_loaded_cleanly(raw)


#: plain scalars of every type the fast path reads itself, and the YAML 1.1 traps it leaves to the strict loader
SCALARS = ["yes", "no", "on", "off", "y", "n", "true", "False", "TRUE", "null", "~", "", "0", "012", "-7", "+3",
           "0x1F", "0o17", "1_000", "3.5", "1e3", ".inf", "-.nan", "2026-09-07", "2026-02-30", "2026-9-7",
           "2026-09-07T10:00:00", "15:30", "1:30:00", "= ", "<<", "text", "Some words: here", "é", "'quoted'",
           '"dq"', "CRST-P-100047"]
#: records of one to three levels built from those scalars, written in block style
record_text = st.lists(st.tuples(st.sampled_from(["id", "name", "date", "a", "b", "c", "yes", "2026-09-07", "1"]),
                                 st.one_of(st.sampled_from(SCALARS),
                                           st.lists(st.sampled_from(SCALARS), min_size=1, max_size=3))),
                       min_size=1, max_size=8).map(
    lambda pairs: "".join(f"{key}: {value}\n" if isinstance(value, str)
                          else f"{key}:\n" + "".join(f"  - {item}\n" for item in value) for key, value in pairs))


@FAST
@given(record_text)
def test_the_fast_loader_gives_what_the_strict_loader_gives_or_leaves_the_file_to_it(text: str) -> None:
    """The fast path (yamlfast) is only a shortcut: each value it builds is the strict loader's, twice over
    (the second time from what it remembered of the first), and what the strict loader warns about or refuses
    it never reads itself."""
    first, again = load_fast(text), load_fast(text)
    strict = load_record(text.encode(), "records/x.yaml")
    assert first == again
    if first is not None:
        assert not strict.problems, (text, strict.problems)
        assert typed(first) == typed(strict.data)


def typed(value: Any) -> Any:
    """The value with the type of every part beside it (True == 1 in Python, but not in a record)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


# ---------------------------------------------------------------------------------------------------------------
# Mutations of valid records, checked with the whole pack.

@pytest.fixture(scope="module")
def checker() -> Checker:
    return checker_for(REPO_ROOT)


@pytest.fixture(scope="module")
def base(checker: Checker) -> tuple[list[SourceFile], list[Record]]:
    sources, problems = discover(REPO_ROOT, checker.pack)
    assert problems == []
    return sources, [read_source(source, 1 << 20) for source in sources]


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in nested dicts and lists (the record itself excluded)."""
    found = []
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return []
    for key, value in items:
        found.append(prefix + (key,))
        found.extend(paths_of(value, prefix + (key,)))
    return found


def parent_and_key(data: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    for part in path[:-1]:
        data = data[part]
    return data, path[-1]


ODD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                       st.floats(allow_nan=True, allow_infinity=True), st.just([]), st.just({}),
                       st.lists(st.integers(), max_size=3), st.dictionaries(st.sampled_from(["a", "on", "1"]),
                                                                            st.integers(), max_size=2),
                       st.text(max_size=20), st.sampled_from(["2026-02-30", "2026-13-01", "25:99", "", " "]))
ODD_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)


@st.composite
def mutated(draw: st.DrawFn, record: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(record)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = paths_of(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = parent_and_key(data, path)
        action = draw(st.sampled_from(["delete", "retype", "unicode", "swap-dates"]))
        if action == "delete":
            del parent[key]
        elif action == "retype":
            parent[key] = draw(ODD_VALUES)
        elif action == "unicode" and isinstance(parent[key], str):
            text = parent[key]
            at = draw(st.integers(min_value=0, max_value=len(text)))
            parent[key] = text[:at] + draw(ODD_TEXT) + text[at:]
        elif action == "swap-dates":
            dates = [p for p in paths_of(data) if isinstance(parent_and_key(data, p)[0][p[-1]], str)
                     and len(parent_and_key(data, p)[0][p[-1]]) == 10 and parent_and_key(data, p)[0][p[-1]][4] == "-"]
            if len(dates) >= 2:
                first, second = draw(st.sampled_from(dates)), draw(st.sampled_from(dates))
                (p1, k1), (p2, k2) = parent_and_key(data, first), parent_and_key(data, second)
                p1[k1], p2[k2] = p2[k2], p1[k1]
    return data


@pytest.mark.slow  # 200 checks of the whole register: seconds
@SLOWER
@given(st.data())
def test_mutated_records_never_crash_the_checker(checker: Checker, base: tuple[list[SourceFile], list[Record]],
                                                 data: st.DataObject) -> None:
    sources, records = base
    editable = [i for i, r in enumerate(records) if r.data is not None and r.kind in ("placement", "waiver",
                                                                                       "provider", "school")]
    index = data.draw(st.sampled_from(editable))
    source = sources[index]
    original = records[index].data
    assert original is not None
    changed = data.draw(mutated(original))
    text = yaml.safe_dump(changed, sort_keys=False, allow_unicode=True)
    record = record_from_bytes(source, text.encode("utf-8"), 1 << 20)
    checker.validate(record)
    fresh = [record if i == index else copy.copy(r) for i, r in enumerate(records)]

    def text_of(file: str) -> str | None:
        if file == source.display:
            return text
        path = REPO_ROOT / file
        return path.read_text("utf-8") if path.is_file() else None

    result = checker.evaluate(REPO_ROOT, fresh, [], text_of, checker.run_context(TODAY))
    for finding in result.findings:
        assert finding.line >= 1 and finding.column >= 1, finding
        assert finding.message
    assert not [f for f in result.findings if f.rule == "rule-error" and f.file != source.display]


def test_the_unmutated_register_has_no_error(checker: Checker, base: tuple[list[SourceFile], list[Record]]) -> None:
    sources, records = base
    for record in records:
        checker.validate(record)
    result = checker.evaluate(REPO_ROOT, list(records), [], lambda file: (REPO_ROOT / file).read_text("utf-8"),
                              checker.run_context(TODAY))
    assert result.errors == []
