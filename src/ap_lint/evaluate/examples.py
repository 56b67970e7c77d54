"""Rule examples: every rule documents a passing and a failing edit of the example register.

``run_examples`` applies each example's edits to an in-memory copy of the
pack's example register, checks it, and says whether the rule behaved as its
file says: no finding of the rule on the subject for ``pass``; a finding with
the rule's id, clause and the expected location for ``fail``. A history rule's
example commits its successive versions of the subject (``history:``) to a
new git repository in a temporary folder and checks that repository.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import fnmatch
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ap_lint.checker import Checker, CheckOptions
from ap_lint.errors import PolicyPackError
from ap_lint.findings import Finding, format_path, parse_path
from ap_lint.git.runner import commit_snapshot
from ap_lint.load.positions import compose_positions, locate
from ap_lint.load.register import RECORDS_DIR, Record, SourceFile, discover, record_from_bytes
from ap_lint.evaluate.engine import is_rule_error_of
from ap_lint.evaluate.rules import Rule


@dataclass(frozen=True)
class ExampleOutcome:
    """How one example of one rule behaved."""

    rule: Rule
    index: int
    name: str
    expect: str
    passed: bool
    detail: str
    findings: tuple[Finding, ...] = ()


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set a dotted path (``a.b[0].c``), creating mappings on the way."""
    parts = parse_path(dotted)
    target: Any = data
    for part, following in zip(parts, parts[1:]):
        if isinstance(part, int):
            target = target[part]
        else:
            if not isinstance(target.get(part), (dict, list)):
                target[part] = [] if isinstance(following, int) else {}
            target = target[part]
    last = parts[-1]
    if isinstance(last, int) and isinstance(target, list) and last == len(target):
        target.append(value)
    else:
        target[last] = value


def unset_path(data: dict[str, Any], dotted: str) -> None:
    parts = parse_path(dotted)
    target: Any = data
    for part in parts[:-1]:
        target = target[part]
    if isinstance(target, list):
        del target[parts[-1]]  # type: ignore[arg-type]
    else:
        target.pop(parts[-1], None)


def apply_edit(record: dict[str, Any], change: dict[str, Any]) -> None:
    """Apply one example edit (``unset`` paths, then ``set`` values) to a record."""
    for dotted in change.get("unset", []):
        unset_path(record, dotted)
    for dotted, value in (change.get("set") or {}).items():
        set_path(record, dotted, value)


