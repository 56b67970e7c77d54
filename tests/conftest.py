"""Shared fixtures: the repository root, a throw-away copy of the example register, and the CLI as a user runs it."""

from __future__ import annotations

import gc
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator, Sequence

import click.formatting
import pytest
from click.testing import CliRunner

from ap_lint.checker import Checker
from ap_lint.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
#: variables of the test run's own environment that a user's shell would not set for ap-lint
SCRUBBED_VARIABLES = ("AP_LINT_TODAY", "FORCE_COLOR", "NO_COLOR", "AP_LINT_DEBUG")
#: the file of a cache folder that remembers the pack's parsed, validated and compiled files (ap_lint.memo)
PACK_MEMO = "pack.json"



def bench_module(name: str) -> ModuleType:
    """``bench/NAME.py`` as a module (bench/ is not a package), loaded once for the test run."""
    module_name = f"bench_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    if str(REPO_ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(REPO_ROOT / "bench"))  # run.py imports generate.py from beside it
    spec = importlib.util.spec_from_file_location(module_name, REPO_ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module

@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root: it holds the example register (records/) and the policy pack."""
    return REPO_ROOT


@pytest.fixture(scope="session", autouse=True)
def user_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's cache folder (XDG_CACHE_HOME) for the whole test session: a temporary one, not the real one."""
    folder = tmp_path_factory.mktemp("user-cache")
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if previous is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture
def register_copy(tmp_path: Path) -> Path:
    """A copy of the example register's records/ in a temporary folder; returns the register root."""
    root = tmp_path / "register"
    shutil.copytree(REPO_ROOT / "records", root / "records")
    return root


def copy_with_pack(root: Path) -> Path:
    """A copy of the example register with its own copy of the policy pack (rules, schemas, policy) at ``root``."""
    for folder in ("records", "rules", "schemas", "policy"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    return root


@pytest.fixture
def register_with_pack(tmp_path: Path) -> Path:
    """A copy of the example register with its own policy pack, which a test may change."""
    return copy_with_pack(tmp_path / "register")


def readme_rule() -> str:
    """The new rule README.md's "Add a rule" shows, as written there: the tests add exactly this file."""
    text = (REPO_ROOT / "README.md").read_text("utf-8")
    section = text[text.index("## Add a rule"):]
    return section[section.index("```yaml\n") + len("```yaml\n"):section.index("```\n", section.index("```yaml"))]


def cli_environment(**extra: str) -> dict[str, str]:
    """The environment a user's shell gives ap-lint: no colour, no date override, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_VARIABLES}
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def run_in_process(args: Sequence[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``ap-lint ARGS...`` in this process through the command's entry point, ``ap_lint.cli.main``.

    What a user's process would see is set up for the run and put back after it: the
    environment of :func:`cli_environment` (``env`` on top), ``cwd`` as the working
    folder, ``sys.argv``, empty standard input, and standard output and error that are
    not terminals (so colour follows NO_COLOR and FORCE_COLOR as in a pipe). The result
    is what ``subprocess.run(..., text=True)`` gives: exit code, output and error as text
    with universal newlines. ``tests/unit/test_cli.py`` checks it against a real process.
    """
    changes: dict[str, str | None] = {name: None for name in SCRUBBED_VARIABLES}
    changes["NO_COLOR"] = "1"
    changes.update(env)
    argv = [str(arg) for arg in args]
    saved_argv, saved_cwd, saved_gc, saved_size = sys.argv, os.getcwd(), gc.get_threshold(), os.get_terminal_size
    with CliRunner().isolation(env=changes, color=False) as (stdout, stderr, _):
        # the runner fixes help text at 80 columns; a process whose output is a pipe asks the terminal, finds
        # none and takes COLUMNS or 80 (shutil.get_terminal_size), and click wraps help text 2 columns short of it
        click.formatting.FORCED_WIDTH = None
        os.get_terminal_size = _no_terminal
        sys.argv = ["ap-lint", *argv]
        try:
            os.chdir(cwd)
            main()
            code = 0
        except SystemExit as done:  # main() always ends with sys.exit(code)
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        finally:
            sys.argv = saved_argv
            os.get_terminal_size = saved_size
            os.chdir(saved_cwd)
            gc.set_threshold(*saved_gc)  # main() raises the collector's thresholds for its own process
            sys.stdout.flush()
            sys.stderr.flush()
    return subprocess.CompletedProcess(["ap-lint", *argv], code, _as_text(stdout.getvalue()),
                                       _as_text(stderr.getvalue()))


def _no_terminal(fd: int = 1) -> os.terminal_size:
    """``os.get_terminal_size`` of a process whose standard streams are pipes."""
    raise OSError(f"file descriptor {fd} is not a terminal")


def _as_text(data: bytes) -> str:
    """Bytes a process wrote, read as ``subprocess.run(text=True)`` reads them (UTF-8, universal newlines)."""
    return data.decode("utf-8", "strict").replace("\r\n", "\n").replace("\r", "\n")


def session_pack_memo() -> Path:
    """The cache folder where this test session remembers what loading a pack gave (``pack.json``, ap_lint.memo).

    As a user's cache folder holds it after their first run. One per session (and
    per xdist worker), inside the session's temporary user cache folder (``user_cache_home``).
    """
    return Path(os.environ["XDG_CACHE_HOME"]) / "ap-lint-pack-memo"


def checker_for(root: Path, pack_dir: Path | None = None) -> Checker:
    """``Checker.for_root(root, pack_dir)``, its pack loaded through the session's pack memo.

    The memo is keyed by the bytes of each pack file and keeps only what passed, so a
    pack a test changed is loaded afresh and a broken file is always reported; the
    costly steps of an unchanged pack are done once a session. For tests about
    something other than loading a pack (tests/unit/test_memo.py holds a remembered
    pack to a cold one's findings). The check itself has no cache unless it is given one.
    """
    return Checker.for_root(root, pack_dir, session_pack_memo())


def seeded_cache_folder(folder: Path) -> Path:
    """Make ``folder`` a new cache folder for one run, holding the session's pack memo; return it.

    Pass it as AP_LINT_CACHE_DIR, and :func:`keep_pack_memo` after the run. The check's own
    cache starts empty: the run is a cold check of a pack already remembered.
    """
    folder.mkdir(parents=True, exist_ok=True)
    memo = session_pack_memo() / PACK_MEMO
    if memo.is_file():
        shutil.copyfile(memo, folder / PACK_MEMO)
    return folder


def keep_pack_memo(folder: Path) -> None:
    """Keep what a run added to the pack memo of its cache folder ``folder`` for the session's later runs."""
    learnt = folder / PACK_MEMO
    if learnt.is_file() and not learnt.is_symlink():
        session_pack_memo().mkdir(parents=True, exist_ok=True)
        shutil.copyfile(learnt, session_pack_memo() / PACK_MEMO)


@pytest.fixture(scope="session")
def run_cli(tmp_path_factory: pytest.TempPathFactory) -> RunCli:
    """Run ``ap-lint ARGS...`` as a user runs it and return the completed "process".

    It runs in this process (:func:`run_in_process`: no interpreter start-up, so
    it is fast); tests that need a real process use ``run_cli_process``. Keyword
    arguments: ``cwd`` (default: the repository root) and ``env`` (extra variables;
    pass ``NO_COLOR=""`` to clear it). Each run keeps its cache in a new temporary
    folder (AP_LINT_CACHE_DIR), never in the register it checks, unless ``env`` names one.

    That new folder starts with the session's pack memo (:func:`session_pack_memo`),
    as a user's cache folder holds it after their first run, and what the run adds
    to it is kept for the next; the check's own cache starts empty every time. A
    folder the test names itself is left as the test made it.
    """

    def run(*args: str | Path, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        if env is not None and "AP_LINT_CACHE_DIR" in env:  # the test's own folder, as it made it
            return run_in_process(args, cwd or REPO_ROOT, env)
        cache = seeded_cache_folder(tmp_path_factory.mktemp("cache"))
        done = run_in_process(args, cwd or REPO_ROOT, {"AP_LINT_CACHE_DIR": str(cache), **(env or {})})
        keep_pack_memo(cache)
        return done

    return run


@pytest.fixture(scope="session")
def run_cli_process(tmp_path_factory: pytest.TempPathFactory) -> RunCli:
    """Run ``ap-lint ARGS...`` in a subprocess (``python -m ap_lint``) and return the completed process.

    For what only a real process shows (start-up, the interpreter's own handling of
    streams and signals); otherwise as ``run_cli`` (its cache folder too).
    """

    def run(*args: str | Path, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        cache = seeded_cache_folder(tmp_path_factory.mktemp("cache"))
        extra = {"AP_LINT_CACHE_DIR": str(cache), **(env or {})}
        done = subprocess.run(
            [sys.executable, "-m", "ap_lint", *(str(a) for a in args)],
            cwd=cwd or REPO_ROOT, env=cli_environment(**extra),
            capture_output=True, text=True, timeout=60, check=False,
        )
        keep_pack_memo(cache)
        return done

    return run


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root`` (creating folders) and return ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


_EXAMPLES = "examples:\n  - {name: passes, expect: pass}\n  - {name: fails, expect: fail}\n"

#: A pack and register about nothing in particular (shops and orders), small enough to read in a test.
TINY_REGISTER: dict[str, str] = {
    "rules/pack.yaml": """\
name: tiny test pack
policy:
  document: policy/tiny.md
kinds:
  shop:
    files: records/shops/*.yaml
    schema: schemas/shop.schema.json
  order:
    files: records/orders/*.yaml
    schema: schemas/order.schema.json
  exemption:
    files: records/exemptions/*.yaml
    schema: schemas/exemption.schema.json
relations:
  order:
    shop: {lookup: shop, by: shop}
    customer_orders: {group: order, field: customer, by: customer}
waivers: {kind: exemption, rule: rule, record: record, approved_on: approved_on, expires_on: expires_on}
""",
    "rules/settings.yaml": "max_items:\n  value: 3\n  description: Most items one order may hold.\n",
    "policy/tiny.md": "# Tiny policy\n\nOrders are small. {#orders.small}\n\nOrders name an open shop. {#orders.shop}\n",
    "schemas/shop.schema.json": """\
{"type": "object", "required": ["id", "name", "open"], "additionalProperties": false,
 "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "open": {"type": "boolean"}}}
""",
    "schemas/order.schema.json": """\
{"type": "object", "required": ["id", "shop", "customer", "items"], "additionalProperties": false,
 "properties": {"id": {"type": "string"}, "shop": {"type": "string"}, "customer": {"type": "string"},
                "items": {"type": "array", "items": {"type": "string"}}}}
""",
    "schemas/exemption.schema.json": """\
{"type": "object", "required": ["id", "rule", "record", "expires_on"], "additionalProperties": false,
 "properties": {"id": {"type": "string"}, "rule": {"type": "string"}, "record": {"type": "string"},
                "approved_on": {"type": "string", "format": "date"},
                "expires_on": {"type": "string", "format": "date"}}}
""",
    "rules/checks/order-small.yaml": """\
id: order-small
title: An order holds at most the allowed number of items
clause: orders.small
severity: error
applies_to: order
assert: size(record.items) <= settings.max_items
at: items
message: Order {record.id} has {size(record.items)} items; at most {settings.max_items} are allowed.
why: Small orders are the policy.
""" + _EXAMPLES,
    "rules/checks/order-shop-open.yaml": """\
id: order-shop-open
title: An order names a shop that is open
clause: orders.shop
severity: error
applies_to: order
when: shop != null
assert: shop.open
at: shop
message: "{shop.name} is closed: choose an open shop."
why: Closed shops cannot take orders.
""" + _EXAMPLES,
    "rules/checks/order-item-named.yaml": """\
id: order-item-named
title: Every item of an order says what it is
clause: null
category: integrity
severity: warning
applies_to: order
for_each: record.items
assert: item.trim() != ''
at: "items[{index}]"
message: Item {index + 1} of {record.id} is blank; write what was ordered.
why: A blank item cannot be delivered.
""" + _EXAMPLES,
    "rules/checks/order-one-per-customer.yaml": """\
id: order-one-per-customer
title: A customer has one order
clause: null
category: integrity
severity: error
waivable: false
applies_to: order
assert: size(customer_orders) == 0
at: customer
message: "{record.customer} also has {customer_orders.map(o, o.id)}: merge the orders."
why: One order per customer keeps deliveries simple.
""" + _EXAMPLES,
    "records/shops/corner.yaml": "id: corner\nname: Corner Shop\nopen: true\n",
    "records/shops/mill.yaml": "id: mill\nname: Mill Shop\nopen: false\n",
    "records/orders/o-1.yaml": "id: o-1\nshop: corner\ncustomer: c-1\nitems: [tea, milk]\n",
}


@pytest.fixture
def tiny_register(tmp_path: Path) -> Path:
    """A register with its own tiny pack (shops, orders, exemptions; four rules) in a temporary folder."""
    return write_files(tmp_path / "tiny", TINY_REGISTER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slow tests first (each keeps its place among them): with several workers (pytest-xdist) the
    longest ones, such as installing the pre-commit hook, start at once instead of ending the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
