"""Lighthouse's accessibility and SEO categories, held page by page in headless Chromium, so no page slips back.

Accessibility is axe-core's (the engine Lighthouse runs), pinned in package.json and installed by
``make test`` with ``npm ci``: injected into each of the 14 pages of both languages, every rule must pass.
The SEO rules Lighthouse applies are read from the rendered page the way its audits read it: a title, a
meta description, a valid ``lang``, valid hreflang alternates (absolute, a language of the site), links a
crawler can follow, and an alt text on every image.
"""

from __future__ import annotations

import pytest

from .browser_support import LANGUAGES, Tab, page_params
from .conftest import ROOT
from .test_browser import search

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The rules as axe describes a failure: the rule, then each element it failed on (their selectors).
AXE_RUN = """async () => {
    const results = await axe.run(document, {resultTypes: ['violations']});
    return results.violations.map(v => `${v.id} (${v.impact}): ${v.help} at ` +
                                       v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""
# Lighthouse's SEO audits, on the rendered DOM: what each finds wrong, one line per finding.
SEO_PROBLEMS = """(languages) => {
    const problems = [];
    const title = document.querySelector('head > title');
    if (!title || !title.textContent.trim()) problems.push('document-title: no title');
    const descriptions = [...document.querySelectorAll('meta[name="description" i]')];
    if (descriptions.length !== 1 || !descriptions[0].content.trim())
        problems.push(`meta-description: ${descriptions.length} descriptions`);
    const lang = document.documentElement.getAttribute('lang') || '';
    if (!languages.includes(lang)) problems.push(`html-has-lang / valid-lang: ${JSON.stringify(lang)}`);
    for (const link of document.querySelectorAll('link[rel~="alternate" i][hreflang]')) {
        const href = link.getAttribute('href') || '';
        if (!/^https?:\\/\\//.test(href)) problems.push(`hreflang: a relative address ${JSON.stringify(href)}`);
        if (!languages.includes(link.hreflang) && link.hreflang !== 'x-default')
            problems.push(`hreflang: not a language of the site ${JSON.stringify(link.hreflang)}`);
    }
    for (const a of document.querySelectorAll('a')) {
        const raw = (a.getAttribute('href') || '').replace(/\\s/g, '');
        if (a.getAttribute('role') || raw.startsWith('mailto:') || a.getAttribute('name')) continue;
        if (!a.hasAttribute('href')) continue;
        let valid = true;
        try { new URL(raw, location.href); } catch (e) { valid = false; }
        if (raw === '' || raw.startsWith('file:') || /javascript:void(\\(|)0(\\)|)/.test(raw) || !valid)
            problems.push(`crawlable-anchors: ${a.outerHTML.slice(0, 120)}`);
    }
    for (const img of document.querySelectorAll('img')) {
        const role = img.getAttribute('role');
        if (!img.hasAttribute('alt') && !img.getAttribute('aria-label') && role !== 'presentation' && role !== 'none')
            problems.push(`image-alt: ${img.outerHTML.slice(0, 120)}`);
    }
    if (document.querySelector('meta[name="robots" i][content*="noindex" i]')) problems.push('is-crawlable: noindex');
    return problems;
}"""


def violations(tab: Tab, language: str, page: str) -> list[str]:
    """axe-core's failures on the page as loaded, then with the search dialog open (where the theme's dialog
    and its results live)."""
    tab.open(language, page)
    tab.page.add_script_tag(path=str(AXE))
    found = list(tab.page.evaluate(AXE_RUN))
    search(tab, "ResNet")
    tab.page.wait_for_selector(".md-search-result__item", state="attached")
    # The theme fades its results in: axe run mid-transition measures half-drawn text (a contrast failure on
    # whichever result is still fading), so it waits until no animation or transition runs.
    tab.page.wait_for_function("document.getAnimations().every(animation => animation.playState !== 'running')")
    return found + [f"search open: {line}" for line in tab.page.evaluate(AXE_RUN)]


@pytest.mark.browser
@pytest.mark.parametrize("screen", ["tab", "phone"], ids=["desktop", "phone"])
@pytest.mark.parametrize(("language", "page"), page_params())
def test_axe_finds_no_violation(request: pytest.FixtureRequest, screen: str, language: str, page: str) -> None:
    """At 1280 px and at a phone's width (where Lighthouse's default run looks, and most tables scroll)."""
    assert AXE.is_file(), "no axe-core: run `npm ci` (make test does)"
    found = violations(request.getfixturevalue(screen), language, page)
    assert found == [], "\n".join(found)


@pytest.mark.browser
@pytest.mark.parametrize(("language", "page"), page_params())
def test_lighthouses_seo_rules_hold(tab: Tab, language: str, page: str) -> None:
    tab.open(language, page)
    problems = tab.page.evaluate(SEO_PROBLEMS, list(LANGUAGES))
    assert tab.lang() == language
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
def test_axe_names_what_lighthouse_reported_once_it_is_planted_back(tab: Tab) -> None:
    """The search dialog without a name and links told apart by colour alone, as the theme had them: axe must say
    so, or the test above could not fail."""
    tab.open("es", "")
    tab.page.evaluate("""() => {
        document.querySelector('[role=dialog]').removeAttribute('aria-label');
        const style = document.createElement('style');
        style.textContent = '.md-typeset a { text-decoration: none !important; }';
        document.head.append(style);
    }""")
    tab.page.add_script_tag(path=str(AXE))
    found = " ".join(tab.page.evaluate(AXE_RUN))
    assert "aria-dialog-name" in found and "link-in-text-block" in found, found


@pytest.mark.browser
@pytest.mark.parametrize(
    ("planted", "needle"),
    [("document.title = ''", "document-title"),
     ("document.querySelector('meta[name=description]').remove()", "meta-description"),
     ("document.documentElement.lang = 'english'", "valid-lang"),
     ("document.head.insertAdjacentHTML('beforeend', '<link rel=\"alternate\" href=\"en/\" hreflang=\"en\">')",
      "hreflang: a relative address"),
     ("document.querySelector('article').insertAdjacentHTML('beforeend', '<a href=\"javascript:void(0)\">x</a>')",
      "crawlable-anchors"),
     ("document.querySelector('article img').removeAttribute('alt')", "image-alt")],
    ids=["title", "description", "lang", "hreflang", "anchor", "alt"],
)
def test_each_seo_rule_finds_its_break(tab: Tab, planted: str, needle: str) -> None:
    tab.open("en", "maps/")
    tab.page.evaluate(f"() => {{ {planted}; }}")
    problems = tab.page.evaluate(SEO_PROBLEMS, list(LANGUAGES))
    assert any(needle in problem for problem in problems), problems
