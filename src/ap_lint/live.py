"""A register kept in memory and checked again as its files change, with unsaved texts over the disk's.

``LiveRegister`` loads the pack and every record once; ``check(overrides)`` gives
the findings ``ap-lint check`` would give, where ``overrides`` maps a file (its
path relative to the register root) to the text an editor holds for it. Each
check re-reads only the overridden files and re-evaluates only the records whose
context (their content and their related records') changed since the last check,
so a keystroke in a large register costs little. Generic: nothing here knows what
the records are about.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Mapping

from ap_lint.api import today_in_time_zone
from ap_lint.cache import CACHE_DIR_NAME, CheckCache
from ap_lint.checker import Checker, CheckResult
from ap_lint.evaluate.engine import EvaluationContext, Evaluator, compiler_scan_filters, scans_may_match
from ap_lint.evaluate.locate import read_text
from ap_lint.findings import Finding
from ap_lint.git.history import check_history
from ap_lint.load.loader import MAX_FILE_BYTES
from ap_lint.load.register import Record, Register, SourceFile, discover, record_from_bytes, value_at


class _IncrementalEvaluator(Evaluator):
    """An evaluator that remembers each record's context key, and works it out again only for records
    that changed or whose relations may reach a record that changed (``stale``; None: every record)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stale: set[str] | None = None
        self._keys: dict[str, tuple[Record, str, str]] = {}  # file -> (record, salt, key)

    def context_key(self, register: Register, record: Record, salt: str) -> str:
        known = self._keys.get(record.file)
        if (known is not None and known[0] is record and known[1] == salt and self.stale is not None
                and record.file not in self.stale):
            return known[2]
        key = super().context_key(register, record, salt)
        self._keys[record.file] = (record, salt, key)
        return key


