"""One page, read as a reader meets it: tagged values, quotations, sources, claims, figures, links, sections
and every digit; then each page compared with its translation."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..core.config import FIGURE_FOLDER, LANGUAGES
from . import quotations, site_pages
from .attachment import check_attachment
from .attributes import framed_page, visible_attributes
from .context import Context, PageReading, squash
from .css_text import check_generated_text, check_stylesheet_addresses
from .figure_subjects import check_figure_subjects
from .glossary import check_glossary
from .head import check_head
from .interpretation import check_interpretation
from .links import check_addresses, page_address
from .page_language import check_page_language
from .mismatch import Mismatch
from .numbers import canonical, value_matches
from .references import check_sources, listed_sources
from .report_voice import check_report_voice
from .scope import check_scopes
from .search_index import searchable
from .summary_table import check_summary_table
from .tables import check_tables
from .text import FIGURE_MENTION, check_text
from .typography import check_typography
from .visible import HEADINGS, INVISIBLE_TAGS, Element, parse_html

SECTION_NUMBER = re.compile(r"^\s*[0-9]+\.\s")
FIGURE_LINK = re.compile(r"^(?P<word>Figura|Figure)s? (?P<number>[0-9]+[ab]?)\b")

CITATION = re.compile(r"^\[([0-9]+)\]$")
PERMALINKS = {"headerlink", "anchor-link"}  # the classes of a heading's permanent link: toc's, nbconvert's
# What the weights change: the forward pass's values and maps, the predictions, and their figures.
WEIGHT_DEPENDENT_FACTS = ("residual.", "predictions.", "prediction_ties", "explorer.")
WEIGHT_DEPENDENT_FIGURES = ("scheme", "residual-", "comparison", "features-", "conv1-filters", "top5")
WEIGHTS_KINDS = frozenset({"imagenet", "file", "random"})


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
    """Verified quotations hold their source's exact words and nothing else (verify/quotations.py)."""
    return quotations.check_quotes(root, ctx)


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


def check_images(root: Element, ctx: Context, reading: PageReading, skip: set[int]) -> None:
    """Only figures this run drew, and of those with words, only the ones in the page's language; a link to a
    figure's file (which opens it at full size) is held to the same rule, and its file is not read again.

    A figure's address is resolved against the page's as a browser resolves it; the i18n plugin serves a
    language's version of a figure from that language's folder (verify/site_pages.py).
    """
    for element in (e for e in root.walk() if e.tag in ("img", "a") and not {id(e), *map(id, e.ancestors())} & skip):
        source = element.attrs.get("src" if element.tag == "img" else "href", "")
        shown = site_pages.figure_source(ctx.url, source)
        if element.tag == "a" and (shown is None or not shown[1].startswith(f"{FIGURE_FOLDER}/")):
            continue  # a link elsewhere: verify/links.py reads it
        site_file, path, language = shown if shown is not None else (source, source, None)
        folder, _, name = path.partition("/")
        stem, dot, suffix = name.rpartition(".")
        if language is None and name not in ctx.figure_names and f"{stem}.{LANGUAGES[0]}.{suffix}" in ctx.figure_names:
            language = LANGUAGES[0]  # the default language's version, served from the root's folder
        file = f"{stem}.{language}{dot}{suffix}" if language is not None else name
        if element.tag == "img":
            reading.images.append(f"{folder}/{name}")
            if shown is not None:
                reading.image_files.append((f"{folder}/{file}", site_file))
        kind = "image" if element.tag == "img" else "link"
        if shown is None or folder != FIGURE_FOLDER or file not in ctx.figure_names:
            ctx.fail(f"{kind} {source[:80]}", "a figure this run draws", "another file")
        elif language is not None and language != ctx.language:
            ctx.fail(f"{kind} {source}", f"the figure drawn in this page's language ({ctx.language})",
                     f"the one in {language}")


def check_links(root: Element, ctx: Context, page_url: str) -> None:
    """Every address leads to the site, a named source or the theme's credit (verify/links.py: resolved against
    page_url first); a link that names a figure leads to that figure."""
    check_addresses(root, ctx, page_url)
    for link in (e for e in root.walk() if e.tag == "a"):
        target = link.attrs.get("href", "")
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
    """A quote-styled element is always a verified quotation: nothing is presented as a quote that is not."""
    quotations.check_quote_styled(root, ctx)


def visible_text(root: Element, skip: set[int]) -> list[tuple[str, Element]]:
    """Every piece of text a reader sees outside the elements already accounted for, with its element: text
    nodes, the attributes verify/attributes.py names, and a frame's srcdoc read as a page of its own.

    ``skip`` holds the ids of elements accounted for with all they hold, and the ids of the ``attrs`` of
    elements whose attributes alone are (a navigation label that repeats a heading).
    """
    pieces: list[tuple[str, Element]] = []
    stack: list[Element | tuple[str, Element]] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            pieces.append(item)
            continue
        if id(item) in skip or item.tag in INVISIBLE_TAGS:
            continue
        if id(item.attrs) not in skip:
            pieces.extend((shown, item) for shown in visible_attributes(item))
        framed = framed_page(item)
        stack.extend([] if framed is None else [framed])
        stack.extend((child, item) if isinstance(child, str) else child for child in reversed(item.children))
    return pieces


