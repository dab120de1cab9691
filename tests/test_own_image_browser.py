"""The page that runs the model on the reader's image, in Chromium, both languages: equal to torch, private, light.

On the default photo, what the page computes in onnxruntime-web (WebAssembly)
is compared with what torch computes from the same inputs (the shared
build's weights and image, derived here):

- the preprocessed tensor, exactly: the script reproduces Pillow's integer
  resampling and rounds each float32 step as torch does
  (tests/test_preprocess_js.py argues it on many images), and the browser
  decodes the JPEG with libjpeg-turbo, as Pillow does, so the bound is 0;
- the logits, within 1e-4 of the largest logit's size;
- every stage output and every block's shortcut, F(x) and output, within
  ``STAGE_BOUND`` of the tensor's largest magnitude: both sides are float32
  with different kernels (ATen's against onnxruntime's MLAS, which also folds
  each BatchNorm into its convolution), so each value carries the rounding of
  sums of up to 4,608 products, about 2**-24 times the square root of that
  count relative to their size, compounded over at most 17 layers; measured,
  the largest is under 2e-6 of the tensor's largest magnitude.

A planted change makes the comparison fail: one weight of the served model,
one constant of the served preprocessing script. The page makes no request
once the model has loaded (a second image runs with none), sends no request
with a body, and its first load, before the reader asks for the model, stays
under the budget. Each failure it can meet has a message in its language.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from PIL import Image
from playwright.sync_api import Page

from generator.core.config import MODEL_FILE, MODEL_FOLDER, sample_image
from generator.inputs.image import load_image
from generator.inputs.weights import resolve_weights
from generator.model.resnet import build_model, preprocess, run

from .browser_support import LANGUAGES, PHONE_WIDTH, Tab
from .conftest import ROOT, Build

pytestmark = pytest.mark.browser

LOGIT_BOUND = 1e-4  # relative to the largest logit, as the issue asks
STAGE_BOUND = 1e-4  # relative to the tensor's largest magnitude: see the module's docstring
FIRST_LOAD_LIMIT = 1_500_000
RUN_TIMEOUT_MS = 240_000  # the model's 45 MB and the runtime's 15 MB from a local server, and one pass
PREPROCESS = ROOT / "docs" / "assets" / "static" / "preprocess.js"
ENCODE = """() => {
    const encode = array => {
        const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
        let text = '';
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
        return btoa(text);
    };
    const result = ResNetOwnImage.result;
    return {tensor: encode(result.tensor), backend: ResNetOwnImage.backend, seconds: result.seconds,
            outputs: Object.fromEntries(Object.entries(result.outputs).map(([name, values]) => [name, encode(values)]))};
}"""


@pytest.fixture(scope="module")
def torch_side(built: Build) -> dict[str, np.ndarray]:
    """What torch computes from the build's weights and image: the input, logits and every tensor the page shows."""
    config = built.config
    state_dict, _ = resolve_weights(config.weights, seed=config.seed, allow_download=False, log=lambda _: None)
    model = build_model(state_dict, config.seed)
    batch = preprocess(load_image(config.image)[0])
    capture = run(model, batch)
    wanted = {"input": batch, "logits": capture.logits, "conv1": capture.convolved, "maxpool": capture.pooled_stem}
    for block in capture.blocks:
        if block.downsample:
            wanted[f"{block.name}.shortcut"] = block.shortcut
        wanted[f"{block.name}.residual"] = block.residual
        wanted[f"{block.name}.output"] = block.output
    return {name: tensor.detach().numpy().reshape(-1) for name, tensor in wanted.items()}


def open_page(tab: Tab, language: str) -> Page:
    tab.page.goto(tab.site_url + LANGUAGES[language] + "own-image/?backend=wasm", wait_until="load")
    return tab.page


def choose(page: Page, image: Path) -> None:
    page.set_input_files("#own-image-file", str(image))
    page.wait_for_function("['chosen', 'undecodable', 'too_large'].includes("
                           "document.querySelector('[data-role=message]').dataset.message)")


def run_page(page: Page, image: Path) -> dict[str, np.ndarray]:
    """Choose the image, press the button, wait for the run, and read what the page computed."""
    done = page.evaluate("Number(document.querySelector('[data-own-image]').dataset.done || 0)")
    choose(page, image)
    page.click("[data-role=start]")
    page.wait_for_function(f"Number(document.querySelector('[data-own-image]').dataset.done || 0) > {done} || "
                           "document.querySelector('[data-own-image]').dataset.failed", timeout=RUN_TIMEOUT_MS)
    assert page.evaluate("document.querySelector('[data-own-image]').dataset.failed") is None, \
        page.inner_text("[data-role=message]")
    found = page.evaluate(ENCODE)
    assert found["backend"] == "wasm"
    arrays = {name: np.frombuffer(base64.b64decode(data), "<f4") for name, data in found["outputs"].items()}
    arrays["input"] = np.frombuffer(base64.b64decode(found["tensor"]), "<f4")
    return arrays


def differences(found: dict[str, np.ndarray], wanted: dict[str, np.ndarray]) -> dict[str, float]:
    """Each tensor's largest difference, over its largest magnitude (the input's absolute)."""
    assert set(found) == set(wanted), sorted(set(found) ^ set(wanted))
    return {name: float(np.abs(found[name] - wanted[name]).max()) / (1.0 if name == "input" else
                                                                   float(np.abs(wanted[name]).max()))
            for name in wanted}