class LiveRegister:
    """One register, its pack and its records in memory, for repeated checks with unsaved texts."""

    def __init__(self, root: Path, *, today: str | None = None, pack_dir: Path | None = None,
                 cache_dir: Path | None = None, since: str | None = None, jobs: int = 1) -> None:
        """``cache_dir``: where ``ap-lint check`` keeps its cache, read (never written) to load faster;
        ``since``: the base revision of the history checks (default: the whole history)."""
        self.root = root
        self.fixed_today = today
        self.since = since
        self.jobs = jobs
        self.checker = Checker.for_root(root, pack_dir)
        self.cache_dir = cache_dir
        self._filters = compiler_scan_filters(self.checker.compiler, self.checker.rules)
        self._memo = CheckCache(root / CACHE_DIR_NAME, "")  # in memory only: never saved
        self._loaded: dict[tuple[str, str], Record] = {}  # (file, digest of the text) -> record
        self._evaluator: tuple[str, _IncrementalEvaluator] | None = None
        self._last: dict[str, Record] = {}  # the records of the last check, by file
        self.sources: dict[str, SourceFile] = {}
        self.disk: dict[str, Record] = {}
        self.problems: list[Finding] = []
        self.history: list[Finding] = []
        self.reload()

    @property
    def today(self) -> str:
        """The date rules are judged on: the one given, else AP_LINT_TODAY, else today's (asked each time)."""
        return self.fixed_today or os.environ.get("AP_LINT_TODAY") or today_in_time_zone()

    def reload(self) -> None:
        """Read the register from disk again (files added, removed or saved), and its git history checks."""
        sources, problems = discover(self.root, self.checker.pack)
        cache = (CheckCache.open(self.cache_dir, self.checker.pack.digest, MAX_FILE_BYTES)
                 if self.cache_dir is not None else None)
        records = self.checker.load(sources, self.checker.run_context(self.today, self.jobs, cache))
        self.sources = {s.display: s for s in sources}
        self.disk = {r.file: r for r in records}
        self.problems = problems
        self.history = check_history(self.root, self.checker.compiler, self.checker.rules, records, self.today,
                                     self.since).findings

    def reload_file(self, file: str) -> None:
        """Read one file from disk again (after it was saved)."""
        source = self.sources.get(file) or self._source_for(file)
        if source is None:
            return
        text = read_text(str(source.path))
        if text is None:
            self.disk.pop(file, None)
            return
        self.sources[file] = source
        self.disk[file] = self._record(source, text)

    def kind_of(self, file: str) -> str | None:
        """The kind of record ``file`` holds, or None if it is not a record of this register."""
        return self.checker.pack.kind_of(file)

    def check(self, overrides: Mapping[str, str] | None = None) -> CheckResult:
        """The findings of the whole register, with ``overrides`` (file -> text) in place of the files on disk."""
        overrides = overrides or {}
        records = dict(self.disk)
        for file, text in overrides.items():
            source = self.sources.get(file) or self._source_for(file)
            if source is not None:
                records[file] = self._record(source, text)
        texts = dict(overrides)

        def text_of(file: str) -> str | None:
            if file in texts:
                return texts[file]
            source = self.sources.get(file)
            return read_text(str(source.path)) if source is not None else None

        today = self.today
        if self._evaluator is None or self._evaluator[0] != today:
            self._evaluator = (today, _IncrementalEvaluator(self.checker.compiler, self.checker.rules, EvaluationContext(
                today=today, settings=self.checker.pack.settings, rule_ids=[r.id for r in self.checker.rules])))
        evaluator = self._evaluator[1]
        evaluator.stale = self._stale(records)
        self._last = records
        return self.checker.evaluate(self.root, list(records.values()), self.problems + self.history, text_of,
                                     self.checker.run_context(today, 1, self._memo), evaluator=evaluator)

    def _stale(self, records: dict[str, Record]) -> set[str]:
        """The files whose context may differ from the last check: the changed ones, and those whose
        relations name a changed record (as it was, or as it is) or share a grouped value with one."""
        previous = self._last
        changed = [r for file, r in records.items() if previous.get(file) is not r]
        changed += [r for file, r in previous.items() if records.get(file) is not r]
        stale = {r.file for r in changed}
        if not changed:
            return stale
        relations = self.checker.pack.relations
        ids: dict[str, set[Any]] = {}
        grouped: dict[tuple[str, Any], set[Any]] = {}
        for kind_relations in relations.values():
            for relation in kind_relations:
                for record in changed:
                    if record.data is None or (relation.target not in ("*", record.kind)):
                        continue
                    if relation.field is None:
                        ids.setdefault(relation.target, set()).add(record.id)
                    else:
                        value = value_at(record.data, relation.field)
                        if isinstance(value, (str, int, float, bool)):
                            grouped.setdefault((relation.target, relation.field), set()).add(value)
        for file, record in records.items():
            if record.data is None or file in stale:
                continue
            for relation in relations.get(record.kind, []):
                value = value_at(record.data, relation.by)
                if not isinstance(value, (str, int, float, bool)):
                    continue
                if relation.field is None:
                    reached = ids.get(relation.target, set()) | (ids.get("*", set()) if relation.target != "*" else set())
                    if value in reached or value in ids.get("*", set()):
                        stale.add(file)
                        break
                elif value in grouped.get((relation.target, relation.field), ()):
                    stale.add(file)
                    break
        return stale

    def _source_for(self, file: str) -> SourceFile | None:
        kind = self.kind_of(file)
        if kind is None:
            return None
        spec = self.checker.pack.kinds[kind]
        return SourceFile(kind, self.root / file, file, spec.front_matter)

    def _record(self, source: SourceFile, text: str) -> Record:
        raw = text.encode("utf-8")
        key = (source.display, hashlib.blake2b(raw, digest_size=16).hexdigest())
        record = self._loaded.get(key)
        if record is None:
            record = record_from_bytes(source, raw, MAX_FILE_BYTES)
            self.checker.validate(record)
            if record.data is not None:
                record.scan_hit = scans_may_match(self._filters.get(record.kind), record.data,
                                                  (comment[2] for comment in record.comments))
            if len(self._loaded) > 256:
                self._loaded.clear()
            self._loaded[key] = record
        return record
