"""Word lists a pack's text scans use: words read as text from files an installed distribution ships.

``rules/pack.yaml`` names, for each list, a distribution and the variables of its files whose string
literals are the words (a list of first names, say). The files are read, never imported; what they gave is
kept in the pack memo by their paths, sizes and modification times.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from ap_lint.errors import PolicyPackError
from ap_lint.memo import PackMemo, digest_of

def word_list(name: str, spec: dict[str, Any], digest: Any, memo: PackMemo | None, declared_in: str) -> frozenset[str]:
    """The words of a pack's word list: the string literals assigned to the named variables in files that an
    installed distribution ships (read as text, never imported, so that loading the pack stays fast).

    With ``memo``, the words read before from these very files (the same paths, sizes and modification
    times) are taken from it: finding the distribution alone costs a run tens of milliseconds.
    """
    files = _word_files(spec) if memo is not None else None
    key = _word_files_key(spec, files)
    remembered = memo.get("words", key) if memo is not None and key is not None else None
    if isinstance(remembered, list) and remembered and all(isinstance(word, str) for word in remembered):
        words = remembered
    else:
        words, located = _read_word_list(name, spec, declared_in)
        if memo is not None and key is not None and located == files:
            memo.put("words", key, words)
    digest.update("\n".join(words).encode())
    return frozenset(words)


def _word_files(spec: dict[str, Any]) -> list[str] | None:
    """Where the word list's files are, found on the import path as the distribution would locate them."""
    found = []
    for file_name in spec["files"]:
        for entry in sys.path:
            candidate = Path(entry or ".") / file_name
            if candidate.is_file():
                found.append(str(candidate.resolve()))
                break
        else:
            return None
    return found


def _word_files_key(spec: dict[str, Any], files: list[str] | None) -> str | None:
    """What the memo keeps the words by: the list's spec, and the paths, sizes and times of ``files``."""
    if files is None:
        return None
    stats = []
    for path in files:
        try:
            stat = Path(path).stat()
        except OSError:
            return None
        stats.append([path, stat.st_size, stat.st_mtime_ns])
    return digest_of(json.dumps([spec, stats], sort_keys=True))


def _read_word_list(name: str, spec: dict[str, Any], declared_in: str) -> tuple[list[str], list[str]]:
    """The words (sorted), and the files they were read from, through the installed distribution (a problem
    is reported on ``declared_in``, the pack file that declares the list)."""
    import importlib.metadata

    try:
        distribution = importlib.metadata.distribution(spec["distribution"])
    except importlib.metadata.PackageNotFoundError:
        raise PolicyPackError(f"word list '{name}' needs the package {spec['distribution']}, which is not installed; "
                              "install it (pip install it, or reinstall ap-lint)", file=declared_in) from None
    words: set[str] = set()
    located: list[str] = []
    for file_name, variables in spec["files"].items():
        path = Path(str(distribution.locate_file(file_name)))
        located.append(str(path.resolve()))
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise PolicyPackError(f"word list '{name}': cannot read {file_name} of {spec['distribution']} ({error})",
                                  file=declared_in) from None
        for variable in variables:
            found = _assigned_strings(text, variable)
            if not found:
                raise PolicyPackError(f"word list '{name}': {file_name} of {spec['distribution']} assigns no words "
                                      f"to {variable}", file=declared_in)
            words.update(found)
    return sorted(words), located


_STRING = re.compile(r"""(?:"([^"\\\n]*)"|'([^'\\\n]*)')""")


def _assigned_strings(text: str, variable: str) -> list[str]:
    """The string literals of the bracketed value assigned to ``variable`` (``name = (...)``, ``name =
    OrderedDict(...)``), up to the bracket that closes it at the assignment's indentation: the keys of a
    mapping of words to weights as well as the items of a tuple."""
    assignment = re.search(rf"(?m)^([ \t]*){re.escape(variable)}[ \t]*=[ \t]*[\w.]*[ \t]*[(\[{{][ \t]*$", text)
    if assignment is None:
        return []
    end = re.compile(rf"(?m)^{assignment.group(1)}[)\]}}]").search(text, assignment.end())
    span = text[assignment.end():end.start() if end else len(text)]
    span = re.sub(r"(?m)#.*$", "", span)
    return [a or b for a, b in _STRING.findall(span) if (a or b).strip()]