class ExampleRunner:
    """Checks rule examples against the pack's example register."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        pack = checker.pack
        if not pack.examples_register:
            raise PolicyPackError("rules/pack.yaml names no examples register (examples.register)",
                                  file="rules/pack.yaml")
        self.root = pack.root / pack.examples_register
        if not (self.root / RECORDS_DIR).is_dir():
            raise PolicyPackError(f"the examples register {pack.examples_register} has no records/ folder",
                                  file="rules/pack.yaml")
        sources, problems = discover(self.root, pack)
        if problems:
            raise PolicyPackError(f"the examples register has a misplaced file: {problems[0].file}",
                                  file=pack.examples_register)
        self.sources = {self._key(s.display): s for s in sources}
        self.base: dict[str, Any] = {}
        #: the dumped text and loaded record of each examples-register record, as no example edits it
        self._unchanged: dict[str, tuple[str, Record]] = {}
        # Documents with front matter (the policy) are never edited by examples: load them once.
        self.documents = self.checker.load([s for s in self.sources.values() if s.front_matter])
        self.document_files = {document.file for document in self.documents}
        for key, source in self.sources.items():
            if source.front_matter:
                continue
            self.base[key] = yaml.safe_load(source.path.read_text("utf-8"))

    @staticmethod
    def _key(display: str) -> str:
        """``records/placements/x/y.yaml`` -> ``placements/x/y``."""
        text = display[len(RECORDS_DIR) + 1:] if display.startswith(RECORDS_DIR + "/") else display
        return text[:-5] if text.endswith(".yaml") else text

    def run(self, rules: list[Rule]) -> list[ExampleOutcome]:
        outcomes = []
        for rule in rules:
            run = self.run_one if rule.history is None else self.run_history
            for index, example in enumerate(rule.examples):
                self._check_subject(rule, index, example)
                outcomes.append(run(rule, index, example))
        return outcomes

    def _refuse(self, rule: Rule, index: int, key: str, message: str) -> PolicyPackError:
        """A broken example, at the line of its ``key`` (``subject``, ``edit``) in the rule file."""
        text = (self.checker.pack.root / rule.source).read_text("utf-8")
        line, column = locate(compose_positions(text), ("examples", index, key), key=True)
        return PolicyPackError(message, file=rule.source, line=line, column=column)

    def _kind_of_key(self, key: str) -> str | None:
        if key in self.sources:
            return self.sources[key].kind
        document = next((d for d in self.documents if d.file == key), None)
        return document.kind if document is not None else None

    def _unknown(self, rule: Rule, key: str) -> str:
        """What to write instead of ``key``, a record the examples register does not have."""
        candidates = sorted(k for k in self.base if self._kind_of_key(k) in rule.kinds) or sorted(self.base)
        near = difflib.get_close_matches(key, candidates, n=1, cutoff=0.5) or candidates[:1]
        return ("which the examples register does not have: write the path of one of its records under "
                f"{RECORDS_DIR}/, without .yaml" + (f" (for example {near[0]})" if near else ""))

    def _check_subject(self, rule: Rule, index: int, example: dict[str, Any]) -> None:
        """An example's subject is a record of the examples register (or one it creates) of a kind the rule
        applies to: otherwise no finding on it would be no news, and a pass example would always pass."""
        subject = example.get("subject")
        if not subject or subject in (example.get("create") or {}):
            return
        kind = self._kind_of_key(subject)
        if kind is None:
            raise self._refuse(rule, index, "subject", f"example '{example['name']}' names the subject {subject}, "
                               + self._unknown(rule, subject))
        if kind not in rule.kinds:
            raise self._refuse(rule, index, "subject", f"example '{example['name']}' names the subject {subject}, "
                               f"a {kind} record, but the rule applies to {' and '.join(rule.kinds)} records: "
                               "name one of those as the subject")

    def register_for(self, example: dict[str, Any], rule: Rule, index: int) -> dict[str, Any]:
        data = copy.deepcopy(self.base)
        for key, change in (example.get("edit") or {}).items():
            if key in self.document_files:
                continue  # a document (the policy) is edited in run_one
            if key not in data:
                raise self._refuse(rule, index, "edit", f"example '{example['name']}' edits {key}, "
                                   + self._unknown(rule, key))
            if change.get("delete"):
                del data[key]
                continue
            apply_edit(data[key], change)
        for key, record in (example.get("create") or {}).items():
            data[key] = copy.deepcopy(record)
        return data

    def run_one(self, rule: Rule, index: int, example: dict[str, Any]) -> ExampleOutcome:
        data = self.register_for(example, rule, index)
        subject = example.get("subject") or next(iter({**(example.get("edit") or {}),
                                                       **(example.get("create") or {})}), None)
        texts: dict[str, str] = {}
        records: list[Record] = [self._edited_document(document, example, texts) for document in self.documents]
        changed = {*(example.get("edit") or {}), *(example.get("create") or {})}
        for key, record_data in data.items():
            display = f"{RECORDS_DIR}/{key}.yaml"
            if key not in changed and key in self._unchanged:
                # A record no example edits is dumped, loaded and validated once for all examples.
                texts[display], record = self._unchanged[key]
                records.append(record)
                continue
            kind = self.sources[key].kind if key in self.sources else self._kind_of(display)
            source = SourceFile(kind, Path(display), display)
            text = yaml.safe_dump(record_data, sort_keys=False, allow_unicode=True)
            texts[display] = text
            record = record_from_bytes(source, text.encode("utf-8"), 1 << 20)
            record.newer = key in (example.get("create") or {})  # a record an example adds is the newest
            self.checker.validate(record)
            records.append(record)
            if key not in changed:
                self._unchanged[key] = (text, record)
        findings = self._check(records, self._today(example), texts)
        subject_file = f"{RECORDS_DIR}/{subject}.yaml" if subject else None
        if subject and subject.endswith(".md"):
            subject_file = subject
        return self.judge(rule, index, example, findings, subject_file)

    def _edited_document(self, document: Record, example: dict[str, Any], texts: dict[str, str]) -> Record:
        """A document (front matter) as the example edits it: its front matter changed, the rest kept."""
        change = (example.get("edit") or {}).get(document.file)
        if change is None or document.data is None:
            return document
        data = copy.deepcopy(document.data)
        apply_edit(data, change)
        texts[document.file] = "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "---\n"
        return dataclasses.replace(document, data=data)

    def _today(self, example: dict[str, Any]) -> str:
        return example.get("today") or self.checker.pack.examples_today or "2026-01-01"

    def run_history(self, rule: Rule, index: int, example: dict[str, Any]) -> ExampleOutcome:
        """Commit the example's versions of its subject, oldest first, to a new git repository and check it.

        Each version in ``history:`` is an edit of the one before (null deletes
        the file); it is committed on its ``date`` (default: the example's today).
        """
        subject = example.get("subject")
        if not subject:
            raise PolicyPackError(f"history example '{example['name']}' of {rule.id} names no subject")
        if shutil.which("git") is None:
            return ExampleOutcome(rule, index, example["name"], example["expect"], False,
                                  "git is not installed, so this history example could not run")
        data = self.register_for(example, rule, index)
        today = self._today(example)
        with tempfile.TemporaryDirectory(prefix="ap-lint-example-") as folder:
            root = Path(folder)
            edited = {subject, *(example.get("edit") or {}), *(example.get("create") or {})}
            for key, record_data in data.items():
                if key in edited:
                    self._write(root, key, record_data)
                else:
                    (root / self.sources[key].display).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(self.sources[key].path, root / self.sources[key].display)
            current = data.get(subject)
            for number, version in enumerate(example.get("history") or [{}]):
                if version is not None:
                    current = copy.deepcopy(current if current is not None else data.get(subject) or {})
                    apply_edit(current, version)
                self._write(root, subject, None if version is None else current)
                commit_snapshot(root, (version or {}).get("message") or f"Version {number + 1} of {subject}",
                                (version or {}).get("date") or today)
            findings = self.checker.check(CheckOptions(root=root, today=today)).findings
        return self.judge(rule, index, example, findings, f"{RECORDS_DIR}/{subject}.yaml")

    @staticmethod
    def _write(root: Path, key: str, record_data: dict[str, Any] | None) -> None:
        path = root / RECORDS_DIR / f"{key}.yaml"
        if record_data is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(record_data, sort_keys=False, allow_unicode=True), "utf-8")

    def judge(self, rule: Rule, index: int, example: dict[str, Any], findings: list[Finding],
              subject_file: str | None) -> ExampleOutcome:
        """Whether the findings are what the example expects of its rule on its subject."""
        on_subject = [f for f in findings if subject_file is None or f.file == subject_file]
        mine = tuple(f for f in on_subject if f.rule == rule.id)
        expect = example["expect"]
        name = example["name"]
        # A rule that could not be evaluated on the subject tells nothing about it: the example fails, whatever it
        # expects.
        broken = tuple(f for f in on_subject if is_rule_error_of(f, rule.id))
        if broken:
            first = broken[0]
            return ExampleOutcome(rule, index, name, expect, False, "the rule could not be evaluated on "
                                  f"{first.file}:{first.line}:{first.column}: {first.message}", broken)
        if expect == "pass":
            others = [f for f in findings if f.severity == "error" and not f.is_waived and f.rule != rule.id]
            if mine:
                return ExampleOutcome(rule, index, name, expect, False, "expected no finding, got: "
                                      + "; ".join(f"{f.path_text}: {f.message}" for f in mine), mine)
            if example.get("clean") and others:
                return ExampleOutcome(rule, index, name, expect, False, f"other errors: {others[0].message}")
            return ExampleOutcome(rule, index, name, expect, True, "no finding, as expected")
        if not mine:
            other = [f"{f.rule} at {f.file}:{f.line}:{f.column}" for f in findings if f.severity == "error"][:3]
            return ExampleOutcome(rule, index, name, expect, False,
                                  "expected a finding, got none" + (f" (other errors: {', '.join(other)})"
                                                                    if other else ""))
        wanted_at = example.get("at")
        wanted_severity = example.get("severity")
        if wanted_severity is not None:
            mine = tuple(f for f in mine if f.severity == wanted_severity)
            if not mine:
                return ExampleOutcome(rule, index, name, expect, False,
                                      f"expected a finding of severity {wanted_severity}, got none of it")
        for finding in mine:
            if finding.clause != rule.clause:
                return ExampleOutcome(rule, index, name, expect, False,
                                      f"finding cites clause {finding.clause}, the rule says {rule.clause}", mine)
            if wanted_at is not None and finding.path == parse_path(wanted_at) and finding.line > 0:
                return ExampleOutcome(rule, index, name, expect, True,
                                      f"{finding.file}:{finding.line}:{finding.column} {finding.path_text}", mine)
        if wanted_at is not None:
            got = ", ".join(format_path(f.path) or "(the record)" for f in mine)
            return ExampleOutcome(rule, index, name, expect, False, f"expected the finding at {wanted_at}, got {got}",
                                  mine)
        first = mine[0]
        return ExampleOutcome(rule, index, name, expect, True,
                              f"{first.file}:{first.line}:{first.column} {first.path_text}", mine)

    def _kind_of(self, display: str) -> str:
        for kind in self.checker.pack.kinds.values():
            if not kind.from_pack and fnmatch.fnmatch(display, kind.files):
                return kind.name
        raise PolicyPackError(f"an example creates {display}, which is not where any kind of record lives")

    def _check(self, records: list[Record], today: str, texts: dict[str, str]) -> list[Finding]:
        pack_root = self.checker.pack.root

        def text_of(file: str) -> str | None:
            if file in texts:
                return texts[file]
            path = pack_root / file
            return path.read_text("utf-8") if path.is_file() else None

        return self.checker.evaluate(self.root, records, [], text_of, self.checker.run_context(today)).findings
