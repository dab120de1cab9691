"""The wording for verified ImageNet weights: shown only when the verified file was used, and checked.

The real ImageNet file cannot be downloaded here, so a ResNet18 file stands in
for it in a private torch hub cache, with its own digest and size swapped in
for torchvision's: the generator then takes the verify-then-load path it takes
for the real file, and the pages say what trained weights show.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import pytest
import torch
from torchvision.models import resnet18

from generator.core import imagenet
from generator.report import pages
from generator.verify.gate import check_docs

from .conftest import Build, make_config, run_build
from .site_edits import edit


@pytest.fixture(scope="module")
def verified_cache(tmp_path_factory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("imagenet-home")
    checkpoints = home / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    path = checkpoints / imagenet.IMAGENET_FILENAME
    torch.manual_seed(11)
    torch.save(resnet18(weights=None).state_dict(), path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(home))
        patch.setattr(torch.hub, "_hub_dir", None)
        patch.setattr(imagenet, "IMAGENET_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
        patch.setattr(imagenet, "IMAGENET_SIZE", path.stat().st_size)
        yield


@pytest.fixture(scope="module")
def imagenet_build(verified_cache, tmp_path_factory) -> Build:
    return run_build(make_config(tmp_path_factory.mktemp("imagenet"), weights="imagenet", execute_notebook=False))


@pytest.mark.build
def test_verified_weights_are_called_trained_and_carry_no_notice(imagenet_build: Build) -> None:
    facts = imagenet_build.facts.provenance.weights
    assert facts.kind == "imagenet" and facts.trained and facts.file_name == imagenet.IMAGENET_FILENAME
    for page in imagenet_build.docs.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert "weights_banner" not in text and '!!! warning "' not in text, page.name
        claims = re.findall(r'data-claim="(\w+)" data-variant="(\w+)"', text)
        weight_claims = [variant for name, variant in claims if name in ("stem_filters", "deep_features", "maps_filters",
                                                                          "weights_trained")]
        assert all(variant == "imagenet" for variant in weight_claims), (page.name, weight_claims)
    maps = (imagenet_build.docs / "maps.en.md").read_text(encoding="utf-8")
    assert pages.translations("en")["claim.maps_filters.imagenet"] in maps


@pytest.mark.build
def test_the_trained_wording_passes_the_check(imagenet_build: Build) -> None:
    assert check_docs(imagenet_build.docs, imagenet_build.site, imagenet_build.config) == []


@pytest.mark.build
def test_the_random_wording_in_a_trained_build_is_caught(imagenet_build: Build, tmp_path) -> None:
    """The reverse of the random-weights case: a notice of random weights on a verified build is false too."""
    import shutil
    from dataclasses import replace

    docs, site = tmp_path / "docs", tmp_path / "site"
    shutil.copytree(imagenet_build.docs, docs)
    shutil.copytree(imagenet_build.site, site)
    copy = replace(imagenet_build, config=replace(imagenet_build.config, docs=docs, out=site))
    strings = pages.translations("en")
    edit(copy.page("maps", "en"), strings["claim.maps_filters.imagenet"], strings["claim.maps_filters.random"])
    found = [str(m) for m in check_docs(docs, site, copy.config)]
    assert any("claim maps_filters" in line and "random wording" in line for line in found), found
