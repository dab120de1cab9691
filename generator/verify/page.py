"""One page, read as a reader meets it: tagged values, quotations, sources, claims, figures, links, sections
and every digit; then each page compared with its translation."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any

from ..core import sources
from ..core.config import FIGURE_FOLDER, LANGUAGES
from .attachment import check_attachment
from .context import Context, PageReading, squash
from .figure_subjects import check_figure_subjects
from .glossary import check_glossary
from .interpretation import check_interpretation
from .mismatch import Mismatch
from .numbers import ALLOWED_NUMBERS, NUMBER_CATEGORIES, canonical, value_matches
from .report_voice import check_report_voice
from .scope import check_scopes
from .summary_table import check_summary_table
from .tables import check_tables
from .visible import INVISIBLE_TAGS, VISIBLE_ATTRIBUTES, Element, render_markdown

SECTION_NUMBER = re.compile(r"^\s*[0-9]+\.\s")
FIGURE_LINK = re.compile(r"^(?P<word>Figura|Figure)s? (?P<number>[0-9]+[ab]?)\b")

# "Figura 1", "Figuras 2a y 2b": a figure number, allowed only where that figure is on the page
FIGURE_MENTION = re.compile(r"\b(?:Figura|Figure)s? (?P<first>[0-9]+[ab]?)(?: (?:y|and) (?P<second>[0-9]+[ab]?))?\b")
CITATION = re.compile(r"^\[([0-9]+)\]$")
QUOTE_MARKS = re.compile(r"“([^”]*)”|«([^»]*)»|\"([^\"]*)\"")
LONG_QUOTATION_WORDS = 8
# What the weights change: the forward pass's values and maps, the predictions, and their figures.
WEIGHT_DEPENDENT_FACTS = ("residual.", "predictions.", "prediction_ties", "explorer.")
WEIGHT_DEPENDENT_FIGURES = ("scheme", "residual-", "comparison", "features-", "conv1-filters", "top5")
WEIGHTS_KINDS = frozenset({"imagenet", "file", "random"})
LANGUAGE_TAGGED = re.compile(rf"(?P<base>.+)\.(?P<language>{'|'.join(LANGUAGES)})\.png")  # a figure with words


def subject_of(key: str, values: dict[str, Any]) -> str | None:
    """The list item a value belongs to ("stages.2" for "stages.2.size"): the nearest numbered prefix with a name."""
    parts = key.split(".")
    for end in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:end])
        if parts[end - 1].isdigit() and f"{prefix}.name" in values:
            return prefix
    return None


def check_facts(root: Element, ctx: Context, reading: PageReading) -> set[int]:
    """Verify every tagged value and its label pairing; returns the ids of the elements now accounted for."""
    values = ctx.expected.values
    done: set[int] = set()
    labels_in: dict[int, set[str]] = {}
    spans = [e for e in root.walk() if "data-fact" in e.attrs]
    for span in spans:
        key = span.attrs["data-fact"]
        for block in span.blocks():
            labels_in.setdefault(id(block), set()).add(key)
    for span in spans:
        key, style, found = span.attrs["data-fact"], span.attrs.get("data-style", "auto"), span.text()
        done.add(id(span))
        place = f"fact {key}"
        if key not in values:
            ctx.fail(place, "a fact the model or a source defines", f"unknown fact {key!r}")
            continue
        reading.facts.append((key, canonical(found, values[key], style, ctx.language)))
        if not value_matches(found, values[key], style, ctx.language, ctx.strings):
            ctx.fail(place, repr(values[key]), repr(found))
        subject = subject_of(key, values)
        if subject is not None and key != f"{subject}.name":
            if not any(f"{subject}.name" in labels_in.get(id(block), ()) for block in span.blocks()):
                ctx.fail(place, f"the name {values[f'{subject}.name']!r} ({subject}.name) in the same statement",
                         f"{found!r} without it")
    return done


def check_quotes(root: Element, ctx: Context) -> set[int]:
    done: set[int] = set()
    for element in root.walk():
        key = element.attrs.get("data-quote")
        if key is None:
            continue
        done.add(id(element))
        try:
            entry = sources.quote(key)
        except KeyError:
            ctx.fail(f"quotation {key}", "a quotation held in data/sources.json", "an unknown one")
            continue
        if element.tag == "q":
            shown = squash(element.text())
        else:
            paragraphs = [child for child in element.children if isinstance(child, Element) and child.tag == "p"]
            shown = squash(paragraphs[0].text()).removeprefix("“").removesuffix("”") if paragraphs else ""
            attribution = squash(paragraphs[1].text()) if len(paragraphs) > 1 else ""
            wanted = _attribution(entry, ctx.strings)
            if attribution != wanted:
                ctx.fail(f"quotation {key}, attribution", repr(wanted), repr(attribution))
        if shown != squash(entry.text):
            ctx.fail(f"quotation {key}", "the source's exact words", repr(shown[:80]))
        if entry.source == "report" and squash(entry.text) not in squash(sources.report_text()):
            ctx.fail(f"quotation {key}", "words that are in the original report", repr(entry.text[:80]))
    return done


def _attribution(entry: sources.Quote, strings: dict[str, str]) -> str:
    number = sources.source_number(entry.source)
    if entry.source == "report":
        text = strings["quote_from_report"].format(heading=entry.heading)
    else:
        short = next(s.short for s in sources.all_sources() if s.key == entry.source)
        text = strings["quote_from_paper"].format(short=short, section=entry.section, page=entry.page)
    return squash(f"{text} [{number}]")


def check_sources(root: Element, ctx: Context) -> set[int]:
    done: set[int] = set()
    listed = [e for e in root.walk() if "data-source" in e.attrs]
    for element in listed:
        done.add(id(element))
        key = element.attrs["data-source"]
        entry = next((s for s in sources.all_sources() if s.key == key), None)
        if entry is None:
            ctx.fail(f"source {key}", "a source held in data/sources.json", "an unknown one")
            continue
        if squash(element.text()) != squash(entry.citation):
            ctx.fail(f"source {key}", repr(entry.citation), repr(element.text()))
        item = next((node for node in element.ancestors() if node.tag == "li"), None)
        parent = item.parent if item is not None else None
        if item is None or parent is None or parent.tag != "ol":
            ctx.fail(f"source {key}", "an item of the numbered reference list", "elsewhere")
            continue
        number = [c for c in parent.children if isinstance(c, Element) and c.tag == "li"].index(item) + 1
        number += int(parent.attrs.get("start", "1")) - 1
        if number != sources.source_number(key):
            ctx.fail(f"source {key}", f"number {sources.source_number(key)}", f"number {number}")
    if listed and [e.attrs["data-source"] for e in listed] != [s.key for s in sources.all_sources()]:
        ctx.fail("references", "every source, in order", ", ".join(e.attrs["data-source"] for e in listed))
    return done


def claim_texts(strings: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """claim -> variant -> the fixed words of that wording (what is left between its tagged values)."""
    texts: dict[str, dict[str, list[str]]] = {}
    for key, template in strings.items():
        if key.startswith("claim."):
            _, name, variant = key.split(".")
            words = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", template)
            words = re.sub(r"<[^>]+>|[*_`]", "", words)
            fragments = [squash(part) for part in re.split(r"\{\{.*?\}\}", words)]
            texts.setdefault(name, {})[variant] = [part for part in fragments if len(part) >= 12]
    return texts


def check_claims(root: Element, ctx: Context, reading: PageReading, visible: str) -> None:
    values = ctx.expected.values
    catalogue = claim_texts(ctx.strings)
    seen = [e for e in root.walk() if e.has_class("claim")]
    for element in seen:
        name, variant = element.attrs.get("data-claim", ""), element.attrs.get("data-variant", "")
        reading.claims.append((name, variant))
        wanted = values.get(f"claims.{name}")
        if wanted is None:
            ctx.fail(f"claim {name!r}", "a claim the check knows", "an unknown one")
            continue
        if variant != wanted:
            ctx.fail(f"claim {name}", f"the wording true for this run ({wanted})", f"the wording for {variant}")
        text = squash(element.text())
        if not all(fragment in text for fragment in catalogue[name].get(wanted, [])):
            ctx.fail(f"claim {name}", f"the words of translations claim.{name}.{wanted}", repr(text[:80]))
    for name, variants in catalogue.items():
        wanted = values.get(f"claims.{name}")
        for variant, fragments in variants.items():
            if variant != wanted and fragments and all(fragment in visible for fragment in fragments):
                ctx.fail(f"claim {name}", f"no wording that is false for this run (true: {wanted})",
                         f"the {variant} wording: {fragments[0][:60]!r}")


def depends_on_weights(reading: PageReading) -> bool:
    """Whether the page shows anything the weights change: a value of the forward pass, a map, a prediction,
    or a sentence worded by the kind of weights."""
    return (any(key.startswith(WEIGHT_DEPENDENT_FACTS) for key, _ in reading.facts)
            or any(image.split("/")[-1].startswith(WEIGHT_DEPENDENT_FIGURES) for image in reading.images)
            or any(variant in WEIGHTS_KINDS for name, variant in reading.claims if name != "weights_banner"))


def check_weights_notice(root: Element, ctx: Context, reading: PageReading) -> None:
    """The notice about weights that are not verified trained ones on every page whose content they change,
    and on no other page."""
    kind = ctx.expected.values.get("claims.weights_banner")
    shown = any(e.attrs.get("data-claim") == "weights_banner" for e in root.walk())
    needed = kind != "imagenet" and depends_on_weights(reading)
    if needed and not shown:
        ctx.fail("weights banner", "the notice that these weights are not verified trained ones", "none")
    elif shown and not depends_on_weights(reading):
        ctx.fail("weights banner", "no notice about weights on a page whose content does not depend on them",
                 "the notice")


def check_images(root: Element, ctx: Context, reading: PageReading) -> None:
    """Only figures this run drew, and of those with words, only the ones in the page's language."""
    for image in (e for e in root.walk() if e.tag == "img"):
        source = image.attrs.get("src", "")
        folder, _, name = source.partition("/")
        tagged = LANGUAGE_TAGGED.fullmatch(name)
        reading.images.append(f"{folder}/{tagged['base']}.png" if tagged else source)
        reading.image_files.append(source)
        if folder != FIGURE_FOLDER or name not in ctx.figure_names:
            ctx.fail(f"image {source}", "a figure this run draws", "another file")
        elif tagged and tagged["language"] != ctx.language:
            ctx.fail(f"image {source}", f"the figure drawn in this page's language ({ctx.language})",
                     f"the one in {tagged['language']}")


