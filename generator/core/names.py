"""File names from the user, made safe to show: one line, every invisible character visible.

A file system allows any byte but '/' and NUL in a name. Python hands us
undecodable bytes as lone surrogates and keeps newlines, escapes, bidi
overrides and the like as they are; shown raw, they break lines, inject
Markdown or disguise the name. Each such character is written as the escape
a programmer would type, so the name reads the same everywhere it appears.
"""

from __future__ import annotations

import os
import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
# Control, format (bidi overrides, zero-width), line/paragraph separators, unassigned and private use.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cn", "Co"}


def printable_name(name: str) -> str:
    """The name with every byte or character that would not show as itself escaped, a backslash included."""
    return "".join(_escaped(character) for character in name)


def printable_path(path: str | os.PathLike[str]) -> str:
    """A path as a message shows it: printable_name of the whole path."""
    return printable_name(os.fspath(path))


def printable_line(text: str) -> str:
    """A message on one line: what printable_name escapes, but a backslash, which escaped names already hold.

    The last guard before a console: a name that reached a message unescaped
    still cannot start a line of its own that reads like the tool's.
    """
    return "".join(_escaped(character) if character != "\\" else character for character in text)


def _escaped(character: str) -> str:
    code = ord(character)
    if character in _NAMED:
        return _NAMED[character]
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, kept by os.fsdecode's surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF or unicodedata.category(character) in _INVISIBLE:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    if character != " " and unicodedata.category(character) == "Zs":
        return f"\\u{code:04x}"  # a space that is not the ordinary one
    return character
