"""The check: discover → load → validate → index → evaluate → waive → locate.

``run_check`` returns a ``CheckResult``; it never prints. Each stage is its own
module; this one only wires them together.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ap_lint.cache import CheckCache, cache_problem, finding_to_json
from ap_lint.context import RunContext
from ap_lint.evaluate.engine import EvaluationContext, Evaluator, compiler_scan_filters, scans_may_match
from ap_lint.evaluate.fieldcheck import refuse_unknown_fields
from ap_lint.findings import Finding
from ap_lint.memo import PackMemo
from ap_lint.git.history import check_history, history_key
from ap_lint.git.scope import Scope, scope_to_change
from ap_lint.load.loader import MAX_FILE_BYTES
from ap_lint.pack import CHECKS_DIR, SETTINGS_FILE, Pack, find_pack, load_pack
from ap_lint.parallel import MIN_PARALLEL_ITEMS, default_jobs, map_chunks
from ap_lint.load.register import Record, Register, SourceFile, discover, read_source, value_at
from ap_lint.evaluate.locate import locate_findings, read_text
from ap_lint.evaluate.rules import Rule, RuleCompiler
from ap_lint.evaluate.textscan import Masker, mask_findings
from ap_lint.evaluate.waivers import apply_waivers
from ap_lint.load.validate import SchemaValidator


@dataclass(frozen=True)
class CheckOptions:
    """What to check and how; the CLI builds this from its options."""

    root: Path
    today: str
    pack_dir: Path | None = None
    since: str | None = None  # base revision of the history checks (default: the whole history)
    max_file_bytes: int = MAX_FILE_BYTES
    jobs: int = field(default_factory=default_jobs)
    cache_dir: Path | None = None
    #: judge the history of these files only (a scoped check reports history findings on its own files only)
    history_paths: frozenset[str] | None = None
    newer: frozenset[str] = frozenset()  # files added by the change checked, or not yet committed
    #: fewer records of a kind than this are evaluated without forking workers
    min_parallel_items: int = MIN_PARALLEL_ITEMS
    #: report only the findings that concern this change (``git.scope.change_for``); None: every finding
    change: Scope | None = None


@dataclass
class CheckResult:
    """Everything a reporter needs: located, sorted findings and what was checked."""

    root: Path
    today: str
    findings: list[Finding]
    rules: list[Rule]
    pack: Pack
    records: list[Record] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the files a scoped run (--since, --staged, FILEs) reports on; None for the whole register
    scope: frozenset[str] | None = None
    #: how many findings the scope left out
    not_shown: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error" and not f.is_waived]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning" and not f.is_waived]

    @property
    def waived(self) -> list[Finding]:
        return [f for f in self.findings if f.is_waived]

    def counts_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.records:
            counts[record.kind] = counts.get(record.kind, 0) + 1
        return counts


def _pack_state(pack_root: Path, files: Sequence[str]) -> str:
    """The digest of a pack's files as they are now, and of which rule files and settings it has: the same
    digest, the same pack (``""`` when a file cannot be read)."""
    digest = hashlib.blake2b(digest_size=16)
    # every file under rules/checks/, not only the rule files: one that is not read is refused when the pack loads
    rule_files = sorted(path.relative_to(pack_root).as_posix() for path in (pack_root / CHECKS_DIR).rglob("*"))
    digest.update("\0".join(rule_files).encode() + b"\1" + str((pack_root / SETTINGS_FILE).is_file()).encode())
    for name in files:
        try:
            digest.update(name.encode() + b"\0" + (pack_root / name).read_bytes() + b"\0")
        except OSError:
            return ""
    return digest.hexdigest()


#: checkers made in this process, by pack folder, with the state of the pack's files then: a process that
#: checks again and again (the editor's server, a service calling ap_lint.check, the tests) compiles an
#: unchanged pack once. A checker is shared: treat it, and the pack of its results, as read-only.
_LOADED: dict[Path, tuple[str, Path, "Checker"]] = {}


def forget_loaded_packs() -> None:
    """Make the next ``Checker.for_root`` of every pack load and compile it afresh."""
    _LOADED.clear()


@dataclass
class Checker:
    """A loaded pack, ready to check registers."""

    pack: Pack
    rules: list[Rule]
    compiler: RuleCompiler
    validator: SchemaValidator

    @classmethod
    def for_root(cls, root: Path, pack_dir: Path | None = None, cache_dir: Path | None = None) -> "Checker":
        """The checker of the pack for the register at ``root`` (``pack_dir``, else its own, else the installed
        one). With ``cache_dir`` (a cache folder the register may use), what loading and compiling these very
        pack files gave before is taken from there (``memo``)."""
        pack_root = find_pack(root, pack_dir).resolve()
        loaded = _LOADED.get(pack_root)
        if loaded is not None and loaded[0] == _pack_state(pack_root, loaded[2].pack.files):
            checker = loaded[2]
            checker.compiler.memo = None  # everything is compiled in memory; no other run's folder is written
            return checker
        memo = None
        if cache_dir is not None and cache_problem(cache_dir, root) is None:
            memo = PackMemo.open(cache_dir)
        pack = load_pack(pack_root, memo)
        checker = cls.from_pack(pack, memo)
        if memo is not None:
            memo.save()
        _LOADED[pack_root] = (_pack_state(pack_root, pack.files), pack_root, checker)
        return checker

    @classmethod
    def from_pack(cls, pack: Pack, memo: PackMemo | None = None) -> "Checker":
        compiler = RuleCompiler(pack, memo)
        rules = compiler.compile_all()
        if memo is None or not memo.knows("fields", pack.digest):  # these very pack files passed before
            refuse_unknown_fields(pack)
            if memo is not None:
                memo.remember("fields", pack.digest)
        return cls(pack, rules, compiler, SchemaValidator(pack.schemas))

    def run_context(self, today: str, jobs: int = 1, cache: CheckCache | None = None,
                    max_file_bytes: int = MAX_FILE_BYTES, min_parallel_items: int = MIN_PARALLEL_ITEMS) -> RunContext:
        """The context of one run of this pack (its settings) on ``today``."""
        return RunContext(today=today, settings=self.pack.settings, jobs=jobs, cache=cache,
                          max_file_bytes=max_file_bytes, min_parallel_items=min_parallel_items)

    def load(self, sources: Sequence[SourceFile], run: RunContext | None = None) -> list[Record]:
        """Read, load and validate the structure of every source file (in ``run.jobs`` processes).

        Files whose content the run's cache has seen are taken from it; only the others are parsed.
        """
        run = run if run is not None else self.run_context("")
        max_bytes, jobs, cache = run.max_file_bytes, run.jobs, run.cache

        def load_chunk(chunk: Sequence[SourceFile]) -> list[Record]:
            filters = compiler_scan_filters(self.compiler, self.rules)  # made below, before any fork
            records = []
            for source in chunk:
                record = read_source(source, max_bytes)
                self.validate(record)
                if record.data is not None:
                    # Answer "could any text scan match?" while the text is in hand: later, in a forked
                    # worker, reading every text value again would copy the memory that holds it.
                    record.scan_hit = scans_may_match(filters.get(record.kind), record.data,
                                                      (comment[2] for comment in record.comments))
                records.append(record)
            return records

        if cache is None:
            compiler_scan_filters(self.compiler, self.rules)
            return map_chunks(load_chunk, sources, jobs, run.min_parallel_items)
        cached = [cache.lookup(source, max_bytes) for source in sources]
        to_load = [s for s, r in zip(sources, cached) if r is None]
        if to_load:
            compiler_scan_filters(self.compiler, self.rules)  # only a file read afresh is scanned
        fresh = iter(map_chunks(load_chunk, to_load, jobs, run.min_parallel_items))
        return [record if record is not None else next(fresh) for record in cached]

    def validate(self, record: Record) -> None:
        if record.problems:
            record.problems = [self.validator.explain_loaded(record.kind, p) for p in record.problems]
        if record.data is None:
            return
        kind = self.pack.kinds[record.kind]
        if isinstance(record.data.get(kind.id_field), str):
            record.id = record.data[kind.id_field]
        found = self.validator.findings(record.kind, record.file, record.id, record.data)
        if found:
            record.valid = False
            misfiled = self._misfiled(record) if len(found) > 1 else None
            record.problems.extend([misfiled] if misfiled is not None else found)

    def _misfiled(self, record: Record) -> Finding | None:
        """One finding for a record saved among another kind's files: it breaks its own kind's schema in several
        places and matches exactly one other kind's schema (a field per error would hide the one mistake)."""
        own = self.pack.kinds[record.kind]
        fits = [spec for name, spec in self.pack.kinds.items()
                if name != record.kind and spec.schema is not None and not spec.from_pack
                and not self.validator.findings(name, record.file, record.id, record.data)]
        if len(fits) != 1:
            return None
        from ap_lint.scaffold import ScaffoldError, record_path  # only for a record that failed its schema

        spec = fits[0]
        folder = value_at(record.data, (spec.folder_field,)) if spec.folder_field else None
        stem = record.file.rpartition("/")[2].rpartition(".")[0]
        try:
            target = record_path(spec, stem, folder if isinstance(folder, str) else None)
        except ScaffoldError:  # its folder's name is not in the record: say where such records live
            target = spec.files
        return Finding(file=record.file, line=1, column=1, rule="file-misplaced", severity="error", record=record.id,
                       message=f"This file holds a {spec.title or spec.name} record (it matches the "
                               f"{spec.title or spec.name} schema, not the {own.title or own.name} one), but it is "
                               f"saved among the {own.title or own.name} records ({own.files}). Move it to "
                               f"{target}.")

    def check(self, options: CheckOptions) -> CheckResult:
        """Check the register: every finding, or with ``options.change`` those that concern the change."""
        result, run, problems = self._check_all(options)
        if options.change is not None:
            # what the register held before the change is evaluated with the same cache: only records whose
            # context the change touched are evaluated again
            result, result.not_shown = scope_to_change(self, options, result, options.change, run, problems)
            result.scope = options.change.files
        if self.compiler.memo is not None:
            self.compiler.memo.save()  # what the run compiled (a kind's screen) is kept for the next
        return result

    def _check_all(self, options: CheckOptions) -> tuple[CheckResult, RunContext, list[Finding]]:
        sources, problems = discover(options.root, self.pack)
        cache, cache_note = None, None
        if options.cache_dir is not None:
            refused = cache_problem(options.cache_dir, options.root)
            if refused is None:
                cache = CheckCache.open(options.cache_dir, self.pack.digest, options.max_file_bytes)
            else:
                cache_note = f"The cache folder {options.cache_dir} was not used: {refused}."
        run = self.run_context(options.today, options.jobs, cache, options.max_file_bytes, options.min_parallel_items)
        records = self.load(sources, run)
        if cache is not None:
            cache.forget_records()  # every file has been looked up
        for record in records:
            record.newer = record.file in options.newer
        # Only files with findings are read again (to locate them): keep their paths as text, not Path objects.
        paths = {s.display: str(s.path) for s in sources}
        del sources
        key = ""
        if cache is not None:
            # Keyed by every file's content, the day, the discovery problems, which files are newer, and what
            # the history pass depends on (the commit checked out, ...): an unchanged register is served whole,
            # history findings included, without reading its history.
            history_at = history_key(options.root, self.rules, options.since, options.history_paths)
            key = cache.result_key_for(records, json.dumps([run.today, [finding_to_json(f) for f in problems],
                                                            sorted(options.newer), history_at]))
            if cache.findings is not None and cache.result_key == key:
                result = CheckResult(options.root, run.today, cache.findings, self.rules, self.pack, records)
                result.notes.extend(cache.notes)
                return result, run, problems
        history = check_history(options.root, self.compiler, self.rules, records, run.today, options.since,
                                paths=options.history_paths, cache_dir=options.cache_dir if cache is not None else None,
                                max_bytes=options.max_file_bytes)
        extra = problems + history.findings
        result = self.evaluate(options.root, records, extra, lambda file: read_text(paths.get(file)), run)
        result.notes.extend(history.notes)
        if cache_note is not None:
            result.notes.append(cache_note)
        if cache is not None:
            cache.save(records, key, result.findings, history.notes)
        return result, run, problems

    def evaluate(self, root: Path, records: list[Record], problems: list[Finding],
                 text_of: Callable[[str], str | None], run: RunContext,
                 evaluator: Evaluator | None = None) -> CheckResult:
        """Index the loaded records, evaluate every rule, apply waivers and locate the findings.

        With the run's cache, a record whose context (its content and its related records') is unchanged
        keeps its findings from the last run; only the others are evaluated. ``evaluator`` reuses one
        made for ``run.today`` by a caller that evaluates again and again (an editor's server).
        """
        today, cache = run.today, run.cache
        register = Register(self.pack, records)
        findings = list(problems)
        findings.extend(self.missing_kinds(register))
        for record in records:
            findings.extend(dataclasses.replace(p, record=record.id) for p in record.problems)
        evaluator = evaluator or self.evaluator(today)
        offsets = {r.file: r.line_offset for r in records}
        todo = register.records
        reused: list[Finding] = []
        keys: dict[str, str] = {}
        salt = ""
        if cache is not None:
            salt = today + "".join(f"|{r.file}:{r.digest}" for r in register.records
                                   if self.pack.kinds[r.kind].single)
        # With nothing to reuse (a first run), each record's context key is made where it is evaluated: in the
        # workers for most records, rather than all of them here before any work is shared out.
        keyed_later = cache is not None and not cache.evaluations
        if cache is not None and not keyed_later:
            todo = []
            for record in register.records:
                key = keys[record.file] = evaluator.context_key(register, record, salt)
                previous = cache.evaluations.get(record.file)
                if previous is not None and previous[0] == key:
                    reused.extend(previous[1])
                else:
                    todo.append(record)

        def evaluate(chunk: Sequence[Record]) -> list[Finding | tuple[str, str]]:
            found: list[Finding | tuple[str, str]] = list(evaluator.evaluate(register, chunk))
            if keyed_later:
                found.extend((record.file, evaluator.context_key(register, record, salt)) for record in chunk)
            return found
        # Kinds with few records (whose contexts often list many others) are evaluated here: a worker that
        # read every record through them would copy the whole register's memory pages. They come after the
        # workers, which are then forked from this process before it grows by evaluating them.
        sizes: dict[str, int] = {}
        for record in todo:
            sizes[record.kind] = sizes.get(record.kind, 0) + 1
        few = [r for r in todo if sizes[r.kind] < run.min_parallel_items]
        many = [r for r in todo if sizes[r.kind] >= run.min_parallel_items]
        register.build_indexes()
        evaluator.scan_context(register)  # read from every record once, here, not in every worker
        spread = map_chunks(evaluate, many, run.jobs, run.min_parallel_items)
        results = evaluate(few) + spread
        del spread
        found = [result for result in results if isinstance(result, Finding)]
        if keyed_later:
            made = dict(result for result in results if isinstance(result, tuple))
            keys = {record.file: made[record.file] for record in register.records}
        fresh = locate_findings(found, text_of, offsets)
        if cache is not None:
            by_file: dict[str, list[Finding]] = {record.file: [] for record in todo}
            for finding in fresh:
                by_file.setdefault(finding.file, []).append(finding)
            cache.evaluations = {file: (key, by_file[file] if file in by_file else cache.evaluations[file][1])
                                 for file, key in keys.items()}
        located = locate_findings(findings, text_of, offsets) + reused + fresh
        located = apply_waivers(located, register, self.pack, self.rules, today)
        located = [f for f in located if f.line] + locate_findings([f for f in located if not f.line], text_of, offsets)
        # One masking path: whatever a finding quotes (a value, a field's name) passes the pack's text scans.
        located = mask_findings(located, Masker(self.rules, evaluator.scan_context(register), heuristics=False))
        located.sort(key=lambda f: (f.file, f.line, f.column, f.rule, f.message))
        return CheckResult(root, today, located, self.rules, self.pack, records)

    def evaluator(self, today: str) -> Evaluator:
        """An evaluator of this pack's rules on ``today``."""
        return Evaluator(self.compiler, self.rules, EvaluationContext(
            today=today, settings=self.pack.settings, rule_ids=[r.id for r in self.rules]))

    def missing_kinds(self, register: Register) -> list[Finding]:
        """A finding for each required single record (e.g. the one file every register needs) that is missing."""
        found = []
        for kind in self.pack.kinds.values():
            if kind.required and kind.single and not register.by_kind.get(kind.name) and not kind.from_pack:
                found.append(Finding(file=kind.files, line=1, column=1, rule="record-missing", severity="error",
                                     message=f"The register has no {kind.title} record: create {kind.files}."))
        return found
