"""Facts + templates + translations -> Markdown, one set of pages per language.

Number formats live only in the filters here. Every value a template shows
goes through a tag the check reads back: ``fact()`` for computed and cited
numbers and for labels (module, stage, block and class names), ``quote()``
for quotations, ``gloss()`` for a short term in quotation marks, ``claim()``
for sentences whose truth depends on the weights or on a value, and
``sources_list()`` for the references. Any untagged digit a reader can see
is an error in the check.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import Any

import jinja2
import jinja2.bccache
from markupsafe import Markup

from ..core import sources
from ..core.config import FIGURE_FOLDER, LANGUAGES, PACKAGE
from ..core.translations import translations
from .facts import Facts, lookup
from .figure_names import figure_files

TEMPLATES = PACKAGE / "templates"
PAGES: tuple[str, ...] = ("index", "maps", "explorer", "own-image", "family", "experiment", "reproducibility")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


# language -> (thousands separator, decimal mark, gap before %); Spanish after the RAE:
# a narrow no-break space groups thousands (not in four-digit numbers), a comma marks decimals.
NUMBER_STYLES: dict[str, tuple[str, str, str]] = {"en": (",", ".", ""), "es": ("\u202f", ",", "\u202f")}


# style -> decimals: a fraction as a percentage; a count in units of 10^9 (gmacs1: as the paper rounds)
PERCENT_DECIMALS: dict[str, int] = {"percent0": 0, "percent": 1, "percent2": 2}
GIGA_DECIMALS: dict[str, int] = {"gmacs1": 1, "gmacs": 3}
SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")  # a scientific value's exponent
MINUS = "\u2212"  # the minus sign: a negative number on a page never shows the hyphen-minus
NONZERO_DIGIT = re.compile("[1-9]")
SHAPE_SIGN = "×"  # between the sides of a shape: 64×112×112, never 64x112x112


def format_number(value: Any, style: str = "auto", language: str = "en") -> str:
    """The single place prose numbers become text, in the reader's language and in one typography for both
    (README, "Two languages"): the minus sign U+2212, never the hyphen-minus; an exact zero as 0 in every
    style; a shape's side (style "dimension") never grouped, so that 1024×14×14 reads as one shape."""
    thousands, decimal, percent_gap = NUMBER_STYLES[language]
    if isinstance(value, bool) or style == "plain" or not isinstance(value, (int, float)):
        return str(value)
    if style == "torchsummary":
        return torchsummary_count(value)
    suffix = f"{percent_gap}%" if style in PERCENT_DECIMALS else ""
    if style == "dimension":
        text = str(value)
    elif value == 0:  # 0, never 0.00 × 10⁰ nor 0.0%: nothing was rounded to give it
        text = "0"
    elif style in PERCENT_DECIMALS:
        text = f"{value * 100:.{PERCENT_DECIMALS[style]}f}"
    elif style == "sci":  # in the language's own notation (translations: number.scientific), never 1e-05
        mantissa, exponent = f"{value:.2e}".split("e")
        text = translations(language)["number.scientific"].format(
            mantissa=mantissa, exponent=str(int(exponent)).translate(SUPERSCRIPTS))
    elif style == "fixed3":  # as a source gives it, to the thousandth
        text = f"{value:.3f}"
    elif style in GIGA_DECIMALS:
        text = f"{value / 1e9:.{GIGA_DECIMALS[style]}f}"
    elif isinstance(value, int):
        text = f"{value:,}" if language == "en" or abs(value) >= 10_000 else str(value)
    else:
        text = _four_digits(value, language)
    if not NONZERO_DIGIT.search(text):
        text = text.lstrip("-")  # rounded to nothing: no sign for a zero the reader sees
    grouped = text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    return grouped.replace("-", MINUS) + suffix


def _four_digits(value: float, language: str) -> str:
    """A measured value to four significant digits, in Python's marks, never with an exponent (the check
    refuses one outside the scientific style): whole and grouped as counts are from a thousand up, with
    its zeros written out below 10⁻⁴."""
    if not value:
        return "0"
    if abs(float(f"{value:.4g}")) >= 1000:
        whole = round(value)
        return f"{whole:,}" if language == "en" or abs(whole) >= 10_000 else str(whole)
    if abs(value) < 1e-4:
        return f"{value:.{3 - math.floor(math.log10(abs(value)))}f}"
    return f"{value:.4g}"


def torchsummary_count(value: int) -> str:
    """Parameter counts in the summary table, exactly as torchsummary (and the report) print them."""
    return f"{value:,}"


def torchsummary_megabytes(value: float) -> str:
    """torchsummary's size lines: two decimals, '%0.2f'."""
    return f"{value:0.2f}"


def shape(values: tuple[int, ...] | list[int]) -> str:
    """torchsummary's output-shape cell: [-1, 64, 112, 112]."""
    return "[" + ", ".join(str(v) for v in values) + "]"


