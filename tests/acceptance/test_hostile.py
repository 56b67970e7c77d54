"""Hostile files dropped into a valid register: each is one clear, located error, and the rest is still checked.

Every case copies the example register, adds one hostile file and breaks one
other placement on purpose, then runs ``ap-lint check`` as a user does, with
its address space capped at 1 GiB and a time limit. The run must exit 1,
print the hostile file's exact error line and the other placement's error,
and never a traceback; and no code in the file may run.

Unreadable files: the tests run as root, for whom ``chmod 000`` does not stop
reading. A folder named like a record stands in for a file that cannot be read
(through the CLI), and a patched ``Path.open`` raising PermissionError checks
the message for a file without read permission (in process).
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import pytest

from ap_lint.load.register import SourceFile, read_source
from tests.conftest import cli_environment, keep_pack_memo, seeded_cache_folder

pytestmark = pytest.mark.slow  # each runs ap-lint as a process of its own, under resource limits

TODAY = "2026-11-28"
HOSTILE = "records/placements/oakfield/oakfield-2026-099.yaml"
OTHER = "records/placements/riverside/riverside-2026-001.yaml"
OTHER_ERROR = f"{OTHER}:47:9: error [schema] Write one of: planned, active, completed, ended-early, withdrawn."
MEMORY_LIMIT = 1 << 30
TIME_LIMIT = 30.0
DEEP = ("The file nests more than 64 levels deep here. Records are a few levels deep; check the indentation and "
        "brackets.")


def alias_bomb() -> bytes:
    lines = [b"id: oakfield-2026-099", b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [b"a%d: &a%d [%s]" % (i, i, b", ".join([b"*a%d" % (i - 1)] * 10)) for i in range(1, 10)]
    return b"\n".join(lines) + b"\n"


#: case -> (file bytes, the exact error line for the hostile file, relative to the register root)
CASES: dict[str, tuple[bytes, str]] = {
    "alias bomb": (alias_bomb(), f"{HOSTILE}:1:1: error [yaml-alias-limit] Aliases (*name) expand this file past "
                                 "100,000 values. Write the values out instead of nesting aliases."),
    "very large file": (b"id: oakfield-2026-099\nrationale: " + b"x" * (8 * 1024 * 1024) + b"\n",
                        f"{HOSTILE}:1:1: error [file-too-large] This file is larger than 1,048,576 bytes, the most a "
                        "record may be. Remove what does not belong in it."),
    "binary file": (bytes(range(256)) * 64,
                    f"{HOSTILE}:1:1: error [file-binary] This is a binary file, not a YAML record. Remove it from "
                    "records/."),
    "not UTF-8": ("id: oakfield-2026-099\nrationale: Café\n".encode("latin-1"),
                  f"{HOSTILE}:2:15: error [file-encoding] This file is not UTF-8 (byte 0xe9). Save it as UTF-8 in "
                  "your editor."),
    "empty file": (b"", f"{HOSTILE}:1:1: error [file-empty] This file is empty. Write the record, or delete the file."),
    "several documents": (b"id: oakfield-2026-099\n---\nid: oakfield-2026-100\n",
                          f"{HOSTILE}:2:1: error [yaml-multiple-documents] A file holds one record: remove the '---' "
                          "and what follows, or move it to a file of its own."),
    "python tag": (b"id: oakfield-2026-099\nrationale: !!python/object/apply:os.system ['touch PWNED']\n",
                   f"{HOSTILE}:2:12: error [yaml-tag] The tag 'tag:yaml.org,2002:python/object/apply:os.system' is "
                   "not allowed: records hold plain text, numbers, dates, lists and mappings. Remove the tag."),
    "very deep nesting": (b"id: oakfield-2026-099\nrationale: " + b"[" * 200_000 + b"]" * 200_000 + b"\n",
                          f"{HOSTILE}:2:75: error [yaml-too-deep] {DEEP}"),
    "tabs": (b"id: oakfield-2026-099\npupil:\n\tref: CRST-P-10999\n",
             f"{HOSTILE}:3:1: error [yaml-syntax] This is not valid YAML: found character that cannot start any "
             "token. A tab is used on this line; YAML indents with spaces only."),
    "thousands of duplicate keys": (b"id: oakfield-2026-099\n" + b"".join(b"rationale: r%d\n" % i for i in range(20_000)),
                                    f"{HOSTILE}:3:1: error [yaml-duplicate-key] The key 'rationale' appears twice in "
                                    "this mapping (first on line 2). YAML keeps only the last one; delete or merge the "
                                    "duplicate."),
}


def run_check(root: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``ap-lint check`` as a user runs it, with at most 1 GiB of address space (``env``: extra variables).

    Unless ``env`` names one, its cache folder (beside the register) starts with the session's pack memo, as a
    user's does after their first run, and no check results: the hostile file is read and checked cold.
    """
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    cache = None
    if "AP_LINT_CACHE_DIR" not in env:
        cache = seeded_cache_folder(Path(tempfile.mkdtemp(prefix="cache-", dir=root.parent)))
        env = {**env, "AP_LINT_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ap_lint", "check", "--today", TODAY, str(root)],
                          cwd=root, env=cli_environment(**env), capture_output=True, text=True, timeout=120,
                          preexec_fn=limit_memory, check=False)
    seconds = time.perf_counter() - start
    if cache is not None:
        keep_pack_memo(cache)
    return done, seconds