def check_digits(root: Element, ctx: Context, skip: set[int]) -> None:
    """Every digit, and every number in words, left after the verified elements must be on an allowed list;
    module names must be labels (verify/text.py)."""
    sources_count = len(ctx.source_numbers)
    for text, element in visible_text(root, skip):
        if element.tag == "a" and CITATION.match(text.strip()):
            if not 1 <= int(CITATION.match(text.strip())[1]) <= sources_count:
                ctx.fail("citation", f"a number of the page's list (1 to {sources_count})", repr(text))
            continue
        if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6") and text is element.children[0]:
            text = SECTION_NUMBER.sub(lambda m: " " * len(m.group(0)), text)
        check_text(text, element, ctx)


def check_quotation_marks(root: Element, ctx: Context, checked: set[int]) -> None:
    """Words in quotation marks of either language, whatever their length, are a verified quotation, its
    translation or a gloss (verify/quotations.py)."""
    quotations.check_quotation_marks(root, ctx, checked)


def read_page(page: str, html: str, ctx: Context, accounted: Callable[[Element], set[int]] | None = None) -> PageReading:
    """One built page as a reader gets it: the content's rules on the article, the text rules on everything.

    ``accounted`` names elements another check has compared already (the notebook's code cells and outputs).
    """
    ctx.page = page
    root = parse_html(html)
    reading = PageReading()
    article = root.find("article")
    if article is None:
        ctx.fail("content", "the page's <article>, as the theme writes it", "none")
        article = Element("article", {})
    for element in article.walk():
        if element.tag in HEADINGS:
            reading.headings.append(element.tag)
            if element.attrs.get("id"):
                reading.sections[element.attrs["id"]] = heading_text(element)
        if element.tag == "table":
            reading.table_rows.append(sum(1 for row in element.walk() if row.tag == "tr"))
    captions = [FIGURE_MENTION.match(squash(e.text())) for e in article.walk() if e.tag == "figcaption"]
    ctx.figure_numbers = {match["first"] for match in captions if match}
    if len(ctx.figure_numbers) != len([match for match in captions if match]):
        ctx.fail("figure captions", "each figure number once", ", ".join(match["first"] for match in captions if match))
    ctx.source_numbers = listed_sources(root)
    skip = check_facts(root, ctx, reading)
    skip |= check_quotes(root, ctx)
    skip |= check_sources(root, ctx)
    own_format = check_summary_table(article, ctx)  # torchsummary's format, said so on the page
    skip |= own_format
    skip |= {id(e) for e in root.walk() if e.has_class("quote-translation")}  # held to data/sources.json's words
    skip |= table_of_contents(root, reading.sections, ctx)
    if accounted is not None:
        own_format |= accounted(article)
        skip |= own_format
    check_images(root, ctx, reading, skip)
    if ctx.site is not None and ctx.file is not None:
        path = ctx.file.relative_to(ctx.site).as_posix()
        check_links(root, ctx, page_address(path, ctx.mkdocs_yml))
        check_head(root, ctx)
        check_generated_text(root, ctx, ctx.file, ctx.site)
        check_stylesheet_addresses(root, ctx, ctx.file, ctx.site)
    check_sections(article, ctx)
    check_tables(article, ctx)
    check_figure_subjects(article, ctx)
    check_attachment(article, ctx)
    check_untagged_quotations(root, ctx)
    everything = squash(" ".join(piece for piece, _ in visible_text(article, set())))
    reading.content = searchable(article)
    reading.titles = {heading_text(e) for e in article.walk() if e.tag == "h1"}
    check_claims(article, ctx, reading, everything)
    check_interpretation(article, ctx)
    check_glossary(article, ctx)
    check_scopes(article, ctx)
    check_weights_notice(article, ctx, reading)
    reading.report_passages = check_report_voice(article, ctx)
    check_digits(root, ctx, skip)
    check_typography(root, ctx, own_format)
    check_quotation_marks(root, ctx, skip)
    check_page_language(root, ctx)
    return reading


def heading_text(heading: Element) -> str:
    """A heading's words, without the permanent link that the toc extension (or nbconvert) adds after them."""
    return squash("".join(child if isinstance(child, str) else child.text() for child in heading.children
                          if isinstance(child, str) or not PERMALINKS & set(child.attrs.get("class", "").split())))


def table_of_contents(root: Element, sections: dict[str, str], ctx: Context) -> set[int]:
    """The theme's copies of the headings in its navigation: each must link to the heading whose words it repeats.

    Those words were checked where they stand, tags and all; the copy drops the tags, so it is accounted for
    only when it repeats them exactly. A navigation entry that repeats no heading is read like any text.
    """
    done: set[int] = set()
    for link in root.walk():
        target = link.attrs.get("href", "")
        if link.tag != "a" or not target.startswith("#") or not any(a.tag == "nav" for a in link.ancestors()):
            continue
        shown = squash(link.text())
        wanted = sections.get(target[1:])
        if wanted is None:
            continue
        if shown != wanted:
            ctx.fail(f"table of contents, {target}", repr(wanted[:60]), repr(shown[:60]))
        done.add(id(link))
    for nav in (e for e in root.walk() if e.tag == "nav" and e.attrs.get("aria-label", "") in sections.values()):
        done.add(id(nav.attrs))  # the label of a nested list of the table of contents: a heading's words again
    return done


def compare_languages(names: dict[str, str], readings: dict[str, PageReading], mismatches: list[Mismatch]) -> None:
    """Each language's reading against the first language's; ``names`` says what each page is called."""
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
                    names[language], f"{label} compared with {names[first]}",
                    f"the same {label} (missing here: {sorted(missing)[:3]})", f"different (only here: {sorted(extra)[:3]})",
                ))
