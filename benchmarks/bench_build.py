"""Time each stage of a build, and the whole, on this machine.

Run from the project root: .venv/bin/python -m benchmarks.bench_build [--repeat N]
Speed is measured here, not asserted in tests.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from generator import check, figures, pages, site
from generator.config import Config
from generator.derive import derive_facts
from generator.image import load_image
from generator.model import build_model, preprocess, run
from generator.summary import collect_summary
from generator.weights import resolve_weights

ROOT = Path(__file__).resolve().parent.parent


def timed(label: str, results: dict[str, list[float]], action):
    start = time.perf_counter()
    value = action()
    results.setdefault(label, []).append(time.perf_counter() - start)
    return value


def once(config: Config, results: dict[str, list[float]]) -> None:
    state_dict, weights = timed("weights", results, lambda: resolve_weights("random", seed=0, allow_download=False))
    image, info = timed("image", results, lambda: load_image(config.image))
    model = build_model(state_dict, 0)
    batch = preprocess(image)
    capture = timed("forward + hooks", results, lambda: run(model, batch))
    summary = timed("summary table", results, lambda: collect_summary(model, batch))
    facts = derive_facts(model, capture, summary, weights, info, config.top_k, config.feature_channels)
    with tempfile.TemporaryDirectory() as scratch:
        timed("figures", results, lambda: figures.render_figures(facts, capture, model.conv1.weight.detach(), Path(scratch)))
    timed("pages", results, lambda: pages.render_pages(facts, figures.figure_files(facts)))
    timed("check", results, lambda: check.check_docs(config.docs, config))
    timed("whole build", results, lambda: site.build(config, site.Progress(quiet=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        docs = Path(root) / "docs"
        shutil.copytree(ROOT / "docs" / "assets" / "static", docs / "assets" / "static")
        config = Config(weights="random", allow_download=False, out=Path(root) / "site", docs=docs,
                        mkdocs_yml=ROOT / "mkdocs.yml")
        site.build(replace(config, execute_notebook=False), site.Progress(quiet=True))
        results: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            once(config, results)
        size = sum(p.stat().st_size for p in config.out.rglob("*") if p.is_file())
        files = sum(1 for p in config.out.rglob("*") if p.is_file())
    for label, times in results.items():
        print(f"{label:>16}: median {statistics.median(times):7.3f} s  (min {min(times):.3f}, n={len(times)})")
    print(f"{'site size':>16}: {size / 1e6:.1f} MB in {files} files")


if __name__ == "__main__":
    main()