def check_links(root: Element, ctx: Context) -> None:
    """External links go to named sources only; a link that names a figure leads to that figure."""
    allowed = {s.url for s in sources.all_sources() if s.url}
    for link in (e for e in root.walk() if e.tag == "a"):
        target = link.attrs.get("href", "")
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) and target not in allowed:
            ctx.fail(f"link {target}", "a link to a named source (data/sources.json)", "another address")
        named = FIGURE_LINK.match(squash(link.text()))
        if named and target != f"#{named['word'].lower()}-{named['number']}":
            ctx.fail(f"link {squash(link.text())!r}", f"a link to #{named['word'].lower()}-{named['number']}",
                     repr(target))


def check_sections(root: Element, ctx: Context) -> None:
    """The report numbers some of its sections: those numbers must run 1, 2, 3... in order."""
    numbers = []
    for heading in (e for e in root.walk() if e.tag == "h2"):
        match = SECTION_NUMBER.match(heading.text())
        if match:
            numbers.append(int(match.group(0).strip().rstrip(".")))
    if numbers != list(range(1, len(numbers) + 1)):
        ctx.fail("section numbers", "1, 2, ... in order", ", ".join(map(str, numbers)))


def check_untagged_quotations(root: Element, ctx: Context) -> None:
    """A quotation element is always a verified one: nothing is presented as a quote that is not."""
    for element in root.walk():
        if element.tag in ("blockquote", "q") and "data-quote" not in element.attrs:
            ctx.fail(f"<{element.tag}>", "a quotation held in data/sources.json (quote())", repr(squash(element.text())[:60]))


