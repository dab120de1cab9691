"""Two tagged values in one sentence are each checked against the item that sentence names, so a swap fails.

A content rule: pass it the page's content (the article). Values are tagged with their fact key, so the
number itself is checked elsewhere; what can still go wrong is the word that says what the number counts.
The translations hold, per fact-key family ("stem.N.channels"), the noun phrase a value of it sits in, in
each language: "{} capas con pesos", "rtol = {}" (translations: noun.<family>; the words are data). In a
sentence of prose holding tagged values of two keys or more, a value whose family has a noun must sit in
it, and no value may sit in the noun of another value of that sentence instead (or in a longer one): "18
main-path convolutions (17 layers with weights)", with the keys of 18 and 17 kept, fails twice. Table
cells are not sentences: a row names its item in its first cell (page.py's labels).
"""

from __future__ import annotations

import re

from .context import Context, squash
from .visible import Element

PROSE = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "dt", "dd", "caption"})
SLOT = "\ue000"  # where a tagged value sits in a sentence's text: a private-use character no page holds
SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+")
INDEX = re.compile(r"\.[0-9]+(?=\.|$)")
Noun = tuple[str, str]  # the words before the value, the words after it


def check_attachment(root: Element, ctx: Context) -> None:
    """Each tagged value of a sentence with several sits in its own noun, not in another's."""
    nouns = noun_phrases(ctx.strings)
    for block in (e for e in root.walk() if e.tag in PROSE):
        keys: list[str] = []
        text = squash("".join(_slotted(block, keys)))
        for sentence in SENTENCE_END.split(text):
            count = sentence.count(SLOT)
            found, keys = keys[:count], keys[count:]
            if len(set(found)) >= 2:
                _check_sentence(sentence, found, nouns, ctx)


def noun_phrases(strings: dict[str, str]) -> dict[str, Noun]:
    """Fact-key family -> the words around its values, from the translations' noun.<family> entries."""
    phrases: dict[str, Noun] = {}
    for key, template in strings.items():
        if key.startswith("noun."):
            before, _, after = template.partition("{}")
            phrases[key.removeprefix("noun.")] = (squash(before), squash(after))
    return phrases


def family(key: str) -> str:
    """A fact key with its list indices as N: residual.3.rtol -> residual.N.rtol."""
    return INDEX.sub(".N", key)


def _slotted(block: Element, keys: list[str]) -> list[str]:
    """The block's text with each tagged value as one SLOT (its key appended to ``keys``), leaving out the
    prose blocks inside it, which are sentences of their own."""
    pieces: list[str] = []
    for child in block.children:
        if isinstance(child, str):
            pieces.append(child)
        elif "data-fact" in child.attrs:
            keys.append(child.attrs["data-fact"])
            pieces.append(f" {SLOT} ")
        elif child.tag not in PROSE:
            pieces.extend(_slotted(child, keys))
    return pieces


def _check_sentence(sentence: str, keys: list[str], nouns: dict[str, Noun], ctx: Context) -> None:
    present = {family(key) for key in keys} & set(nouns)
    parts = sentence.split(SLOT)
    for index, key in enumerate(keys):
        before, after = squash(SLOT.join(parts[: index + 1])), squash(SLOT.join(parts[index + 1:]))
        fitting = sorted((sum(map(len, nouns[other])), other) for other in present
                         if _fits(nouns[other], before, after))
        own = family(key)
        if own in nouns and not any(other == own for _, other in fitting):
            ctx.fail(f"fact {key}", f"its value in {_shown(nouns[own])}", f"{_context(before, after)!r}")
        elif fitting and fitting[-1][1] != own and fitting[-1][0] > sum(map(len, nouns.get(own, ("", "")))):
            ctx.fail(f"fact {key}", f"no value but {fitting[-1][1]}'s in {_shown(nouns[fitting[-1][1]])}",
                     f"{_context(before, after)!r}")


def _fits(noun: Noun, before: str, after: str) -> bool:
    """Whether the words right before and after a value are the noun's (whole words, any case)."""
    words_before, words_after = noun
    head, tail = before.casefold(), after.casefold()
    if words_before and not head.endswith(words_before.casefold()):
        return False
    if words_before and len(head) > len(words_before) and head[-len(words_before) - 1].isalnum():
        return False
    if words_after and not tail.startswith(words_after.casefold()):
        return False
    return not (words_after and len(tail) > len(words_after) and tail[len(words_after)].isalnum())


def _shown(noun: Noun) -> str:
    return repr(squash(f"{noun[0]} … {noun[1]}"))


def _context(before: str, after: str) -> str:
    return f"{before[-30:]} … {after[:30]}".replace(SLOT, "…")
