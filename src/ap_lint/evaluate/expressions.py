"""CEL, compiled once: environments per record kind, programs, and message templates.

The engine uses Google's C++ CEL runtime (``cel-expr-python``). Every rule
expression is type-checked against the variables its record kind provides, so
a typo in a variable name is a broken rule file (exit 2), not a silent pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from cel_expr_python import cel
from cel_expr_python.ext.ext_bindings import ExtBindings
from cel_expr_python.ext.ext_math import ExtMath
from cel_expr_python.ext.ext_optional import ExtOptional
from cel_expr_python.ext.ext_strings import ExtStrings

from ap_lint.evaluate.celerrors import plain_error
from ap_lint.evaluate.functions import FUNCTIONS, OVERLOADS
from ap_lint.memo import PackMemo, digest_of

_TYPES = {
    "int": cel.Type.INT, "string": cel.Type.STRING, "double": cel.Type.DOUBLE, "bool": cel.Type.BOOL,
    "list": cel.Type.List(cel.Type.DYN), "dyn": cel.Type.DYN,
    "map": cel.Type.Map(cel.Type.STRING, cel.Type.DYN), "null": cel.Type.NULL,
}


#: the keys of a rule document that hold CEL (in a template, ``at`` and ``message``, what is between braces)
RULE_CEL_KEYS = ("when", "for_each", "assert", "warning_when", "at", "message")


class ExpressionError(Exception):
    """A CEL expression that does not compile; the message is CEL's own, one line."""


class EvaluationError(Exception):
    """A CEL expression that failed on a particular record (missing field, bad type)."""


def _signatures(params: list[str]) -> list[list[str]]:
    """A parameter type ``map?`` (a map, or null) expands into one overload for each."""
    signatures: list[list[str]] = [[]]
    for param in params:
        choices = ["map", "null"] if param == "map?" else [param]
        signatures = [[*signature, choice] for signature in signatures for choice in choices]
    return signatures


def _overload_ids() -> list[str]:
    """The id of every function overload declared (they name the functions a compiled expression calls)."""
    return [f"{name}_" + "_".join(signature) + f":{returns}"
            for name, first in FUNCTIONS.items()
            for _, returns, params in [first, *OVERLOADS.get(name, [])]
            for signature in _signatures(params)]


def _function_declarations() -> list[Any]:
    declarations = []
    for name, first in FUNCTIONS.items():
        overloads = [cel.Overload(f"{name}_" + "_".join(signature), _TYPES[returns],
                                  [_TYPES[p] for p in signature], impl=_safe(impl))
                     for impl, returns, params in [first, *OVERLOADS.get(name, [])]
                     for signature in _signatures(params)]
        declarations.append(cel.FunctionDecl(name, overloads))
    return declarations


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def used_variables(variables: Sequence[tuple[str, str]], source: str) -> list[tuple[str, str]]:
    """The ``variables`` that ``source`` uses, directly or through another variable, in their order."""
    needed = set(_NAME.findall(source))
    chosen: list[tuple[str, str]] = []
    for name, expression in reversed(variables):
        if name in needed:
            chosen.append((name, expression))
            needed |= set(_NAME.findall(expression))
    return chosen[::-1]


def bind_variables(variables: Sequence[tuple[str, str]], source: str) -> str:
    """``source`` with the named ``variables`` (in order; each may use those before it) bound around it.

    Only the variables the expression needs (directly or through another variable) are bound, with
    ``cel.bind``, so a variable that cannot be read on some record troubles only the expressions using it.
    """
    for name, expression in reversed(used_variables(variables, source)):  # innermost first: the last-declared variable is bound closest to source
        source = f"cel.bind({name}, ({expression}), {source})"
    return source


