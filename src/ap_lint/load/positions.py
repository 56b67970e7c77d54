"""Where a value is in a YAML text: the line and column of a JSON path, for findings and pack errors.

Only files with findings are parsed again for positions, so clean files cost one fast parse.
"""

from __future__ import annotations

import yaml

from ap_lint.findings import JsonPath
from ap_lint.load.loader import MAX_DEPTH, BaseLoader, check_depth, nesting_bound
from ap_lint.load.syntax import LoadProblem


def compose_positions(text: str) -> yaml.Node | None:
    """Parse ``text`` into nodes (with marks) for locating paths; None if it cannot be parsed."""
    try:
        if nesting_bound(text) > MAX_DEPTH:
            check_depth(text)
        return yaml.compose(text, Loader=BaseLoader)
    except (yaml.YAMLError, RecursionError, LoadProblem):
        return None


def locate(root: yaml.Node | None, path: JsonPath, *, key: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of the value at ``path`` (of its key, with ``key``); the nearest enclosing
    node if it is missing."""
    if root is None:
        return 1, 1
    node: yaml.Node = root
    mark = node.start_mark
    for index, part in enumerate(path):
        child = _child(node, part)
        if child is None:
            break
        key_node, node = child
        last = index == len(path) - 1
        mark = key_node.start_mark if key and last and key_node is not None else node.start_mark
    return mark.line + 1, mark.column + 1


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        # Indexed once per mapping, so locating many findings in one large file stays linear.
        index: dict[str, tuple[yaml.Node, yaml.Node]] | None = getattr(node, "_ap_lint_index", None)
        if index is None:
            index = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    index[key_node.value] = (key_node, value_node)  # the last one wins, as when loading
            node._ap_lint_index = index  # type: ignore[attr-defined]
        return index.get(part)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return None, node.value[part]
    return None