def formula(terms: tuple[tuple[int, ...], ...] | list[list[int]]) -> str:
    """The "Cálculos" cell: products joined by +, or - when a layer has no parameters."""
    if not terms:
        return "-"
    return " + ".join(" \\* ".join(str(f) for f in term) for term in terms)


def user_text(value: str) -> Markup:
    """Text a user gave (a file name): no HTML, no Markdown link or emphasis can come through."""
    return Markup(MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(value), quote=True)))


@dataclass
class Citations:
    """The sources one page cites, numbered in the order it first cites them, for its reference list.

    A cited number, a quotation, a gloss of the original report's words and a reference link all cite their
    source; the list, at the page's end, names those and no other. A citation after the list is an error:
    the list would lack it.
    """

    numbers: dict[str, int] = field(default_factory=dict)
    listed: bool = False

    def number(self, key: str) -> int:
        if self.listed and key not in self.numbers:
            raise ValueError(f"source {key!r} cited after the page's reference list")
        return self.numbers.setdefault(key, len(self.numbers) + 1)


@dataclass(frozen=True)
class TemplateHelpers:
    """What a template may call to write a value, a quotation or a claim: each tags what it writes for the check.

    One page's helpers: ``citations`` gathers the sources that page cites.
    """

    language: str
    facts: Facts
    figures: dict[str, str]
    strings: dict[str, str]
    env: jinja2.Environment
    citations: Citations = field(default_factory=Citations)

    def t(self, key: str) -> str:
        if key not in self.strings:
            raise KeyError(f"translation key {key!r} missing from {self.language}.json")
        return self.strings[key]

    def fact(self, path: str, style: str = "auto", code: bool = False, css: str = "fact") -> Markup:
        value = lookup(self.facts, path)
        if style == "conversion":  # a conversion applied to the image, or none, in words
            text = self.t(f"conversion_{value}" if value else "conversion_none")
        elif isinstance(value, bool) and style not in ("plain", "auto"):
            text = self.t(f"bool.{style}.{str(value).lower()}")  # a yes/no or either/or shown as words
        elif isinstance(value, str) and style not in ("plain", "auto"):
            text = self.t(f"code.{style}.{value}")  # an outcome's code shown as words
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                style = "plain"  # words, hashes, versions: shown as they are in every language
            text = format_number(value, style, self.language)
        span = f'<span class="{css}" data-fact="{path}" data-style="{style}">{user_text(text)}</span>'
        return Markup(f"<code>{span}</code>" if code else span)

    def dimensions(self, *paths: str) -> Markup:
        """A shape or size, its sides joined by the multiplication sign with no space and none grouped: 224×224,
        1024×14×14 (a thousands separator inside would read as two numbers, an x as a letter)."""
        return Markup(SHAPE_SIGN.join(self.fact(path, "dimension") for path in paths))

    def dimensions_of(self, path: str) -> Markup:
        """A shape held as one list in the facts (``modules.3.output_shape``), side by side."""
        return self.dimensions(*(f"{path}.{k}" for k in range(len(lookup(self.facts, path)))))

    def commands(self, *paths: str) -> Markup:
        """Shell commands held in facts, one a line, as a code block whose lines the check reads back as values.

        Raw HTML, not a fenced block: a fence would print the tags. Markdown leaves
        the block as it is, so the text is escaped for HTML only (user_text's
        Markdown escapes would show as backslashes).
        """
        lines = [f'<span class="fact" data-fact="{path}" data-style="plain">{html.escape(str(lookup(self.facts, path)))}'
                 "</span>" for path in paths]
        return Markup('<pre class="commands"><code>' + "\n".join(lines) + "</code></pre>")

    def label(self, path: str) -> Markup:
        """A module, stage, block or class name, shown as code and checked with the values beside it."""
        return self.fact(path, "plain", code=True)

    def cite(self, key: str, style: str = "auto") -> Markup:
        """A number from a named source (data/sources.json), shown as cited."""
        self.citations.number(sources.cited_source(key))
        return self.fact(f"cited.{key}", style, css="fact cited")

    def source_ref(self, key: str) -> Markup:
        """A reference link: the source's number in this page's list, and the source it stands for."""
        number = self.citations.number(key)
        return Markup(f'<a class="source-ref" data-cites="{key}" href="#{self.t("sources_anchor")}">[{number}]</a>')

    def attribution(self, entry: sources.Quote) -> str:
        source = next(s for s in sources.all_sources() if s.key == entry.source)
        if entry.source == "report":
            return self.t("quote_from_report").format(heading=entry.heading)
        return self.t("quote_from_paper").format(short=source.short, section=entry.section, page=entry.page)

    def quote(self, key: str) -> Markup:
        """A quotation as a block: the source's exact words, then who said them and where."""
        entry = sources.quote(key)
        return Markup(
            f'<blockquote class="quote" data-quote="{key}">\n'
            f"<p{self.language_mark(sources.quote_language(entry))}>“{html.escape(entry.text)}”</p>\n"
            f'<p class="attribution">{html.escape(self.attribution(entry))} {self.source_ref(entry.source)}</p>\n'
            "</blockquote>"
        )

    def inline_quote(self, key: str) -> Markup:
        """A quotation inside a sentence, followed by this project's translation where the page needs one."""
        entry = sources.quote(key)
        self.citations.number(entry.source)
        marked = self.language_mark(sources.quote_language(entry))
        quoted = f'<q class="quote" data-quote="{key}"{marked}>{html.escape(entry.text)}</q>'
        translation = self.quote_translation(key)
        if translation:
            quoted += (f' (<span class="quote-translation" data-translates="{key}">'
                       f'{html.escape(self.t("translation_label"))} {translation}</span>)')
        return Markup(quoted)

    def language_mark(self, language: str) -> str:
        """` lang="en"` where a source's own words (a quotation, a title) stand on a page in another language."""
        return "" if language == self.language else f' lang="{language}"'

    def quote_translation(self, key: str) -> str:
        """This project's translation of a quotation into the page's language, or "" where none is needed."""
        return html.escape((sources.quote(key).translations or {}).get(self.language, ""))

    def gloss(self, key: str) -> Markup:
        """A short term in the language's quotation marks (a name, a word of the original report), tagged so the
        check holds its words to data/glosses.json: marks are for quotations, and this is the one other use."""
        opening, closing = sources.GLOSS_MARKS[self.language]
        entry = sources.gloss(key)
        if entry.source is not None:  # the original report's words: the report is cited
            self.citations.number(entry.source)
        words = html.escape(entry.words[self.language])
        return Markup(f'<span class="gloss" data-gloss="{key}">{opening}{words}{closing}</span>')

    def claim(self, name: str) -> Markup:
        """The wording of a sentence that is true for this run (facts.claims chose it), tagged for the check."""
        variant = self.facts.claims[name]
        text = self.env.from_string(self.t(f"claim.{name}.{variant}")).render()
        return Markup(f'<span class="claim" data-claim="{name}" data-variant="{variant}">{text}</span>')

    def sources_list(self) -> Markup:
        """The page's reference list: the sources it cited, in the order of their numbers."""
        self.citations.listed = True
        by_key = {source.key: source for source in sources.all_sources()}
        lines = []
        for key, number in self.citations.numbers.items():
            source = by_key[key]
            citation = html.escape(source.citation)
            linked = f"[{citation}]({source.url})" if source.url else citation
            lines.append(f'{number}. <span class="source" data-source="{source.key}"{self.language_mark(source.language)}>'
                         f'{linked}</span>')
        return Markup("\n".join(lines))

    def figure(self, role: str) -> str:
        if role not in self.figures:
            raise KeyError(f"page asks for figure {role!r}, which this run did not draw")
        return f"{FIGURE_FOLDER}/{self.figures[role]}"


