"""A fast path for the common case of loading a clean record.

Most record files use nothing but plain mappings, lists, text, numbers and
dates. For those, this module builds the same data as ``loader.load_record``
several times faster: it builds values straight from libyaml's parser
events, resolving plain scalars with YAML's own rules (memoised). Anything
unusual (anchors, aliases, tags, merge keys, duplicate keys, YAML 1.1 traps,
invalid dates, deep nesting) makes it return ``None``, and the caller falls back
to the strict loader, which stays the reference for every message.
"""

from __future__ import annotations

import datetime
import re
import sys
from typing import Any

import yaml

from yaml.events import (DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent, ScalarEvent,
                         SequenceEndEvent, SequenceStartEvent, StreamEndEvent, StreamStartEvent)

from ap_lint.load.loader import CUT_COMMENT_ANYWHERE

try:
    from yaml._yaml import CParser as _CParser
    CParser: Any = _CParser
    AVAILABLE = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    CParser = None
    AVAILABLE = False

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PLAIN_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_MAX_DEPTH = 32
_INTERN_MAX = 24
_intern = sys.intern
_UNUSUAL = re.compile(r"[&*!]|<<")


class _Unusual(Exception):
    """The file needs the strict loader."""


_RESOLVER = yaml.resolver.Resolver()
#: plain scalars already read, with their value (or _NOT_PLAIN): records repeat field names, dates, times and
#: codes, so most scalars are one dictionary lookup, and each repeated text is one shared string
_PLAIN_MEMO: dict[str, Any] = {}
_PLAIN_MEMO_MAX = 100_000
_NOT_PLAIN = object()
_MISSING = object()


#: the first characters of a plain scalar that YAML may read as something other than text (None: any may)
_IMPLICIT_FIRST = (None if None in _RESOLVER.yaml_implicit_resolvers
                   else frozenset(key for key in _RESOLVER.yaml_implicit_resolvers if key))


def _plain_tag(value: str) -> str:
    """The tag YAML's implicit resolution gives a plain scalar."""
    if value and _IMPLICIT_FIRST is not None and value[0] not in _IMPLICIT_FIRST:
        return _STR
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    return tag


def _plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar, remembered when short; _NOT_PLAIN when the strict loader must read it."""
    short = len(text) <= _INTERN_MAX
    if short:
        text = _intern(text)
    try:
        value = _scalar(_plain_tag(text), text)
    except _Unusual:
        value = _NOT_PLAIN
    if short and len(_PLAIN_MEMO) < _PLAIN_MEMO_MAX:
        _PLAIN_MEMO[text] = value
    return value


def _scalar(tag: str, value: str) -> Any:
    if tag == _STR:
        return value
    if tag == _INT:
        if not _PLAIN_INT.match(value):
            raise _Unusual
        return int(value)
    if tag == _TIMESTAMP:
        if not _DATE.match(value):
            raise _Unusual
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            raise _Unusual from None
    if tag == _BOOL:
        if value not in _BOOLS:
            raise _Unusual
        return _BOOLS[value]
    if tag == _NULL:
        return None
    if tag == _FLOAT:
        if "." not in value or ":" in value or value.lower().lstrip("+-").startswith((".inf", ".nan")):
            raise _Unusual
        return float(value)
    raise _Unusual


def _build(parser: Any) -> dict[str, Any]:
    """Build the document's value from parser events, with an explicit stack (no recursion)."""
    get = parser.get_event
    memo = _PLAIN_MEMO
    root: dict[str, Any] = {}
    stack: list[Any] = [root]
    keys: list[Any] = [None]
    event = get()
    if event.__class__ is not MappingStartEvent or event.tag is not None or event.anchor is not None:
        raise _Unusual
    while stack:
        event = get()
        cls = event.__class__
        top = stack[-1]
        if cls is ScalarEvent:
            if event.tag is not None or event.anchor is not None:
                raise _Unusual
            text = event.value
            if event.implicit[0]:
                value = memo.get(text, _MISSING)
                if value is _MISSING:
                    value = _plain(text)
                if value is _NOT_PLAIN:
                    raise _Unusual
            else:
                value = _intern(text) if len(text) <= _INTERN_MAX else text
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            if keys[-1] is not None:
                raise _Unusual
            stack.pop()
            keys.pop()
            continue
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if event.tag is not None or event.anchor is not None or len(stack) > _MAX_DEPTH:
                raise _Unusual
            value = {} if cls is MappingStartEvent else []
            if top.__class__ is dict:
                if keys[-1] is None:
                    raise _Unusual  # a mapping or list used as a key
                top[keys[-1]] = value
                keys[-1] = None
            else:
                top.append(value)
            stack.append(value)
            keys.append(None)
            continue
        else:
            raise _Unusual  # aliases and anything else
        if top.__class__ is dict:
            key = keys[-1]
            if key is None:
                if value.__class__ is not str or event.__class__ is not ScalarEvent or value in top:
                    raise _Unusual  # non-text or duplicate key
                keys[-1] = value
            else:
                top[key] = value
                keys[-1] = None
        else:
            top.append(value)
    return root


def load_fast(text: str) -> dict[str, Any] | None:
    """The record's data if ``text`` is a clean single mapping; otherwise None (use the strict loader)."""
    if not AVAILABLE or _UNUSUAL.search(text) or ("#" in text and CUT_COMMENT_ANYWHERE.search(text)):
        return None
    try:
        parser = CParser(text)
        if parser.get_event().__class__ is not StreamStartEvent:
            return None
        if parser.get_event().__class__ is not DocumentStartEvent:
            return None
        data = _build(parser)
        if parser.get_event().__class__ is not DocumentEndEvent:
            return None
        if parser.get_event().__class__ is not StreamEndEvent:
            return None
        return data
    except (_Unusual, yaml.YAMLError, ValueError, AttributeError):
        return None
