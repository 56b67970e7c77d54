"""The check: discover → load → validate → index → evaluate → waive → locate.

``run_check`` returns a ``CheckResult``; it never prints. Each stage is its own
module; this one only wires them together.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ap_lint.cache import CheckCache, finding_to_json
from ap_lint.engine import EvaluationContext, Evaluator, scan_filters, scans_may_match
from ap_lint.findings import Finding, parse_path
from ap_lint.history import check_history
from ap_lint.loader import MAX_FILE_BYTES, compose_positions, locate
from ap_lint.pack import Pack, find_pack, load_pack
from ap_lint.parallel import MIN_PARALLEL_ITEMS, default_jobs, map_chunks
from ap_lint.register import Record, Register, SourceFile, discover, read_source, value_at
from ap_lint.rules import Rule, RuleCompiler
from ap_lint.validate import SchemaValidator


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


@dataclass
class Checker:
    """A loaded pack, ready to check registers."""

    pack: Pack
    rules: list[Rule]
    compiler: RuleCompiler
    validator: SchemaValidator

    @classmethod
    def for_root(cls, root: Path, pack_dir: Path | None = None) -> "Checker":
        pack = load_pack(find_pack(root, pack_dir))
        return cls.from_pack(pack)

    @classmethod
    def from_pack(cls, pack: Pack) -> "Checker":
        compiler = RuleCompiler(pack)
        return cls(pack, compiler.compile_all(), compiler, SchemaValidator(pack.schemas))

    def load(self, sources: Sequence[SourceFile], max_bytes: int = MAX_FILE_BYTES, jobs: int = 1,
             cache: CheckCache | None = None) -> list[Record]:
        """Read, load and validate the structure of every source file (in ``jobs`` processes).

        Files whose content the cache has seen are taken from it; only the others are parsed.
        """
        filters = scan_filters(self.rules)

        def load_chunk(chunk: Sequence[SourceFile]) -> list[Record]:
            records = []
            for source in chunk:
                record = read_source(source, max_bytes)
                self.validate(record)
                if record.data is not None:
                    # Answer "could any text scan match?" while the text is in hand: later, in a forked
                    # worker, reading every text value again would copy the memory that holds it.
                    record.scan_hit = scans_may_match(filters.get(record.kind), record.data)
                records.append(record)
            return records

        if cache is None:
            return map_chunks(load_chunk, sources, jobs)
        cached = [cache.lookup(source, max_bytes) for source in sources]
        fresh = iter(map_chunks(load_chunk, [s for s, r in zip(sources, cached) if r is None], jobs))
        return [record if record is not None else next(fresh) for record in cached]

    def validate(self, record: Record) -> None:
        if record.data is None:
            return
        kind = self.pack.kinds[record.kind]
        if isinstance(record.data.get(kind.id_field), str):
            record.id = record.data[kind.id_field]
        found = self.validator.findings(record.kind, record.file, record.id, record.data)
        if found:
            record.valid = False
            record.problems.extend(found)

    def check(self, options: CheckOptions) -> CheckResult:
        sources, problems = discover(options.root, self.pack)
        cache = (CheckCache.open(options.cache_dir, self.pack.digest, options.max_file_bytes)
                 if options.cache_dir is not None else None)
        records = self.load(sources, options.max_file_bytes, options.jobs, cache)
        # Only files with findings are read again (to locate them): keep their paths as text, not Path objects.
        paths = {s.display: str(s.path) for s in sources}
        del sources
        history = check_history(options.root, self.compiler, self.rules, records, options.today, options.since)
        extra = problems + history.findings
        if cache is not None:
            key = cache.result_key_for(records, json.dumps([options.today, [finding_to_json(f) for f in extra]]))
            if cache.findings is not None and cache.result_key == key:
                result = CheckResult(options.root, options.today, cache.findings, self.rules, self.pack, records)
                result.notes.extend(history.notes)
                return result
        result = self.evaluate(options.root, options.today, records, extra,
                               lambda file: _read_text(paths.get(file)), options.jobs, cache)
        result.notes.extend(history.notes)
        if cache is not None:
            cache.save(records, key, result.findings)
        return result

    def evaluate(self, root: Path, today: str, records: list[Record], problems: list[Finding],
                 text_of: Callable[[str], str | None], jobs: int = 1, cache: CheckCache | None = None) -> CheckResult:
        """Index the loaded records, evaluate every rule, apply waivers and locate the findings.

        With a cache, a record whose context (its content and its related records') is unchanged
        keeps its findings from the last run; only the others are evaluated.
        """
        register = Register(self.pack, records)
        findings = list(problems)
        findings.extend(self._missing_kinds(register))
        for record in records:
            findings.extend(dataclasses.replace(p, record=record.id) for p in record.problems)
        evaluator = Evaluator(self.compiler, self.rules, EvaluationContext(
            today=today, settings=self.pack.settings, rule_ids=[r.id for r in self.rules]))
        offsets = {r.file: r.line_offset for r in records}
        todo = register.records
        reused: list[Finding] = []
        keys: dict[str, str] = {}
        if cache is not None:
            salt = today + "".join(f"|{r.file}:{r.digest}" for r in register.records
                                   if self.pack.kinds[r.kind].single)
            todo = []
            for record in register.records:
                key = keys[record.file] = evaluator.context_key(register, record, salt)
                previous = cache.evaluations.get(record.file)
                if previous is not None and previous[0] == key:
                    reused.extend(previous[1])
                else:
                    todo.append(record)
        # Kinds with few records (whose contexts often list many others) are evaluated here, before any
        # fork: a worker that read every record through them would copy the whole register's memory pages.
        sizes: dict[str, int] = {}
        for record in todo:
            sizes[record.kind] = sizes.get(record.kind, 0) + 1
        few = [r for r in todo if sizes[r.kind] < MIN_PARALLEL_ITEMS]
        many = [r for r in todo if sizes[r.kind] >= MIN_PARALLEL_ITEMS]
        register.build_indexes()
        found = evaluator.evaluate(register, few)
        found += map_chunks(lambda chunk: evaluator.evaluate(register, chunk), many, jobs)
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
        located.sort(key=lambda f: (f.file, f.line, f.column, f.rule, f.message))
        return CheckResult(root, today, located, self.rules, self.pack, records)

    def _missing_kinds(self, register: Register) -> list[Finding]:
        found = []
        for kind in self.pack.kinds.values():
            if kind.required and kind.single and not register.by_kind.get(kind.name) and not kind.from_pack:
                found.append(Finding(file=kind.files, line=1, column=1, rule="record-missing", severity="error",
                                     message=f"The register has no {kind.title} record: create {kind.files}."))
        return found


WAIVER_UNUSED = "waiver-unused"


def apply_waivers(findings: list[Finding], register: Register, pack: Pack, rules: list[Rule],
                  today: str) -> list[Finding]:
    """Turn findings covered by an approved, unexpired waiver into waived notes.

    A waiver with no expiry date stays in force once approved (rules of the pack say when one may leave
    it out). A waiver in force that matches no finding is itself reported, as a warning, so that stale
    exceptions do not sit on file unnoticed.
    """
    spec = pack.waivers
    if spec is None:
        return findings
    active: dict[tuple[Any, Any], Record] = {}
    for waiver in register.by_kind.get(spec.kind, []):
        if not waiver.valid:
            continue
        data = waiver.data
        approved = value_at(data, parse_path(spec.approved_on))
        expires = value_at(data, parse_path(spec.expires_on))
        if isinstance(approved, str) and approved <= today and (expires is None or (
                isinstance(expires, str) and today <= expires)):
            key = (value_at(data, parse_path(spec.rule)), value_at(data, parse_path(spec.record)))
            active[key] = waiver
    if not active:
        return findings
    waivable = {rule.id for rule in rules if rule.waivable}
    used: set[tuple[Any, Any]] = set()
    waived: list[Finding] = []
    for finding in findings:
        key = (finding.rule, finding.record)
        if finding.rule in waivable and key in active:
            used.add(key)
            finding = dataclasses.replace(finding, waived_by=active[key].id)
        waived.append(finding)
    checked = {finding.record for finding in findings} | {record.id for record in register.records if record.valid}
    for key, waiver in active.items():
        if key in used or key[0] not in waivable or key[1] not in checked:
            continue
        waived.append(Finding(
            file=waiver.file, line=0, column=0, rule=WAIVER_UNUSED, severity="warning", record=waiver.id,
            path=parse_path(spec.rule),
            message=f"This waiver of {key[0]} for {key[1]} matches no finding: that rule finds nothing to "
                    "waive on that record today. If the exception is no longer needed, delete this waiver; "
                    "otherwise check its rule and record ids."))
    return waived


def _read_text(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError):
        return None


_KEY_BEFORE_VALUE = re.compile(r"[^\s,\[\]{}#'\"]+[ \t]*:[ \t]*$")


def _already_reported(columns: Sequence[int], line_text: list[str], column: int) -> bool:
    """Whether the loader reported this value (2026-02-30), or its key on the same line (`on:`, read as true).

    Records with loader problems are never evaluated by rules, so such a finding is a structural one (the
    schema's, or a rule the schema names) about a value the user must rewrite anyway.
    """
    text = line_text[0] if line_text else ""
    return any(c == column or (c < column and _KEY_BEFORE_VALUE.match(text, c - 1, column - 1))
               for c in columns)


def locate_findings(findings: list[Finding], text_of: Callable[[str], str | None],
                    offsets: dict[str, int]) -> list[Finding]:
    """Give every unlocated finding its line and column, reading only the files that have findings."""
    by_file: dict[str, list[Finding]] = {}
    located: list[Finding] = []
    for finding in findings:
        (by_file.setdefault(finding.file, []) if finding.line == 0 else located).append(finding)
    taken: dict[tuple[str, int], list[int]] = {}
    for f in located:
        taken.setdefault((f.file, f.line), []).append(f.column)
    for file, pending in by_file.items():
        text = text_of(file)
        offset = offsets.get(file, 0)
        if text is not None and offset:
            text = text.split("\n---", 1)[0].partition("\n")[2]
        root = compose_positions(text) if text is not None else None
        lines = text.split("\n") if text is not None else []
        for finding in pending:
            line, column = locate(root, finding.path)
            line += offset
            if _already_reported(taken.get((file, line), ()), lines[line - offset - 1:line - offset], column):
                continue
            located.append(dataclasses.replace(finding, line=line, column=column))
    return sorted(located, key=lambda f: (f.file, f.line, f.column, f.rule, f.message))
