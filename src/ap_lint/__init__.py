"""ap-lint: a general policy-as-code engine for registers of YAML records.

The engine loads records, validates their structure with JSON Schemas and
evaluates declarative CEL rules from a policy pack. It knows nothing about the
domain: everything about the register lives in the pack (schemas/, rules/,
policy/).
"""

from __future__ import annotations

__version__ = "0.1.0"