def visible_text(root: Element, skip: set[int]) -> list[tuple[str, Element]]:
    """Every piece of text a reader sees outside the elements already accounted for, with its element."""
    pieces: list[tuple[str, Element]] = []
    stack: list[Element | tuple[str, Element]] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            pieces.append(item)
            continue
        if id(item) in skip or item.tag in INVISIBLE_TAGS:
            continue
        pieces.extend((item.attrs[attribute], item) for attribute in VISIBLE_ATTRIBUTES if item.attrs.get(attribute))
        stack.extend((child, item) if isinstance(child, str) else child for child in reversed(item.children))
    return pieces


def check_digits(root: Element, ctx: Context, skip: set[int]) -> None:
    """Every digit left after the verified elements must be on the allowed list; module names must be labels."""
    module_name = _module_pattern(ctx.expected.module_names)
    sources_count = len(sources.all_sources())
    for text, element in visible_text(root, skip):
        if element.tag == "a" and CITATION.match(text.strip()):
            if not 1 <= int(CITATION.match(text.strip())[1]) <= sources_count:
                ctx.fail("citation", f"a number between 1 and {sources_count}", repr(text))
            continue
        if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6") and text is element.children[0]:
            text = SECTION_NUMBER.sub(lambda m: " " * len(m.group(0)), text)
        image_name = element.attrs.get("src", "") if element.tag == "img" else ""
        for match in module_name.finditer(text):
            if match.group(0) not in image_name:
                ctx.fail("text", "module names only as checked labels", repr(match.group(0)))
        text = module_name.sub(" ", text)
        for match in FIGURE_MENTION.finditer(text):
            for number in filter(None, (match["first"], match["second"])):
                if not any(shown == number or shown.rstrip("ab") == number for shown in ctx.figure_numbers):
                    ctx.fail("figure number", f"one of the figures on this page ({', '.join(sorted(ctx.figure_numbers))})",
                             repr(match.group(0)))
        text = FIGURE_MENTION.sub(" ", text)
        for pattern, _reason in ALLOWED_NUMBERS:
            text = re.sub(pattern, " ", text)
        for token in text.split():
            if any(unicodedata.category(ch) in NUMBER_CATEGORIES for ch in token):
                ctx.fail("text", "every number to come from the model or a named source (a tagged value)",
                         f"untagged number {token!r}")


