"""The explorer in Chromium, both languages: the numbers it shows are the build's data, and it stays light.

Each value is read from the page's text (the live regions a screen reader
reads), never from the canvas, and compared with the data file decoded here.
The site is served and watched as in test_browser.py: every request to
another host and every console error fails the test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page

from generator.core.config import DATA_FOLDER
from generator.core.translations import translations
from generator.verify.numbers import parse_number

from .browser_support import (
    ARTIFACTS,
    LANGUAGES,
    PHONE_WIDTH,
    Tab,
)
from .conftest import Build

pytestmark = pytest.mark.browser

FIRST_LOAD_LIMIT = 1_500_000
SELECTION_LIMIT = 1_000_000
DISPLAY_DIGITS = 6  # the page writes six significant digits


class Data:
    """The build's own data files, decoded as the page decodes them."""

    def __init__(self, docs: Path) -> None:
        self.folder = docs / DATA_FOLDER
        self.index = json.loads((self.folder / "index.json").read_text(encoding="utf-8"))

    def channel(self, group: dict, role: int, c: int) -> np.ndarray:
        entry = next(f for f in group["files"] if f["channels"][0] <= c < f["channels"][1])
        raw = np.frombuffer((self.folder / entry["file"]).read_bytes(), dtype="<f2").astype(np.float64)
        count, plane = entry["channels"][1] - entry["channels"][0], group["shape"][1] * group["shape"][2]
        start = (role * count + c - entry["channels"][0]) * plane
        return raw[start:start + plane].reshape(group["shape"][1:]) * 2.0 ** entry["scale"]

    def stage(self, name: str) -> dict:
        return next(s for s in self.index["stages"] if s["name"] == name)

    def block(self, name: str) -> dict:
        return next(b for b in self.index["blocks"] if b["name"] == name)


@pytest.fixture(scope="module")
def data(built: Build) -> Data:
    return Data(built.docs)


def number(text: str, language: str) -> float:
    """A readout as the explorer writes it: the language's decimal mark and scientific notation, the minus sign
    U+2212 (a hyphen-minus or e-notation is refused: float() would take both)."""
    notation = translations(language)["number.scientific"]
    try:
        return parse_number(text.strip(), language, notation)[0]
    except ValueError:
        mantissa = text.strip().replace(",", ".") if language == "es" else text.strip()
        assert re.fullmatch(r"\u2212?[0-9]+(?:\.[0-9]+)?", mantissa), text
        return float(mantissa.replace("\u2212", "-"))


def shown_equals(shown: float, wanted: float) -> bool:
    return abs(shown - wanted) <= 10.0 ** (1 - DISPLAY_DIGITS) * abs(wanted) + 1e-300


def open_explorer(tab: Tab, language: str) -> Page:
    tab.open(language, "explorer/")
    tab.page.wait_for_selector("[data-explorer][data-ready=true]", state="attached")
    return tab.page


def choose(page: Page, view: str, select: str | None, name: str | None, channel: int) -> None:
    """Pick a tensor and a channel through the controls, and wait until the view shows them."""
    root = f"[data-view={view}]"
    if select:
        page.select_option(f"{root} [data-role={select}]", name)
    page.fill(f"{root} [data-role=channel-number]", str(channel))
    page.press(f"{root} [data-role=channel-number]", "Enter")
    page.wait_for_function(f"document.querySelector('{root}').dataset.ready === '{name or 'filter'}:{channel}'")