@pytest.fixture
def broken_register(register_copy: Path) -> Path:
    """The example register with one other placement broken on purpose (an unknown status)."""
    other = register_copy / OTHER
    text = other.read_text("utf-8")
    assert text.splitlines()[46] == "status: active"
    other.write_text(text.replace("\nstatus: active\n", "\nstatus: paused\n"), "utf-8")
    return register_copy


def assert_reported(root: Path, *expected: str) -> list[str]:
    done, seconds = run_check(root)
    lines = done.stdout.splitlines()
    for line in expected:
        assert line in lines, f"missing: {line}\ngot:\n{done.stdout[:3000]}\n{done.stderr[:2000]}"
    assert OTHER_ERROR in lines, "the rest of the register must still be checked"
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr == ""
    assert seconds < TIME_LIMIT
    return lines


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_file_is_one_clear_error_and_the_rest_is_checked(case: str, broken_register: Path) -> None:
    content, expected = CASES[case]
    hostile = broken_register / HOSTILE
    hostile.write_bytes(content)
    lines = assert_reported(broken_register, expected)
    rule = expected.split("[", 1)[1].split("]", 1)[0]
    assert len([line for line in lines if line.startswith(HOSTILE) and f"[{rule}]" in line]) <= 6
    assert not (broken_register / "PWNED").exists()


def test_thousands_of_duplicate_keys_are_counted_in_one_more_line(broken_register: Path) -> None:
    (broken_register / HOSTILE).write_bytes(CASES["thousands of duplicate keys"][0])
    lines = assert_reported(broken_register, f"{HOSTILE}:8:1: error [yaml-duplicate-key] 19,994 more problems like "
                                             "the ones above from here on, not listed one by one. Fix them all, then "
                                             "check again.")
    assert len([line for line in lines if line.startswith(HOSTILE) and "[yaml-duplicate-key]" in line]) == 6


