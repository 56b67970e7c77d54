"""Values shown as text can never act as anything but text.

A value (a file name, a message quoting a record's text, a note) may hold any
character a YAML file or a file name can. ``visible`` writes every character
that could act on a terminal, a log or a CI runner as a visible escape: C0 and
C1 control characters (ESC, BEL, CR, LF, TAB...), DEL, the Unicode line and
paragraph separators, the bidirectional controls that reorder what a reader
sees, and the bytes of a file name that is not UTF-8. So a value never starts
a line (it holds no line break), never moves the cursor or rings the bell, and
never forms a workflow command of a CI runner.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ufeff\ud800-\udfff]|##\\[")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "##[": "##\\["}


def _escape(match: re.Match[str]) -> str:
    text = match.group()
    if text in _NAMED:
        return _NAMED[text]
    code = ord(text)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character written as a visible escape: ESC as ``\\x1b``, LF as ``\\n``.

    Also neutralises ``##[``, the prefix of a CI runner's older commands, which it reads anywhere in a line.
    """
    return _UNSAFE.sub(_escape, text)


_UNSAFE_KEEPING_WHITE_SPACE = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                                         "\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def printable(value: object) -> object:
    """``value`` (when text) with control characters escaped as ``visible`` does, but tabs and line breaks kept.

    For a page whose markup decides what white space means (HTML).
    """
    return _UNSAFE_KEEPING_WHITE_SPACE.sub(_escape, value) if isinstance(value, str) else value