def _safe(impl: Any) -> Any:
    def call(*args: Any) -> Any:
        try:
            return impl(*args)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise ValueError(f"{impl.__name__}: {error}") from None
        finally:
            # cel-expr-python 0.1.3 never frees the list it converts for a list argument. The list is a
            # fresh copy made for this call (tests/unit/test_expressions.py checks that), so emptying it
            # here frees its contents: a few bytes leak per call instead of the whole list.
            for argument in args:
                if type(argument) is list:
                    argument.clear()
    call.__name__ = impl.__name__
    return call


#: CEL's tokens, as far as reading which fields of a variable an expression selects needs them: comments,
#: string and bytes literals (raw or not, quoted by one or three quotes), names, numbers, the two-character
#: operators, then any other character
_TOKEN = re.compile(r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<string>(?:[rR][bB]?|[bB][rR]?)?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^\\'\n])*'|"(?:\\.|[^\\"\n])*"))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\.?[0-9][0-9A-Za-z_.]*)
  | (?P<other>==|!=|<=|>=|&&|\|\||\.\?|\[\?|.)
""", re.VERBOSE | re.DOTALL)


def _tokens(source: str) -> list[str]:
    """The significant tokens of ``source`` (no spaces or comments); a string literal stands as ``'``."""
    out = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        if kind == "space":
            continue
        out.append("'" if kind == "string" else match.group())
    return out


def fields_read(source: str, names: Iterable[str]) -> dict[str, frozenset[str] | None]:
    """For each of ``names`` (variables) that ``source`` reads, the top-level fields it reads of it, or None
    when it may read the whole value.

    A variable is read field by field when every mention of it selects a field by name (``v.f``, ``v.?f``,
    ``has(v.f)``, never a method call ``v.f(...)``) or compares it with null (``v != null``); any other
    mention (an index, an argument, a macro's range, a comparison, a variable of the same name bound
    inside the expression) may read all of it.
    """
    wanted = set(names)
    tokens = _tokens(source)
    found: dict[str, set[str] | None] = {}
    for index, token in enumerate(tokens):
        if token not in wanted or (index and tokens[index - 1] in (".", ".?")):
            continue
        after = tokens[index + 1:index + 4]
        before = tokens[max(index - 2, 0):index]
        fields = found.setdefault(token, set())
        if fields is None:
            continue
        if (len(after) >= 2 and after[0] in (".", ".?") and _is_name(after[1])
                and (len(after) < 3 or after[2] != "(")):
            fields.add(after[1])
        elif (len(after) >= 2 and after[0] in ("==", "!=") and after[1] == "null"
              and (len(after) < 3 or after[2] not in (".", ".?", "[", "[?", "("))):
            continue
        elif len(before) == 2 and before[0] == "null" and before[1] in ("==", "!=") and (
                len(after) < 1 or after[0] not in (".", ".?", "[", "[?", "(")):
            continue
        else:
            found[token] = None
    return {name: frozenset(fields) if fields is not None else None for name, fields in found.items()}


def _is_name(token: str) -> bool:
    return token[:1].isalpha() or token[:1] == "_"


def narrowed(variables: Mapping[str, Any], fields: Mapping[str, frozenset[str] | None]) -> dict[str, Any]:
    """``variables`` with each mapping that is read field by field cut down to those fields: CEL converts
    a variable's whole value when it is first read, so fields no expression reads are not converted."""
    out = dict(variables)
    for name, keep in fields.items():
        value = out.get(name)
        if keep is not None and type(value) is dict:
            out[name] = {key: value[key] for key in keep if key in value}
    return out


#: the start of ``list.filter(name, ...``: a variable or a field of one, then the filter's own variable
_FILTER_CALL = re.compile(r"\s*([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*\.\s*filter\s*\(\s*([A-Za-z_]\w*)\s*,")


def filter_call(source: str) -> tuple[str, str, str] | None:
    """``(list, name, condition)`` when ``source`` is just ``list.filter(name, condition)`` with ``list`` a
    variable or a field of one; else None."""
    head = _FILTER_CALL.match(source)
    if head is None:
        return None
    depth = 1
    for match in _TOKEN.finditer(source, head.end()):
        token = match.group()
        if match.lastgroup != "other":
            continue
        if token in ("(", "[", "{", "[?"):
            depth += 1
        elif token in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                rest = source[match.end():].strip()
                return (head.group(1), head.group(2), source[head.end():match.start()]) if not rest else None
    return None


def mentions(source: str, name: str) -> bool:
    """Whether ``name`` stands in ``source`` as a name (not inside a string, nor as part of a longer name)."""
    return name in _tokens(source)


_PLAIN = (str, int, float, bool, type(None))


def values_key(variables: Mapping[str, Any], fields: Mapping[str, frozenset[str] | None]) -> tuple[Any, ...] | None:
    """A key for the values an expression reads (``fields``, from ``fields_read``) of ``variables`` as
    ``narrowed`` gives them: equal keys, equal values read, so the same outcome. None when one of them is not
    plain: a list, a mapping read whole, or a field that holds a list or a mapping.

    Each plain value is keyed with its type (CEL tells 1, 1.0 and true apart; Python's equality does not).
    """
    key: list[Any] = []
    for name in sorted(fields):
        if name not in variables:
            key.append((name, "absent"))
            continue
        value = variables[name]
        if type(value) in _PLAIN:
            key.append((name, type(value).__name__, value))
        elif type(value) is dict and fields[name] is not None:
            items = sorted(value.items())
            if any(type(item) not in _PLAIN for _, item in items):
                return None
            key.append((name, "map", tuple((field, type(item).__name__, item) for field, item in items)))
        else:
            return None
    return tuple(key)


class Environment:
    """A CEL environment declaring the variables that one kind of rule context provides."""

    def __init__(self, variables: Iterable[str], memo: PackMemo | None = None) -> None:
        self.variables = tuple(sorted(set(variables)))
        self._env = cel.NewEnv(
            variables={name: cel.Type.DYN for name in self.variables},
            extensions=[ExtStrings(), ExtBindings(), ExtMath(), ExtOptional()],
            functions=_function_declarations(),
        )
        self.memo = memo
        #: what a compiled expression depends on besides its text: the variables and the functions declared
        self._signature = "\0".join([*self.variables, "", *_overload_ids()])

    def compile(self, source: str) -> "Program":
        """``source`` parsed and type-checked here (or read back from the memo, compiled before)."""
        key = digest_of(self._signature, source) if self.memo is not None else ""
        if self.memo is not None:
            blob = self.memo.blob("cel", key)
            if blob is not None:
                # compiled before, so it compiles: read back when first evaluated (a run evaluates few of them)
                return Program(source, load=lambda: self._read_back(source, blob))
        try:
            compiled = self._env.compile(source)
        except RuntimeError as error:
            raise ExpressionError(plain_error(_first_line(str(error)), source, self.variables, FUNCTIONS)) from None
        if self.memo is not None:
            self.memo.remember_blob("cel", key, compiled.serialize())
        return Program(source, compiled)

    def _read_back(self, source: str, blob: bytes) -> Any:
        try:
            return self._env.deserialize(blob)
        except (RuntimeError, ValueError, TypeError):
            pass  # not what serialize wrote: compile it afresh
        try:
            return self._env.compile(source)
        except RuntimeError as error:
            raise EvaluationError(_first_line(str(error))) from None

    def activation(self, data: dict[str, Any]) -> Any:
        return self._env.Activation(data)


def _first_line(text: str) -> str:
    text = text.replace("INVALID_ARGUMENT: ", "").replace("ERROR: <input>:", "at ")
    return text.strip().split("\n")[0].replace(" [INVALID_ARGUMENT]", "")


class Program:
    """A compiled CEL expression (or one remembered compiled, read back when first evaluated)."""

    __slots__ = ("source", "_compiled", "_load")

    def __init__(self, source: str, compiled: Any = None, load: Callable[[], Any] | None = None) -> None:
        self.source = source
        self._compiled = compiled
        self._load = load

    def __repr__(self) -> str:
        return f"Program({self.source!r})"

    @property
    def compiled(self) -> Any:
        if self._compiled is None:
            assert self._load is not None
            self._compiled, self._load = self._load(), None
        return self._compiled

    def evaluate(self, activation: Any) -> Any:
        try:
            value = self.compiled.eval(activation)
        except RuntimeError as error:  # the runtime's own limits, e.g. an iteration budget on a huge list
            raise EvaluationError(_first_line(str(error)).replace("INTERNAL: ", "").replace(" [INTERNAL]", "")) from None
        except MemoryError:  # a value larger than evaluation may hold (ap_lint.evaluate.limits)
            raise EvaluationError("it builds a value larger than the memory a rule may use") from None
        if value.type() == cel.Type.ERROR:
            raise EvaluationError(str(value.plain_value()).split("\n")[0])
        return value.plain_value()

    def holds(self, activation: Any) -> bool:
        result = self.evaluate(activation)
        if not isinstance(result, bool):
            raise EvaluationError(f"'{self.source}' gave {result!r}, not true or false")
        return result


_BRACE = re.compile(r"[{}]")
#: what can change the meaning of a placeholder's text: braces, quotes and a quote's escape
_IN_PLACEHOLDER = re.compile(r"""[{}'"\\]""")


def _placeholders(text: str) -> list[tuple[str, bool]]:
    """Split template text into literal parts (False) and CEL placeholders (True).

    ``{{`` and ``}}`` outside a placeholder are literal braces. A placeholder runs to the ``}`` that
    balances its ``{``, so it may hold CEL map literals (``{'a': 1}``); braces inside quotes do not count.
    """
    parts: list[tuple[str, bool]] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        brace = _BRACE.search(text, index)
        if brace is None:
            literal.append(text[index:])
            break
        if brace.start() > index:  # the text up to the next brace is literal, in one piece
            literal.append(text[index:brace.start()])
            index = brace.start()
        char = text[index]
        if text[index:index + 2] == char * 2:
            literal.append(char)
            index += 2
            continue
        if char != "{":
            literal.append(char)
            index += 1
            continue
        depth, end, quote = 0, index, ""
        while True:  # from one character that matters to the next
            found = _IN_PLACEHOLDER.search(text, end)
            if found is None:
                raise ExpressionError(f"a '{{' at character {index + 1} of the text is never closed")
            end = found.start()
            current = text[end]
            if quote:
                if current == "\\":
                    end += 1  # the escaped character is skipped
                elif current == quote:
                    quote = ""
            elif current in "'\"":
                quote = current
            elif current == "{":
                depth += 1
            elif current == "}":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        if literal:
            parts.append(("".join(literal), False))
            literal = []
        parts.append((text[index + 1:end], True))
        index = end + 1
    if literal:
        parts.append(("".join(literal), False))
    return parts


@dataclass(frozen=True)
class Template:
    """Text with ``{cel expression}`` placeholders (``{{`` and ``}}`` for braces)."""

    parts: Sequence[str | Program]

    @classmethod
    def compile(cls, text: str, environment: Environment,
                wrap: Callable[[str], str] = lambda source: source) -> "Template":
        parts: list[str | Program] = []
        for part, is_placeholder in _placeholders(text):
            parts.append(environment.compile(wrap(part.strip())) if is_placeholder else part)
        return cls(tuple(p for p in parts if p != ""))

    def render(self, activation: Any, mask: Callable[[str], str] | None = None) -> str:
        """The text with each placeholder's value filled in (and passed through ``mask``, if given)."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            try:
                value = part.evaluate(activation)
            except EvaluationError:
                value = "(not recorded)"
            out.append(mask(_text(value)) if mask is not None else _text(value))
        return "".join(out)


def _text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # 18.0 -> 18, 91.666... -> 91.67; never 1.23457e+07
        return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)
