"""torchvision, meta passes and the experiment's training without torch._dynamo (core/lazy_dynamo.py): the same
modules and values, and the real dynamo when something calls for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator import cli
from generator.core import lazy_dynamo
from generator.core.python_child import environment

ROOT = Path(__file__).resolve().parent.parent


def python(code: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=environment(), capture_output=True, text=True,
                          timeout=120)


@pytest.mark.process
def test_torchvision_loads_without_dynamo_and_roi_align_still_asks_the_real_one() -> None:
    done = python(
        "import sys\n"
        "from generator.core import lazy_dynamo\n"
        "lazy_dynamo.install()\n"
        "import torch, torchvision\n"
        "assert 'torch._dynamo' not in sys.modules and 'sympy' not in sys.modules, 'dynamo was imported'\n"
        "roi_align = sys.modules['torchvision.ops.roi_align']\n"
        "assert roi_align.is_compile_supported('cpu') is True and 'torch._dynamo' in sys.modules\n"
        "import torch._dynamo.utils as real\n"
        "assert real.is_compile_supported.__module__ == 'torch._dynamo.utils'\n"
        "assert real.is_compile_supported('meta') == roi_align.is_compile_supported('meta')\n"
        "print('ok')\n"
    )
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr[-2000:]


@pytest.mark.process
def test_a_module_that_wants_more_of_dynamo_is_loaded_the_ordinary_way(tmp_path: Path) -> None:
    (tmp_path / "wants_more.py").write_text("from torch._dynamo.utils import is_compile_supported, counters\n",
                                            encoding="utf-8")
    done = python(
        "import sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from generator.core import lazy_dynamo\n"
        "lazy_dynamo.TARGET = 'wants_more'\n"
        "lazy_dynamo.install()\n"
        "import wants_more, torch._dynamo.utils as real\n"
        "assert wants_more.counters is real.counters and wants_more.is_compile_supported is real.is_compile_supported\n"
        "print('ok')\n"
    )
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr[-2000:]


def test_the_command_line_installs_the_hook_before_anything_imports_torchvision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if not isinstance(f, lazy_dynamo._Finder)])
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert sum(isinstance(finder, lazy_dynamo._Finder) for finder in sys.meta_path) == 1


FAMILY = (
    "import sys, pickle\n"
    "from generator.core import lazy_dynamo\n"
    "lazy_dynamo.install()\n"
    "import torch, torchvision\n"
    "{preload}"
    "from generator.core import sources\n"
    "from generator.verify.family import derive_family\n"
    "values = derive_family(224, sources.cited_numbers())\n"
    "sys.stdout.buffer.write(pickle.dumps((values, 'torch._dynamo' in sys.modules, "
    "type(sys.modules.get('torch._dynamo')).__name__)))\n"
)


@pytest.mark.process
def test_the_familys_meta_pass_loads_no_dynamo_and_gives_the_same_values_as_with_it() -> None:
    import pickle

    runs = {}
    for preload in ("", "import torch._dynamo\n"):
        done = subprocess.run([sys.executable, "-c", FAMILY.format(preload=preload)], cwd=ROOT, env=environment(),
                              capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        runs[bool(preload)] = pickle.loads(done.stdout)
    (without, loaded_without, _), (with_real, loaded_with, kind) = runs[False], runs[True]
    assert not loaded_without and loaded_with and kind == "module"
    assert without == with_real and len(without[0]) > 10000


def test_the_stand_in_leaves_no_trace_and_a_loaded_dynamo_is_kept() -> None:
    import torch

    from generator.core.lazy_dynamo import without_dynamo

    before = sys.modules.get("torch._dynamo")
    with without_dynamo():
        inside = sys.modules.get("torch._dynamo")
        assert inside is not None and (before is None) == (inside.disable(len) is len)
    assert sys.modules.get("torch._dynamo") is before
    if before is None:
        assert "_dynamo" not in torch.__dict__


@pytest.mark.process
def test_the_experiments_training_imports_neither_dynamo_nor_inductor_nor_sympy() -> None:
    done = python(
        "import sys\n"
        "import torch\n"
        "from generator.experiment import train\n"
        "result = train.train(lambda _: None, {}, 0, nets=(('residual', 20),), batches_only=True)\n"
        "assert len(result.nets[0].runs[0].batch_sha256) == 2\n"
        "assert torch.are_deterministic_algorithms_enabled() is False\n"
        "print(sorted(m for m in ('torch._dynamo', 'torch._inductor', 'sympy') if m in sys.modules))\n"
    )
    assert done.returncode == 0 and done.stdout == "[]\n", done.stderr[-2000:] + done.stdout
