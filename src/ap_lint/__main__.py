"""Allow ``python -m ap_lint``."""

from __future__ import annotations

from ap_lint.cli import main

main()