def test_link_to_a_file_outside_the_register(broken_register: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text("id: oakfield-2026-099\nrationale: not a record of this register\n", "utf-8")
    (broken_register / HOSTILE).symlink_to(secret)
    assert_reported(broken_register, f"{HOSTILE}:1:1: error [file-link-outside] This file is a link to somewhere "
                                     "outside the register; it was not read. Replace the link with the record itself.")


def test_link_to_a_folder_outside_the_register(broken_register: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "oakfield-2026-099.yaml").write_text("id: oakfield-2026-099\n", "utf-8")
    (broken_register / "records" / "placements" / "elsewhere").symlink_to(outside, target_is_directory=True)
    lines = assert_reported(broken_register,
                            "records/placements/elsewhere:1:1: error [file-link-outside] This file is a link to "
                            "somewhere outside the register; it was not read. Replace the link with the record itself.")
    inside = [line for line in lines if line.startswith("records/placements/elsewhere/")]
    assert all("[file-link-outside]" in line for line in inside), "nothing behind the link is read"


def test_link_that_leads_nowhere(broken_register: Path) -> None:
    (broken_register / HOSTILE).symlink_to(broken_register / "no-such-file.yaml")
    assert_reported(broken_register, f"{HOSTILE}:1:1: error [file-unreadable] This file is a link that leads "
                                     "nowhere; it was not read. Replace the link with the record itself, or delete it.")


def test_folder_named_like_a_record_stands_for_an_unreadable_file(broken_register: Path) -> None:
    (broken_register / HOSTILE).mkdir()
    assert_reported(broken_register, f"{HOSTILE}:1:1: error [file-unreadable] This is a folder named like a record "
                                     "file, so it cannot be read as one. Rename or remove the folder.")


def test_named_pipe_is_not_read(broken_register: Path) -> None:
    os.mkfifo(broken_register / HOSTILE)  # reading it would block for ever
    assert_reported(broken_register, f"{HOSTILE}:1:1: error [file-unreadable] This is not a plain file (it may be a "
                                     "pipe or a device), so it was not read. Replace it with the record file.")


def test_file_without_read_permission(register_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = register_copy / "records" / "placements" / "oakfield" / "oakfield-2026-001.yaml"
    real_open: Callable[..., object] = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    record = read_source(SourceFile("placement", path, HOSTILE), 1 << 20)
    assert [(p.rule, p.line, p.column, p.message) for p in record.problems] == [
        ("file-unreadable", 1, 1, "This file cannot be read (Permission denied). Check its permissions.")]
    assert record.data is None and not record.valid


def snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    """Every entry under ``folder``: its modification time and, for files, a hash of its bytes."""
    found: dict[str, tuple[int, str]] = {}
    for path in sorted(folder.rglob("*")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        found[path.relative_to(folder).as_posix()] = (path.lstat().st_mtime_ns, digest)
    return found


def test_check_never_writes_to_the_register(broken_register: Path) -> None:
    (broken_register / HOSTILE).write_bytes(CASES["python tag"][0])
    before = snapshot(broken_register / "records")
    for _ in range(2):  # a cold run, then one that reads the cache
        done = subprocess.run([sys.executable, "-m", "ap_lint", "check", "--today", TODAY, str(broken_register)],
                              cwd=broken_register, env=cli_environment(), capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 1 and OTHER_ERROR in done.stdout.splitlines()
    assert snapshot(broken_register / "records") == before
    # beside records/, only the cache may appear (git-ignored, written atomically)
    assert {p.name for p in broken_register.iterdir()} - {".ap-lint-cache"} == {"records"}


def test_a_warm_cache_is_read_within_the_memory_cap(broken_register: Path, tmp_path: Path) -> None:
    """A user whose runs are capped (ulimit -v) checks again with the cache of an earlier run."""
    cache = tmp_path / "cache"
    warm = subprocess.run([sys.executable, "-m", "ap_lint", "check", "--today", TODAY, str(broken_register)],
                          cwd=broken_register, env=cli_environment(AP_LINT_CACHE_DIR=str(cache)),
                          capture_output=True, text=True, timeout=120, check=False)
    assert warm.returncode == 1 and (cache / "check.json").is_file() and (cache / "pack.json").is_file()
    done, _ = run_check(broken_register, AP_LINT_CACHE_DIR=str(cache))
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == warm.stdout


def test_a_huge_but_well_formed_record_is_checked_without_an_internal_error(broken_register: Path) -> None:
    # 20,000 sessions: past the CEL runtime's iteration budget for one program, within the file size limit
    source = (broken_register / "records/placements/oakfield/oakfield-2026-001.yaml").read_text("utf-8")
    sessions = '  - day: monday\n    start: "09:00"\n    end: "10:00"\n' * 20_000
    (broken_register / "records/placements/oakfield/oakfield-2026-001.yaml").write_text(
        source.replace("timetable:\n", "timetable:\n" + sessions, 1), "utf-8")
    done, seconds = run_check(broken_register)
    assert OTHER_ERROR in done.stdout.splitlines()
    assert done.returncode == 1 and done.stderr == ""
    assert "Traceback" not in done.stdout and "internal error" not in done.stdout
    assert seconds < TIME_LIMIT


def test_thousands_of_unknown_fields_are_counted_not_listed(broken_register: Path) -> None:
    fields = b"".join(b"field%04d: 1\n" % i for i in range(5000))
    (broken_register / HOSTILE).write_bytes(b"id: oakfield-2026-099\n" + fields)
    lines = assert_reported(
        broken_register,
        f"{HOSTILE}:2:1: error [schema] 'field0000' is not a placement field. Check its spelling, or remove it.",
        f"{HOSTILE}:20:1: error [schema] 4,992 more problems like these in this record, not listed "
        "one by one. Fix them all, then check again.")
    # 20 structural findings are listed (the 12 required fields missing count among them), then one line counts the rest
    assert len([line for line in lines if line.startswith(f"{HOSTILE}:") and " [schema] " in line]) == 21
