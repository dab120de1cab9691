"""Every figure's words are readable at the size the page shows them, on a desktop and on a phone.

Each page with figures, in both languages, is opened in Chromium at 1280 and 390 CSS px wide. A figure is an
``<img>`` of an SVG, so its text is not in the page's DOM: the SVG is fetched and parsed, and each text's
rendered height is its font size times the scale the page draws the figure at (the image's rendered width
over the SVG's viewBox width). None may be under 10 CSS px. A figure that the column shrinks below its own
size is a link to its file, which a reader opens at full size.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from .browser_support import LANGUAGES, Tab, new_context, open_tab
from .conftest import Build

pytestmark = pytest.mark.browser

SMALLEST_TEXT_PX = 10
WIDTHS = {"desktop": 1280, "phone": 390}
# Every page that shows an SVG figure (asserted below); the maps page shows one, the top-5, with ImageNet weights.
FIGURE_PAGES = ("", "maps/", "family/", "experiment/")

MEASURE = """async () => {
    const figures = [];
    for (const img of document.querySelectorAll('article img')) {
        if (!new URL(img.currentSrc || img.src).pathname.endsWith('.svg')) continue;
        img.scrollIntoView({block: 'center'});
        if (!img.complete) await new Promise(resolve => {
            img.addEventListener('load', resolve, {once: true});
            img.addEventListener('error', resolve, {once: true});
        });
        const svg = new DOMParser().parseFromString(await (await fetch(img.currentSrc)).text(), 'image/svg+xml')
            .documentElement;
        const shown = img.getBoundingClientRect().width;
        const scale = shown / svg.viewBox.baseVal.width;
        const link = img.closest('a');
        figures.push({
            src: img.currentSrc, shown, natural: img.naturalWidth,
            opens: link ? new URL(link.href).pathname === new URL(img.currentSrc).pathname : false,
            texts: [...svg.querySelectorAll('text')].map(text => {
                const size = parseFloat(/font-size:\\s*([0-9.]+)px/.exec(text.getAttribute('style') || '')[1]);
                return {text: text.textContent, px: size * scale};
            }),
        });
    }
    return figures;
}"""


@pytest.fixture(scope="module", params=list(WIDTHS))
def sized(request: pytest.FixtureRequest, browser: Browser, site_url: str) -> Iterator[Tab]:
    context = new_context(browser, viewport={"width": WIDTHS[request.param], "height": 900})
    tab = open_tab(context, site_url)
    yield tab
    context.close()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", FIGURE_PAGES)
def test_every_figure_text_is_at_least_10_css_px(sized: Tab, built: Build, language: str, page: str) -> None:
    sized.open(language, page)
    figures = sized.page.evaluate(MEASURE)
    assert figures or (page == "maps/" and not built.facts.predictions), "no SVG figure on the page"
    small = [f"{figure['src'].rsplit('/', 1)[-1]}: {text['text']!r} {text['px']:.1f} px"
             for figure in figures for text in figure["texts"] if text["px"] < SMALLEST_TEXT_PX]
    assert all(figure["texts"] for figure in figures), figures
    assert not small, small
    shrunk = [figure["src"] for figure in figures if figure["shown"] < figure["natural"] - 1 and not figure["opens"]]
    assert not shrunk, f"figures shown smaller than their size, with no link to open them: {shrunk}"
    assert not sized.errors, sized.errors


def test_the_pages_measured_are_every_page_with_an_svg_figure(built: Build) -> None:
    for path in built.site.rglob("index.html"):
        parts = [part for part in path.parent.relative_to(built.site).parts if part not in LANGUAGES]
        page = "".join(f"{part}/" for part in parts)
        if re.search(r'<img [^>]*src="[^"]*\.svg"', path.read_text(encoding="utf-8")):
            assert page in FIGURE_PAGES, path
