"""Every address a page makes the browser follow, load or submit is resolved against the page first, then held
to the site, the named sources and the theme's credit (issue 27: a link to //evil.example/...)."""

from __future__ import annotations


import pytest

from generator.core import sources
from generator.verify.links import page_address, theme_credit
from generator.verify.site_pages import page_path
from generator.verify.page import check_links
from generator.verify.visible import parse_html

from .conftest import ROOT, Build
from .site_pages import context

MKDOCS_YML = ROOT / "mkdocs.yml"
PAGE = "en/maps/index.html"


def failures(html: str, page: str = PAGE) -> list[str]:
    ctx = context(None, "en", page)
    check_links(parse_html(html), ctx, page_address(page, MKDOCS_YML))
    return [str(m) for m in ctx.mismatches]


@pytest.mark.parametrize("html", [
    '<p><a href="//evil.example/x">the paper</a></p>',
    '<img src="//evil.example/x.png" alt="">',
    '<link rel="stylesheet" href="//evil.example/x.css">',
    '<a href="\\\\evil.example/x">x</a>',
    '<a href="/\\evil.example/x">x</a>',
    '<a href="https:evil.example">x</a>',
    '<a href="HTTPS://EVIL.example/">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href=" &#10;javascript:alert(1)">x</a>',
    '<a href="JavaScript:alert(1)">x</a>',
    '<a href="data:text/html,<p>34 layers</p>">x</a>',
    '<iframe src="data:text/html,x"></iframe>',
    '<a href="mailto:someone@example.com">x</a>',
    '<a href="file:///etc/passwd">x</a>',
    '<script src="https://cdn.example/x.js"></script>',
    '<iframe src="https://evil.example/"></iframe>',
    '<embed src="//evil.example/x.swf">',
    '<object data="//evil.example/x"></object>',
    '<form action="//evil.example/submit"><input name="q"></form>',
    '<form><button formaction="https://evil.example/">go</button></form>',
    '<video poster="//evil.example/p.png" src="movie.mp4"></video>',
    '<audio src="//evil.example/a.mp3"></audio>',
    '<blockquote cite="https://evil.example/paper"><p>x</p></blockquote>',
    '<q cite="//evil.example/">x</q>',
    '<svg><a href="//evil.example/">x</a></svg>',
    '<svg><use xlink:href="//evil.example/sprite.svg#i"></use></svg>',
    '<img srcset="figures/a.png 1x, //evil.example/b.png 2x" src="figures/a.png" alt="">',
    '<picture><source srcset="//evil.example/b.webp"><img src="figures/a.png" alt=""></picture>',
    '<a href="x.html" ping="//evil.example/track">x</a>',
    '<meta http-equiv="refresh" content="0; url=//evil.example/">',
    "<meta http-equiv=\"Refresh\" content=\"5;URL='https://evil.example/'\">",
    '<base href="//evil.example/"><a href="maps/">x</a>',
    '<iframe srcdoc="&lt;a href=&quot;//evil.example/&quot;&gt;x&lt;/a&gt;"></iframe>',
    # a named source's host, but another address on it; the theme's host, but another page
    '<a href="https://openaccess.thecvf.com/other.pdf">x</a>',
    '<a href="https://squidfunk.github.io/mkdocs-material/../../evil/">x</a>',
])
def test_an_address_that_leaves_the_site_fails(html: str) -> None:
    found = failures(html)
    assert found and all("an address on the site" in line for line in found), found


@pytest.mark.parametrize("link", ["/assets/x.css", "../../../x", "%2e%2e/%2e%2e/%2e%2e/x", "/en/", "https://u.github.io/other/"])
def test_a_site_served_from_a_folder_is_left_above_it(link: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With site_url set (a GitHub Pages project site), the host's root and what is above the folder are elsewhere."""
    monkeypatch.setenv("SITE_URL", "https://u.github.io/repo/")
    from generator.verify import links
    links.site_address.cache_clear()
    try:
        assert failures(f'<a href="{link}">x</a>'), link
        assert not failures('<a href="../../assets/x.css">x</a> <a href="https://u.github.io/repo/en/">x</a>')
    finally:
        links.site_address.cache_clear()


@pytest.mark.parametrize("html", [
    '<a href="../maps/#figure-1">x</a>',
    '<a href="#figura-1">Figura 1</a>',
    '<a href="">x</a>',
    '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">',
    '<link rel="stylesheet" href="../../assets/stylesheets/main.css">',
    '<meta http-equiv="refresh" content="0; url=../">',
])
def test_an_address_on_the_site_passes(html: str) -> None:
    assert failures(html) == []


def test_named_sources_and_the_theme_credit_pass() -> None:
    named = [s.url for s in sources.all_sources() if s.url]
    assert named and failures("".join(f'<a href="{url}">x</a>' for url in [*named, theme_credit()])) == []


def test_the_theme_credit_is_the_one_mkdocs_yml_writes() -> None:
    """The footer credit's address comes from Material's package, and it is the one mkdocs.yml's copyright writes."""
    assert f'href="{theme_credit()}"' in MKDOCS_YML.read_text(encoding="utf-8")


def test_docs_pages_land_where_the_i18n_plugin_puts_them() -> None:
    assert [page_path(name, language) + "index.html"
            for name, language in (("index", "es"), ("maps", "es"), ("index", "en"), ("maps", "en"))] == [
        "index.html", "maps/index.html", "en/index.html", "en/maps/index.html"]


def test_every_address_of_the_built_site_passes(built: Build) -> None:
    pages = sorted(built.site.rglob("*.html"))
    assert len(pages) >= 14
    found = [line for page in pages
             for line in failures(page.read_text(encoding="utf-8"), page.relative_to(built.site).as_posix())]
    assert found == []
