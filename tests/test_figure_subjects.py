"""A figure belongs to the heading, caption and alt text that name its subject.

The sample of issue 27 is layer3's maps moved under layer1's heading; the other cases name another stage
in the caption, another block in the alt text, a second stage beside the right one, and leave a heading
out.
"""

from __future__ import annotations

from generator.verify.figure_subjects import check_figure_subjects, item_kinds
from generator.verify.visible import parse_html

from .conftest import Build, Derived
from .site_pages import context, failures, site_articles


def gallery(heading: str, name: str, alt: str | None = None, caption: str | None = None) -> str:
    """One stage's section of the maps page, as the site writes it."""
    return (f'<h3 id="{heading}"><code><span class="fact" data-fact="galleries.x.name">{heading}</span></code>: '
            f'64x56x56</h3>\n<figure id="maps-{name}">\n'
            f'<img alt="{alt or f"Grid with the most active channels of {name}"}" src="../../img/features-{name}.png" />'
            f'\n<figcaption>{caption or f"Most active channels of <code>{name}</code>."}</figcaption>\n</figure>\n')


def run(html: str, derived: Derived, language: str = "en") -> list[str]:
    ctx = context(derived.expected, language)
    check_figure_subjects(parse_html(html), ctx)
    return failures(ctx)


def test_the_galleries_as_written_pass(derived: Derived) -> None:
    html = "".join(gallery(name, name) for name in ("relu", "layer1", "layer2", "layer3", "layer4"))
    assert run(html, derived) == []


def test_layer3s_maps_under_layer1s_heading_fail(derived: Derived) -> None:
    html = gallery("layer1", "layer3") + gallery("layer2", "layer2")
    assert run(html, derived) == [
        "page: figure ../../img/features-layer3.png, heading: expected the stage layer3 named, and no other, "
        "found layer1 in 'layer1: 64x56x56'",
    ]


def test_a_caption_naming_another_stage_fails(derived: Derived) -> None:
    found = run(gallery("layer2", "layer2", caption="Most active channels of <code>layer4</code>."), derived)
    assert found == ["page: figure ../../img/features-layer2.png, caption: expected the stage layer2 named, and no "
                     "other, found layer4 in 'Most active channels of layer4.'"]


def test_a_caption_naming_a_second_stage_beside_its_own_fails(derived: Derived) -> None:
    found = run(gallery("layer2", "layer2", caption="Most active channels of layer2 (and of layer3)."), derived)
    assert len(found) == 1 and "caption" in found[0] and "found layer3 in" in found[0], found


def test_alt_text_naming_another_block_fails(derived: Derived) -> None:
    html = ('<h2>Residual addition</h2><figure><img alt="Four maps of the same channel in block layer2.1" '
            'src="img/residual-layer1.0.en.svg"/><figcaption>Figure 2a - Residual addition in '
            '<code><span class="fact" data-fact="residual.0.name">layer1.0</span></code>.</figcaption></figure>')
    assert run(html, derived) == [
        "page: figure img/residual-layer1.0.en.svg, alt text: expected the block layer1.0 named, and no other, "
        "found layer2.1 in 'Four maps of the same channel in block layer2.1'",
    ]
    assert run(html.replace("layer2.1", "layer1.0"), derived) == []
    moved = run(html.replace("layer2.1", "layer1.0").replace("Residual addition</h2>", "Block layer3.0</h2>"), derived)
    assert len(moved) == 1 and "heading: expected the block layer1.0 named, or no block at all" in moved[0], moved


def test_a_sub_module_does_not_name_its_stage(derived: Derived) -> None:
    html = gallery("layer1", "layer1", alt="Grid with the most active channels of layer1, after layer2.0.conv1")
    assert run(html, derived) == []


def test_a_figure_without_a_heading_or_caption_fails(derived: Derived) -> None:
    found = run('<figure><img alt="Maps of layer4" src="img/features-layer4.png"/></figure>', derived)
    assert [f.split(": expected")[0] for f in found] == ["page: figure img/features-layer4.png, caption",
                                                         "page: figure img/features-layer4.png, heading"]


def test_items_are_the_models_stages_blocks_and_modules(derived: Derived) -> None:
    kinds = item_kinds(derived.expected.values)
    assert kinds["layer3"] == "stage" and kinds["layer3.1"] == "block" and kinds["relu"] == "module"


def test_every_figure_of_the_built_site_sits_with_its_subject(built: Build, derived: Derived) -> None:
    checked = 0
    for page, language, article in site_articles(built.site):
        ctx = context(derived.expected, language, page)
        check_figure_subjects(article, ctx)
        assert failures(ctx) == [], page
        checked += sum(1 for e in article.walk() if e.tag == "img" and "/features-" in e.attrs.get("src", ""))
    assert checked == 2 * 5  # the five galleries, in both languages