def failures(found: dict[str, np.ndarray], wanted: dict[str, np.ndarray]) -> list[str]:
    bounds = {"input": 0.0, "logits": LOGIT_BOUND}
    return [f"{name}: {value:.3g}" for name, value in differences(found, wanted).items()
            if value > bounds.get(name, STAGE_BOUND)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_computes_what_torch_computes(tab: Tab, torch_side, language: str) -> None:
    found = run_page(open_page(tab, language), sample_image())
    measured = differences(found, torch_side)
    assert failures(found, torch_side) == [], measured
    assert measured["input"] == 0.0
    print(f"{language}: largest differences {max(v for k, v in measured.items() if k not in ('input', 'logits')):.3g} "
          f"(stages), {measured['logits']:.3g} (logits)")
    assert not tab.errors, "\n".join(tab.errors)


def served_with(page: Page, pattern: str, body: bytes, content_type: str) -> None:
    page.route(pattern, lambda route: route.fulfill(status=200, body=body, content_type=content_type))


def test_one_changed_weight_in_the_served_model_fails_the_equality(tab: Tab, built: Build, torch_side) -> None:
    model = onnx.load_from_string((built.site / MODEL_FOLDER / MODEL_FILE).read_bytes())
    tensor = next(t for t in model.graph.initializer if t.name == "layer3.0.conv1.weight")
    values = numpy_helper.to_array(tensor).copy()
    values.reshape(-1)[777] += 0.5
    tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))
    served_with(tab.page, f"**/{MODEL_FOLDER}/{MODEL_FILE}", model.SerializeToString(), "application/octet-stream")
    found = run_page(open_page(tab, "en"), sample_image())
    failed = failures(found, torch_side)
    assert any(line.startswith("layer3.0.residual") for line in failed), failed
    assert not any(line.startswith(("input", "conv1", "layer2")) for line in failed), failed


def test_one_changed_preprocessing_constant_fails_the_equality(tab: Tab, torch_side) -> None:
    text = PREPROCESS.read_text(encoding="utf-8")
    planted = text.replace("const support = filterScale;", "const support = 1;")  # no antialiasing: a canvas-like resize
    assert planted != text
    served_with(tab.page, "**/assets/static/preprocess.js", planted.encode("utf-8"), "text/javascript")
    found = run_page(open_page(tab, "es"), sample_image())
    assert any(line.startswith("input") for line in failures(found, torch_side))


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_request_after_the_model_loaded_and_the_image_is_never_sent(tab: Tab, tmp_path: Path, language: str) -> None:
    requests: list[tuple[str, str, bytes | None]] = []
    tab.page.on("request", lambda request: requests.append((request.method, request.url, request.post_data_buffer)))
    page = open_page(tab, language)
    run_page(page, sample_image())
    loaded = len(requests)
    second = tmp_path / "second.png"
    Image.new("RGB", (300, 201), (200, 30, 90)).save(second)
    run_page(page, second)
    assert requests[loaded:] == [], requests[loaded:]
    assert {method for method, _, _ in requests} <= {"GET", "HEAD"}
    assert all(body is None for _, _, body in requests)
    assert any(url.endswith(f"/{MODEL_FILE}") for _, url, _ in requests)
    assert not tab.errors, "\n".join(tab.errors)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_first_load_stays_under_budget_and_fetches_no_model(weighed, language: str) -> None:
    phone, log = weighed
    page = open_page(phone, language)
    page.wait_for_load_state("networkidle")
    first = sum(size for _, size in log)
    print(f"{language}: first load {first:,} bytes in {len(log)} responses")
    assert 0 < first <= FIRST_LOAD_LIMIT, log
    assert not any("/assets/model/" in url or "/assets/ort/" in url for url, _ in log), log
    assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]") == [PHONE_WIDTH, PHONE_WIDTH]
    assert not phone.errors, "\n".join(phone.errors)


def words_of(page: Page) -> dict[str, str]:
    return page.evaluate("JSON.parse(document.querySelector('[data-own-image]').dataset.words)")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_undecodable_file_gets_a_message_in_the_pages_language(tab: Tab, tmp_path: Path, language: str) -> None:
    page = open_page(tab, language)
    broken = tmp_path / "photo.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a JPEG at all")
    choose(page, broken)
    assert page.inner_text("[data-role=message]") == words_of(page)["undecodable"]
    assert page.is_disabled("[data-role=start]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_image_over_the_limit_gets_a_message_in_the_pages_language(tab: Tab, built: Build, tmp_path: Path,
                                                                      language: str) -> None:
    page = open_page(tab, language)
    side = int(built.facts.explorer.reader_max_pixels ** 0.5) + 1
    large = tmp_path / "large.png"
    buffer = io.BytesIO()
    Image.new("L", (side, side)).save(buffer, "PNG")
    large.write_bytes(buffer.getvalue())
    choose(page, large)
    message = page.inner_text("[data-role=message]")
    assert page.evaluate("document.querySelector('[data-role=message]').dataset.message") == "too_large"
    assert message.startswith(words_of(page)["too_large"].split("{")[0])
    assert page.is_disabled("[data-role=start]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_browser_without_webassembly_gets_a_message_in_the_pages_language(tab: Tab, language: str) -> None:
    tab.page.add_init_script("delete globalThis.WebAssembly")
    page = open_page(tab, language)
    assert page.inner_text("[data-role=message]") == words_of(page)["no_wasm"]
    assert page.is_disabled("#own-image-file")