def point(page: Page, canvas: str, row: int, col: int, size: tuple[int, int]) -> None:
    """Hover the centre of a pixel of the canvas, scrolled to the middle of the screen (clear of the header)."""
    page.locator(canvas).evaluate("canvas => canvas.scrollIntoView({block: 'center'})")
    box = page.locator(canvas).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + (col + 0.5) * box["width"] / size[1], box["y"] + (row + 0.5) * box["height"] / size[0])


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_stage_channels_pixel_is_the_value_in_the_data(tab: Tab, data: Data, language: str) -> None:
    page = open_explorer(tab, language)
    for name, channel, row, col in (("layer2", 37, 5, 21), ("conv1", 63, 100, 3), ("layer4", 500, 6, 0)):
        choose(page, "stage", "stage", name, channel)
        size = tuple(data.stage(name)["shape"][1:])
        point(page, "[data-view=stage] canvas", row, col, size)
        readout = page.locator("[data-view=stage] [data-role=readout]")
        assert (readout.get_attribute("data-row"), readout.get_attribute("data-col")) == (str(row), str(col))
        shown = number(readout.inner_text().rsplit(":", 1)[1], language)
        wanted = data.channel(data.stage(name), 0, channel)[row, col]
        assert shown_equals(shown, wanted), (name, channel, row, col, shown, wanted)
    screenshot(page, f"explorer-stage-{language}.png")
    assert not tab.errors, "\n".join(tab.errors)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_residual_identity_holds_at_pixels_of_several_blocks(tab: Tab, data: Data, language: str) -> None:
    page = open_explorer(tab, language)
    within = {"es": "se cumple", "en": "holds"}[language]
    signs: list[str] = []  # F(x)'s readouts are negative at some of these pixels: written with the minus sign
    for name, channel in (("layer1.0", 5), ("layer2.0", 77), ("layer3.1", 200), ("layer4.0", 511)):
        choose(page, "block", "block", name, channel)
        group = data.block(name)
        size = tuple(group["shape"][1:])
        for row, col in ((0, 0), (size[0] // 2, size[1] // 3), (size[0] - 1, size[1] - 1)):
            point(page, "[data-view=block] canvas >> nth=2", row, col, size)
            page.wait_for_function(f"document.querySelector('[data-view=block]').dataset.row === '{row}' && "
                                   f"document.querySelector('[data-view=block]').dataset.col === '{col}'")
            texts = {role: page.inner_text(f"[data-view=block] output[data-role={role}]")
                     for role in ("shortcut", "residual", "relu", "output", "difference", "bound")}
            signs.append(texts["residual"][:1])
            shown = {role: number(text, language) for role, text in texts.items()}
            assert abs(max(0.0, shown["shortcut"] + shown["residual"]) - shown["output"]) <= shown["bound"] * 1.001
            assert within in page.inner_text("[data-view=block] output[data-role=verdict]")
            for role, key in enumerate(("shortcut", "residual", "output")):
                wanted = data.channel(group, role, channel)[row, col]
                assert shown_equals(shown[key], wanted), (name, channel, row, col, key, shown[key], wanted)
    assert "\u2212" in signs, signs
    screenshot(page, f"explorer-blocks-{language}.png")
    assert not tab.errors, "\n".join(tab.errors)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_keyboard_alone_changes_the_channel_and_moves_the_cursor(tab: Tab, language: str) -> None:
    page = open_explorer(tab, language)
    page.locator("body").focus()
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "stage-channel":
            break
    else:
        pytest.fail("the stage's channel slider cannot be reached with the Tab key")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('[data-view=stage]').dataset.ready === 'conv1:2'")
    assert page.input_value("[data-view=stage] [data-role=channel-number]") == "2"
    page.keyboard.press("Tab")  # the number field
    page.keyboard.press("Tab")  # the map
    assert page.evaluate("document.activeElement.tagName") == "CANVAS"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    readout = page.locator("[data-view=stage] [data-role=readout]")
    assert (readout.get_attribute("data-row"), readout.get_attribute("data-col")) == ("1", "1")
    assert not tab.errors, "\n".join(tab.errors)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_control_has_a_label(tab: Tab, language: str) -> None:
    page = open_explorer(tab, language)
    unnamed = page.evaluate("""() => [...document.querySelectorAll('[data-view] input, [data-view] select, [data-view] canvas, [data-view] output')]
        .filter(el => !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.id && document.querySelector(`label[for="${el.id}"]`))))
        .map(el => el.outerHTML.slice(0, 80))""")
    assert unnamed == []


def settled(page: Page, log: list[tuple[str, int]], quiet_ms: int = 500) -> None:
    """Until no request has finished for ``quiet_ms``: the page has fetched what it asked for."""
    seen = -1
    while seen != len(log):
        seen = len(log)
        page.wait_for_timeout(quiet_ms)


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_load_and_one_selection_stay_under_budget_on_a_phone(weighed, language: str) -> None:
    phone, log = weighed
    page = open_explorer(phone, language)
    page.wait_for_load_state("networkidle")
    first = sum(size for _, size in log)
    assert 0 < first <= FIRST_LOAD_LIMIT, log
    log.clear()
    # The page's load state was reached already, so waiting for it again returns at once: wait for the
    # selection's own data to arrive, then for the log to stay still.
    with page.expect_request_finished(lambda request: "/explorer-data/" in request.url):
        choose(page, "block", "block", "layer1.1", 40)
    settled(page, log)
    selection = sum(size for _, size in log)
    assert 0 < selection <= SELECTION_LIMIT, log
    assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]") == [PHONE_WIDTH, PHONE_WIDTH]
    screenshot(page, f"explorer-phone-{language}.png")
    assert not phone.errors, "\n".join(phone.errors)
