"""ap-lint: a general policy-as-code engine for registers of YAML records.

The engine loads records, validates their structure with JSON Schemas and
evaluates declarative CEL rules from a policy pack. It knows nothing about the
domain: everything about the register lives in the pack (schemas/, rules/,
policy/).

The library call is ``ap_lint.check(root, ...)``: it returns the ``CheckResult``
whose findings ``ap-lint check`` prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from ap_lint.errors import ApLintError  # noqa: E402
from ap_lint.findings import Finding  # noqa: E402

if TYPE_CHECKING:
    from ap_lint.api import check
    from ap_lint.checker import CheckResult

__all__ = ["ApLintError", "CheckResult", "Finding", "__version__", "check"]


def __getattr__(name: str) -> Any:
    """``check`` and ``CheckResult``, imported when first used (``ap-lint --version`` needs neither)."""
    if name == "check":
        from ap_lint.api import check

        return check
    if name == "CheckResult":
        from ap_lint.checker import CheckResult

        return CheckResult
    raise AttributeError(f"module 'ap_lint' has no attribute {name!r}")
