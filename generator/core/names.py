"""File names from the user, made safe to show: one line, every invisible character visible.

A file system allows any byte but '/' and NUL in a name. Python hands us
undecodable bytes as lone surrogates and keeps newlines, escapes, bidi
overrides and the like as they are; shown raw, they break lines, inject
Markdown or disguise the name. Each such character is written as the escape
a programmer would type, so the name reads the same everywhere it appears.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
# Control, format (bidi overrides, zero-width), line/paragraph separators, unassigned and private use.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cn", "Co"}


def printable_name(name: str) -> str:
    """The name with every byte or character that would not show as itself escaped."""
    out = []
    for character in name:
        code = ord(character)
        if character in _NAMED:
            out.append(_NAMED[character])
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, kept by os.fsdecode's surrogateescape
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF or unicodedata.category(character) in _INVISIBLE:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        elif character != " " and unicodedata.category(character) == "Zs":
            out.append(f"\\u{code:04x}")  # a space that is not the ordinary one
        else:
            out.append(character)
    return "".join(out)