class CompiledInThisProcess(jinja2.BytecodeCache):
    """Each template compiled once per process, though every page has an environment of its own.

    Compiling was most of the time the pages took (90 compilations of 15
    templates: the shared macros once per page). Jinja checks the source's
    checksum before it uses what is kept here, and nothing is kept on disk.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledInThisProcess()


def environment(language: str, facts: Facts, figures: dict[str, str]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([TEMPLATES / language, TEMPLATES / "shared"]),
        bytecode_cache=COMPILED,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    helpers = TemplateHelpers(language, facts, figures, translations(language), env)
    env.globals.update(
        facts=facts, fact=helpers.fact, label=helpers.label, cite=helpers.cite, quote=helpers.quote,
        inline_quote=helpers.inline_quote, quote_translation=helpers.quote_translation, claim=helpers.claim,
        gloss=helpers.gloss,
        source_ref=helpers.source_ref, sources_list=helpers.sources_list, t=helpers.t, figure=helpers.figure,
        commands=helpers.commands, dimensions=helpers.dimensions, dimensions_of=helpers.dimensions_of,
        language=language,
    )
    env.filters.update(
        torchsummary_count=torchsummary_count, torchsummary_megabytes=torchsummary_megabytes, shape=shape,
        formula=formula, user_text=user_text,
    )
    return env


def render_pages(facts: Facts) -> dict[str, str]:
    """File name (index.es.md, ...) -> Markdown for every page in every language, each showing its own figures."""
    pages = {}
    for language in LANGUAGES:
        figures = figure_files(facts, language)
        for page in PAGES:  # an environment per page: each gathers the sources it cites
            pages[f"{page}.{language}.md"] = environment(language, facts, figures).get_template(f"{page}.md.j2").render()
    return pages