def _module_pattern(names: set[str]) -> re.Pattern[str]:
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])")


def check_quotation_marks(pieces: list[tuple[str, Element]], ctx: Context) -> None:
    """Nothing may look like a long quotation unless it is a verified one."""
    for text, _element in pieces:
        for match in QUOTE_MARKS.finditer(text):
            if len(match.group(0).split()) > LONG_QUOTATION_WORDS:
                ctx.fail("quotation marks", "a quotation held in data/sources.json (quote())",
                         repr(match.group(0)[:60]))


def read_page(page: str, text: str, ctx: Context) -> PageReading:
    ctx.page = page
    title, body = split_front_matter(text)
    root = render_markdown(body, ctx.mkdocs_yml)
    reading = PageReading()
    for element in root.walk():
        if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            reading.headings.append(element.tag)
        if element.tag == "table":
            reading.table_rows.append(sum(1 for row in element.walk() if row.tag == "tr"))
    captions = [FIGURE_MENTION.match(squash(e.text())) for e in root.walk() if e.tag == "figcaption"]
    ctx.figure_numbers = {match["first"] for match in captions if match}
    if len(ctx.figure_numbers) != len([match for match in captions if match]):
        ctx.fail("figure captions", "each figure number once", ", ".join(match["first"] for match in captions if match))
    skip = check_facts(root, ctx, reading)
    skip |= check_quotes(root, ctx)
    skip |= check_sources(root, ctx)
    skip |= check_summary_table(root, ctx)
    skip |= {id(e) for e in root.walk() if e.has_class("quote-translation")}  # held to data/sources.json's words
    check_images(root, ctx, reading)
    check_tables(root, ctx)
    check_figure_subjects(root, ctx)
    check_attachment(root, ctx)
    check_links(root, ctx)
    check_sections(root, ctx)
    check_untagged_quotations(root, ctx)
    everything = squash(" ".join(piece for piece, _ in visible_text(root, set())))
    check_claims(root, ctx, reading, everything)
    check_interpretation(root, ctx)
    check_glossary(root, ctx)
    check_scopes(root, ctx)
    check_weights_notice(root, ctx, reading)
    reading.report_passages = check_report_voice(root, ctx)
    title_root = Element("title", {}, children=[title])
    check_digits(title_root, ctx, set())
    check_digits(root, ctx, skip)
    check_quotation_marks(visible_text(root, skip), ctx)
    return reading


def split_front_matter(text: str) -> tuple[str, str]:
    """The page title from the front matter, and the Markdown after it."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            title = next((line.split(":", 1)[1].strip() for line in text[4:end].splitlines()
                          if line.startswith("title:")), "")
            return title, text[end + 5:]
    return "", text


def compare_languages(page: str, readings: dict[str, PageReading], mismatches: list[Mismatch]) -> None:
    first, *others = LANGUAGES
    base = readings[first]
    for language in others:
        other = readings[language]
        for label, mine, theirs in (
            ("headings", base.headings, other.headings),
            ("figures", base.images, other.images),
            ("table rows", base.table_rows, other.table_rows),
            ("numbers", sorted(base.facts), sorted(other.facts)),
            ("claims", sorted(base.claims), sorted(other.claims)),
            ("passages in the report's voice", base.report_passages, other.report_passages),
        ):
            if mine != theirs:
                extra = Counter(map(str, theirs)) - Counter(map(str, mine))
                missing = Counter(map(str, mine)) - Counter(map(str, theirs))
                mismatches.append(Mismatch(
                    f"{page}.{language}.md", f"{label} compared with {page}.{first}.md",
                    f"the same {label} (missing here: {sorted(missing)[:3]})", f"different (only here: {sorted(extra)[:3]})",
                ))
