"""Fixed sentences that interpret data: the lint that finds them on every page, in both languages.

A sentence that compares, explains a cause, generalises or says what the
network detects is true only for some data. On a page it must be a claim
(the data choose its wording), a verified quotation, or the original report's
voice, shown as such. What is left is a fixed sentence of the template: the
lint finds those by their words and fails unless the sentence is on the short
list below, where each entry says why it is true whatever the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core import sources
from .context import Context, squash
from .visible import INVISIBLE_TAGS, Element

# The words that make a sentence interpret: comparatives, causes, sameness, generalisations, cures, trends,
# and what a network detects or learns. Whole words, any case.
MARKERS: dict[str, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(?:more|less|fewer|greater|smaller|smallest|larger|largest|bigger|higher|highest|lower|lowest|better|"
        r"best|worse|worst|deeper|deepest|shallower|most|least|fewest|than|because|since|therefore|thus|hence|"
        r"as a result|due to|caus(?:e|es|ed|ing)|leads? to|mak(?:e|es|ing) it possible|allow(?:s|ed|ing)?|enabl(?:e|es|ed|ing)|"
        r"prevent(?:s|ed|ing)?|explain(?:s|ed|ing)?|same|identical|equal(?:s|ly)?|match(?:es|ed|ing)?|"
        r"agree(?:s|d)?|differ(?:s|ed)?|revers(?:e|es|ed)|all|every|always|never|none|solv(?:e|es|ed|ing)|cur(?:e|es|ed)|"
        r"fixes|remov(?:e|es|ed|ing)|eliminat(?:e|es|ed|ing)|overcom(?:e|es|ing)|increas(?:e|es|ed|ing)|"
        r"decreas(?:e|es|ed|ing)|grow(?:s|n|ing)?|improv(?:e|es|ed|ing)|detect(?:s|ed|ing)?|(?<!scikit-)learn(?:s|ed|t)?|"
        r"recogni[sz](?:e|es|ed)|respond(?:s|ed)?|sees?)\b",
        re.IGNORECASE,
    ),
    "es": re.compile(
        r"(?<!\w)(?:más(?!\s+(?:la|el|los|las|un|una|…)\s)|menos|mayor(?:es)?|menor(?:es)?|mejor(?:es)?|peor(?:es)?|porque|ya que|puesto que|"
        r"debido a|por eso|por lo tanto|por ello|así|de modo que|hace posible|permit\w*|caus\w*|provoc\w*|hace que|"
        r"lleva a|evit\w*|explic\w*|difier\w*|mism[oa]s?|igual(?:es)?|idéntic[oa]s?|coincid\w*|invert\w*|invier\w*|"
        r"tod[oa]s?|siempre|nunca|ningún|ningun[oa]|nada|resuel\w*|resolv\w*|solucion\w*|elimin\w*|cur[ao]\w*|"
        r"supera\w*|aument(?!os?\b)\w*|disminu\w*|crec\w*|mejor[aó]\w*|detect\w*|aprend(?:e|en|ió|ieron|ido|a|an|er)|reconoc\w*|respond\w*)(?!\w)",
        re.IGNORECASE,
    ),
}


@dataclass(frozen=True)
class Allowed:
    """Fixed sentences, by how they start in each language, that are true whatever the data, and why."""

    reason: str
    starts: dict[str, tuple[str, ...]]


ALLOWED: tuple[Allowed, ...] = (
    Allowed(
        "the tool's own process: the check compares facts.json, every figure, every explorer file and every "
        "tagged value with what these inputs produce, and fails the build otherwise",
        {"en": ("Every computed table, figure and number on this page comes from", "Every computed number on this page",
                "Every map below is a tensor of this very run", "All the images come from the tensors of this very run",
                "Every number on the site is also in", "Before the site is published, the check decodes every file",
                "Explorer: every channel, every block", "The explorer opens every channel of every stage",
                "It runs on every site build", "Load the weights (with the same verification as the report)"),
         "es": ("Cada mapa de abajo es un tensor de esta misma ejecución", "Todas las imágenes salen de los tensores",
                "Una verificación independiente detiene la publicación si el texto no coincide",
                "En cada píxel la página calcula ella misma",
                "Cargar los pesos (con la misma verificación que el informe)")},
    ),
    Allowed(
        "enforced: the check compares these values with torchvision's published ones and fails the build when one "
        "differs (verify/family.py), so a published page never shows this sentence false",
        {"en": ("The parameters computed here match the ones torchvision publishes",),
         "es": ("Los parámetros calculados aquí coinciden con los que publica torchvision",)},
    ),
    Allowed(
        "a figure's construction (report/figures.py draws one channel on one colour scale, report/galleries.py a "
        "stage's channels on one scale, chosen by this ranking), which the check reproduces byte for byte",
        {"en": ("Figure 2a - Residual addition", "Most active channels of",
                "For each stage, the", "Figure 1 - ResNet18 architecture with images"),
         "es": ("Figura 2a - Suma residual", "Canales más activos de", "Para cada etapa se muestran",
                "Figura 1 - Arquitectura de ResNet18 con imágenes")},
    ),
    Allowed(
        "torchvision's code: BasicBlock adds its shortcut with `out += identity` and its ReLU is in place, and an "
        "addition needs equal shapes, which is why exactly the blocks with a `downsample` change size",
        {"en": ("The same check for the", "In ResNet18,", "keeps copies (clones) of every tensor"),
         "es": ("La misma comprobación para los", "En ResNet18,", "guarda copias (clones) de cada tensor")},
    ),
    Allowed(
        "arithmetic and definitions: what ReLU does, and how far float16 rounding can move a value",
        {"en": ("The ReLU then cuts every negative value to zero", "The residual view shows the difference",
                "The values are stored as half-precision floating point numbers"),
         "es": ("Luego la ReLU lleva a cero todo valor negativo", "Los valores se guardan como números de punto flotante",
                "La vista residual muestra la diferencia")},
    ),
    Allowed(
        "what the weights options do (inputs/weights.py), which tests/test_weights.py holds them to: "
        "`--weights imagenet` refuses rather than falling back",
        {"en": ("With … , the default, the generator looks for",),
         "es": ("Con … , la opción por defecto, el generador busca",)},
    ),
    Allowed(
        "the kind of this run's weights: the notebook says this only when they are random (report/notebook.py), "
        "and random weights hold nothing learned",
        {"en": ("The ImageNet weights were not found, so this notebook ran with random weights",),
         "es": ("No se encontraron los pesos de ImageNet, así que este cuaderno se ejecutó con pesos aleatorios",)},
    ),
    Allowed(
        "the shorter side, a fixed step of torchvision's preprocessing (Resize(256) acts on it)",
        {"en": (), "es": ("Entrada: imagen RGB", "La imagen … tal como entra a la red",
                          "Como la prepara torchvision para estos pesos")},
    ),
)

EXEMPT_CLASSES = frozenset({"claim", "report-voice", "quote-translation"})
EXEMPT_ATTRIBUTES = frozenset({"data-quote", "data-fact", "data-source"})
EXEMPT_TAGS = INVISIBLE_TAGS | {"code", "pre", "script"}
STATEMENTS = frozenset({"p", "li", "td", "th", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd",
                        "summary", "caption"})
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^a-z])")


def exempt(element: Element, keep_claims: bool = False) -> bool:
    """Claims, quotations, the report's voice, tagged values and code hold no fixed sentence of the template
    (claims are this project's words all the same: the glossary reads them)."""
    return (element.tag in EXEMPT_TAGS or not EXEMPT_ATTRIBUTES.isdisjoint(element.attrs)
            or not element.classes.isdisjoint(EXEMPT_CLASSES - {"claim"} if keep_claims else EXEMPT_CLASSES))


def own_text(element: Element, keep_claims: bool = False) -> str:
    """The statement's fixed words: exempt elements become a gap, nested statements are read on their own."""
    parts = []
    for child in element.children:
        if isinstance(child, str):
            parts.append(child)
        elif exempt(child, keep_claims):
            parts.append(" … ")
        elif child.tag in STATEMENTS:
            parts.append("\n")
        else:
            parts.append(own_text(child, keep_claims))
    return "".join(parts)


def fixed_sentences(root: Element, keep_claims: bool = False) -> list[str]:
    """Every sentence of the page's own text outside claims, quotations, the report's voice and tagged values."""
    sentences = []
    stack = [root]
    while stack:  # document order, never entering an exempt element
        element = stack.pop()
        if exempt(element, keep_claims):
            continue
        stack.extend(child for child in reversed(element.children) if isinstance(child, Element))
        if element.tag not in STATEMENTS:
            continue
        for line in own_text(element, keep_claims).split("\n"):
            text = squash(line.replace("¶", "").replace("…", " … "))
            sentences.extend(squash(re.sub(r"(?:\s*…)+", " …", s)).lstrip("… ") for s in SENTENCE_END.split(text)
                             if s.strip(" …"))
    return sentences


def allowance(sentence: str, language: str) -> Allowed | None:
    return next((entry for entry in ALLOWED
                 if any(sentence.startswith(start) for start in entry.starts.get(language, ()))), None)


def candidates(root: Element, language: str, scope_words: str = "") -> list[tuple[str, list[str]]]:
    """Each fixed sentence with the interpreting words it holds, allowed ones included (the words that say a
    value is the whole block's, verify/scope.py, state a scope, not a generalisation)."""
    found = []
    for sentence in fixed_sentences(root):
        words = MARKERS[language].findall(sentence.replace(scope_words, " ") if scope_words else sentence)
        if words:
            found.append((sentence, words))
    return found


def check_interpretation(root: Element, ctx: Context) -> None:
    """A fixed sentence that compares, explains, generalises or says what the network detects fails the page."""
    check_translations(root, ctx)
    scope_words = squash(ctx.strings["scope_block"])
    for sentence, words in candidates(root, ctx.language, scope_words):
        if allowance(sentence, ctx.language) is None:
            ctx.fail("fixed sentence that interprets",
                     "a claim chosen by the data, a verified quotation or the original report's voice "
                     f"(it says {', '.join(dict.fromkeys(w.lower() for w in words))!r})",
                     repr(sentence[:120]))


def check_translations(root: Element, ctx: Context) -> None:
    """A translation of a quotation follows that quotation and says what the translations file holds for it."""
    for element in (e for e in root.walk() if e.has_class("quote-translation")):
        key = element.attrs.get("data-translates", "")
        siblings = [c for c in element.parent.children if isinstance(c, Element)] if element.parent else []
        before = siblings[siblings.index(element) - 1] if siblings.index(element) > 0 else None
        try:
            translation = (sources.quote(key).translations or {}).get(ctx.language, "")
        except KeyError:
            translation = ""
        wanted = squash(f"{ctx.strings['translation_label']} {translation}")
        if not translation or before is None or before.attrs.get("data-quote") != key:
            ctx.fail(f"translation of {key}", "right after the quotation it translates", "elsewhere")
        elif squash(element.text()) != wanted:
            ctx.fail(f"translation of {key}", "the translation data/sources.json holds for it", repr(element.text()[:80]))
