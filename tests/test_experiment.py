"""The degradation experiment: a short re-run equals the stored curves, and a stale or edited results file fails.

The stored results come from `python -m generator experiment`; the build
only reads them. A short re-run (one net, one seed, one epoch, the same
setup and schedule) must give exactly the first batches and the first epoch
of the stored curves and state, whatever kernels this machine would choose:
the training's child process fixes them (experiment/kernels.py), so the
stored file holds on any x86-64 processor.
The mutations change a copy of the results file, or a private copy of the
shared build's pages, and read it with the check.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from generator import cli
from generator.pipeline import site
from generator.core import python_child
from generator.core.errors import MismatchError
from generator.experiment import kernels as experiment_kernels
from generator.experiment import results as experiment_results
from generator.experiment import digits, runner
from generator.experiment import train as experiment
from generator.experiment.nets import CifarNet, weighted_layers
from generator.experiment.recipe import SETUP
from generator.verify import experiment as verify_experiment
from generator.verify.experiment import derive_experiment
from generator.verify.gate import CheckInputs, check_docs, check_page_pair

from .conftest import Build, RecordingProgress
from .site_edits import edit
from .test_check import only, span


def stored() -> experiment_results.Results:
    return experiment_results.read()


def changed_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change) -> Path:
    """A copy of the results file with ``change`` applied to its data, read by the build and the check instead."""
    data = json.loads(experiment_results.RESULTS_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "degradation-experiment.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(experiment_results, "RESULTS_FILE", path)
    return path


def net_index(name: str) -> int:
    return [net.name for net in stored().nets].index(name)


# ---------------------------------------------------------------- the experiment itself


# The kernel choices processors of other families would make, each in force in one of these runs: oneDNN's
# instruction set (the machine's own, AVX2, AVX-512), ATen's (AVX-512, AVX2, the baseline), MKL's (SSE4.2 stands
# for a processor without AVX) and glibc's maths variants.
OTHER_PROCESSORS = {
    "avx512": {"ATEN_CPU_CAPABILITY": "avx512"},
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "baseline": {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE", "ATEN_CPU_CAPABILITY": "default",
                 "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA"},
}


@pytest.mark.kernel
@pytest.mark.parametrize("setting", OTHER_PROCESSORS)
def test_a_short_rerun_equals_the_first_batches_and_epoch_of_the_stored_curves(setting: str, monkeypatch) -> None:
    for name, value in OTHER_PROCESSORS[setting].items():
        monkeypatch.setenv(name, value)
    kind, depth = "residual", min(SETUP.depths)
    lines: list[str] = []
    short = runner.run(lines.append, epochs=1, nets=((kind, depth),), seeds=SETUP.seeds[:1])
    full = {net.name: net for net in stored().nets}[experiment_results.net_name(kind, depth)]
    assert [net.name for net in short.nets] == [full.name]
    net, run, stored_run = short.nets[0], short.nets[0].runs[0], full.runs[0]
    assert (net.depth, net.params, run.seed) == (full.depth, full.params, stored_run.seed)
    assert len(lines) == 1 and f"seed {run.seed} {full.name} epoch 1/" in lines[0]
    if platform.machine() == stored().kernels["machine"]:
        assert (run.batch_sha256, run.batch_mistakes) == (stored_run.batch_sha256, stored_run.batch_mistakes)
        assert run.state_sha256 == stored_run.state_sha256[:1]
        assert (run.train_mistakes, run.heldout_mistakes) == (stored_run.train_mistakes[:1],
                                                              stored_run.heldout_mistakes[:1])
        assert short.kernels == stored().kernels
    else:  # another architecture compiles other kernels (README): a re-run there is still the same every time
        again = runner.run(lambda _: None, epochs=1, nets=((kind, depth),), seeds=SETUP.seeds[:1]).nets[0].runs[0]
        assert (again.state_sha256, again.batch_sha256) == (run.state_sha256, run.batch_sha256)


@pytest.mark.process
def test_every_seed_trains_in_its_own_process_and_the_runs_are_joined_in_the_recipes_order() -> None:
    """Two seeds side by side, stopped after their first batches: each net holds one run per seed, in the order asked."""
    lines: list[str] = []
    both = runner.run(lines.append, nets=(("plain", 8),), seeds=(1, 0), batches_only=True)
    assert [run.seed for run in both.nets[0].runs] == [1, 0]
    assert both.nets[0].runs[0].batch_sha256 != both.nets[0].runs[1].batch_sha256
    assert all(len(run.batch_sha256) == SETUP.first_batches and run.train_mistakes == () for run in both.nets[0].runs)
    assert lines == []  # batches only: no epoch ends, so no progress line


@pytest.mark.process
def test_the_training_refuses_to_run_with_the_machines_own_kernels() -> None:
    """Started without the fixed environment, the child would train with this processor's kernels: it refuses."""
    request = json.dumps({"epochs": 1, "nets": [["plain", 8]], "seed": 0, "batches_only": True, "parent": os.getpid()})
    environment = {key: value for key, value in python_child.environment().items() if key != "ATEN_CPU_CAPABILITY"}
    done = subprocess.run([sys.executable, "-m", "generator.experiment.train", request], env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "kernels are not fixed" in done.stderr and "python -m generator experiment" in done.stderr


def test_the_child_environment_fixes_the_kernels_and_keeps_other_glibc_tunables() -> None:
    environment = experiment_kernels.child_environment({
        "ATEN_CPU_CAPABILITY": "avx512", "MKL_CBWR": "AUTO", "OMP_NUM_THREADS": "8", "HOME": "/home/x",
        "GLIBC_TUNABLES": "glibc.malloc.check=3:glibc.cpu.hwcaps=-SSE2:glibc.pthread.rseq=0",
    })
    assert environment["ATEN_CPU_CAPABILITY"] == "default" and environment["MKL_CBWR"] == "COMPATIBLE"
    assert environment["OMP_NUM_THREADS"] == environment["MKL_NUM_THREADS"] == "1"
    assert environment["HOME"] == "/home/x"
    assert environment["GLIBC_TUNABLES"] == f"glibc.malloc.check=3:glibc.pthread.rseq=0:{experiment_kernels.GLIBC_HWCAPS}"
    assert experiment_kernels.child_environment({})["GLIBC_TUNABLES"] == experiment_kernels.GLIBC_HWCAPS


def test_the_stored_results_are_fresh_and_written_as_the_experiment_writes_them() -> None:
    results = stored()  # refuses a file whose code hash is not the code's
    assert results.code_sha256 == experiment_results.code_sha256()
    assert results.setup == SETUP and len(SETUP.seeds) >= 3
    assert results.to_json() == experiment_results.RESULTS_FILE.read_text(encoding="utf-8")
    assert all(len(run.train_mistakes) == len(run.heldout_mistakes) == results.setup.epochs
               and [run.seed for run in net.runs] == list(SETUP.seeds) for net in results.nets for run in net.runs)


def test_the_digits_read_without_scikit_learn_are_the_ones_scikit_learn_loads() -> None:
    """The fast reader runs only for the known file, and gives exactly load_digits' arrays."""
    import numpy as np

    path = digits.data_file()
    assert path is not None and hashlib.sha256(path.read_bytes()).hexdigest() == digits.DIGITS_SHA256
    images, labels, classes = digits.load()
    slow_images, slow_labels, slow_classes = digits.load_with_sklearn()
    assert images.dtype == slow_images.dtype and labels.dtype == slow_labels.dtype
    assert np.array_equal(images, slow_images) and np.array_equal(labels, slow_labels) and classes == slow_classes


def test_a_digits_file_of_other_bytes_is_read_by_scikit_learn_itself(tmp_path: Path, monkeypatch) -> None:
    """An edited data file is not read by the fast reader: scikit-learn's own reading decides what it holds."""
    edited = tmp_path / "digits.csv.gz"
    edited.write_bytes(b"not the digits")
    monkeypatch.setattr(digits, "data_file", lambda: edited)
    monkeypatch.setattr(digits, "load_with_sklearn", lambda: ("sklearn's", "reading", 10))
    assert digits.load() == ("sklearn's", "reading", 10)


@pytest.mark.parametrize("depth", [8, 20, 56])
def test_a_plain_and_a_residual_net_of_one_depth_have_that_depth_and_the_same_parameters(depth: int) -> None:
    plain, residual = (CifarNet(depth, kind, 1, 10) for kind in ("plain", "residual"))
    assert weighted_layers(plain) == weighted_layers(residual) == depth
    assert [p.shape for p in plain.parameters()] == [p.shape for p in residual.parameters()]


@pytest.mark.parametrize("depth, kind", [(21, "plain"), (2, "residual"), (20, "highway")])
def test_a_net_the_paper_does_not_define_is_refused(depth: int, kind: str) -> None:
    with pytest.raises(ValueError, match="6n\\+2"):
        CifarNet(depth, kind, 1, 10)


def test_the_experiment_command_leaves_the_callers_torch_settings_as_they_were() -> None:
    import torch

    before = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    with experiment.deterministic(experiment.SETUP.threads):
        assert torch.are_deterministic_algorithms_enabled()
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == before


# ---------------------------------------------------------------- the results file, read by the check


@pytest.mark.process
def test_a_stale_results_file_fails_the_check_in_one_line(built: Build, tmp_path: Path, monkeypatch, capsys) -> None:
    changed_results(tmp_path, monkeypatch, lambda data: data.update(code_sha256="0" * 64))
    with pytest.raises(MismatchError, match="is stale: the experiment's code changed"):
        check_docs(built.docs, built.site, built.config, CheckInputs(reproduce=False))
    code = cli.main(["check", "--docs", str(built.docs), "--out", str(built.site), "--weights", "random",
                     "--mkdocs-yml", str(built.config.mkdocs_yml), "--offline"])
    error = capsys.readouterr().err
    assert code == MismatchError.exit_code
    assert error.count("\n") == 1 and "python -m generator experiment" in error, error


@pytest.mark.build
def test_a_build_refuses_a_stale_results_file_and_publishes_nothing(editable_build: Build, tmp_path: Path,
                                                                    monkeypatch) -> None:
    changed_results(tmp_path, monkeypatch, lambda data: data.update(code_sha256="0" * 64))
    published = {path: path.read_bytes() for folder in (editable_build.docs, editable_build.site)
                 for path in folder.rglob("*") if path.is_file()}
    config = dataclasses.replace(editable_build.config, reuse_published=False, execute_notebook=False)
    with pytest.raises(MismatchError, match="is stale"):
        site.build(config, RecordingProgress())
    assert {path: path.read_bytes() for folder in (editable_build.docs, editable_build.site)
            for path in folder.rglob("*") if path.is_file()} == published


@pytest.mark.parametrize("content, message", [
    (None, "experiment results file not found"),
    (b"", "experiment results file is empty"),
    (b"{\"format\": 1}", "is not a results file of the experiment"),
    (b"\xff\xfe", "is not UTF-8 text"),
    (b"[]", "is not a results file of the experiment"),
    (b" " * (experiment_results.RESULTS_LIMIT + 1), "experiment results file too large"),
])
def test_a_missing_or_malformed_results_file_is_refused(tmp_path: Path, monkeypatch, content: bytes | None,
                                                         message: str) -> None:
    path = tmp_path / "degradation-experiment.json"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setattr(experiment_results, "RESULTS_FILE", path)
    with pytest.raises(MismatchError, match=message) as refused:
        experiment_results.read()
    assert "\n" not in str(refused.value) and "python -m generator experiment" in str(refused.value)


@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,  # json.loads raised RecursionError on this: a traceback, exit 1
    '{"format": 2, "setup": ' + '{"a": ' * 50_000,
    '{"format": 2, "kernels": ' + "[" * (experiment_results.MAX_DEPTH + 1) + "]" * (experiment_results.MAX_DEPTH + 1) + "}",
])
def test_a_deeply_nested_results_file_is_refused_in_one_line(tmp_path: Path, monkeypatch, text: str) -> None:
    path = tmp_path / "degradation-experiment.json"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(experiment_results, "RESULTS_FILE", path)
    with pytest.raises(MismatchError, match="nested deeper than") as refused:
        experiment_results.read()
    assert "\n" not in str(refused.value) and "python -m generator experiment" in str(refused.value)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    """The stored file with a kernel's value full of brackets still parses: only the JSON's own nesting counts."""
    data = json.loads(experiment_results.RESULTS_FILE.read_text(encoding="utf-8"))
    data["kernels"]["aten"] = "[{\\\"" * 100
    assert experiment_results.parse(json.dumps(data), "a test").kernels["aten"] == "[{\\\"" * 100


@pytest.mark.parametrize("change, message", [
    (lambda data: data["nets"].pop(), "nets"),
    (lambda data: data["nets"][0]["runs"][0]["train_mistakes"].pop(), "counts of mistakes"),
    (lambda data: data["nets"][1]["runs"][2]["heldout_mistakes"].__setitem__(0, 10**6), "counts of mistakes"),
    (lambda data: data["nets"][2]["runs"][1]["train_mistakes"].__setitem__(0, "12"), "counts of mistakes"),
    (lambda data: data["nets"][3]["runs"][0]["batch_mistakes"].__setitem__(0, 65), "counts of mistakes from 0 to 64"),
    (lambda data: data["nets"][3]["runs"][1]["batch_sha256"].pop(), "SHA-256 digests"),
    (lambda data: data["nets"][1]["runs"].pop(), "runs of seeds"),
    (lambda data: data["setup"].update(momentum=None, optimizer="Adam"), "optimizer"),
])
def test_a_results_file_that_is_incomplete_or_out_of_range_is_refused_in_one_line(tmp_path: Path, monkeypatch,
                                                                                    change, message: str) -> None:
    changed_results(tmp_path, monkeypatch, change)
    with pytest.raises(MismatchError, match=message) as refused:
        experiment_results.read()
    assert "\n" not in str(refused.value) and "is not a results file of the experiment" in str(refused.value)


def test_a_curve_edited_in_the_results_file_is_caught(built: Build, tmp_path: Path, monkeypatch) -> None:
    """Plain-56 made to end with no mistakes in every seed: its final error, the curves and the claim disagree."""
    index = net_index("plain-56")

    def perfect_plain(data: dict) -> None:
        for run in data["nets"][index]["runs"]:
            run["train_mistakes"][-1] = 0

    changed_results(tmp_path, monkeypatch, perfect_plain)
    found = [str(m) for m in check_docs(built.docs, built.site, built.config, CheckInputs(reproduce=False))]
    for language in ("es", "en"):
        only(found, f"experiment.{language}", f"fact experiment.nets.{index}.final_train_error.mean", "0.0")
        only(found, f"experiment.{language}", "claim experiment_degradation", "not_degraded")
    for seed in range(len(SETUP.seeds)):
        only(found, "facts.json", f"experiment.nets.{index}.runs.{seed}.train_error.{stored().setup.epochs - 1}")


# ---------------------------------------------------------------- the page


def test_the_unchanged_experiment_page_passes_and_shows_every_net(built: Build, derived) -> None:
    assert check_page_pair(built.docs, built.site, "experiment", built.config, derived.expected) == []
    page = built.page("experiment", "en").read_text(encoding="utf-8")
    for i, net in enumerate(stored().nets):
        assert span(f"experiment.nets.{i}.name", "plain") + net.name + "<" in page
    assert span("experiment.seed_count") + str(len(SETUP.seeds)) + "<" in page
    assert page.count('data-fact="experiment.agreement.') == len(experiment_results.outcome(
        experiment_results.experiment_facts(stored())))


def test_an_experiment_number_changed_on_one_page_is_caught(editable_build: Build, derived) -> None:
    index = net_index("resnet-56")
    key = f"experiment.nets.{index}.final_train_error.mean"
    page = editable_build.page("experiment", "es")
    text = page.read_text(encoding="utf-8")
    start = text.index(span(key, "percent")) + len(span(key, "percent"))
    edit(page, span(key, "percent") + text[start:text.index("<", start)] + "<", span(key, "percent") + "99,9\u202f%<")
    found = [str(m) for m in check_page_pair(editable_build.docs, editable_build.site, "experiment",
                                             editable_build.config, derived.expected)]
    only(found, "experiment.es", f"fact {key}", "99,9")
    only(found, "experiment.en", "numbers compared with experiment/index.html (experiment.es)")
    assert not any("experiment.en" in line and f"fact {key}" in line for line in found)


# ---------------------------------------------------------------- the results file, derived again by the check


def mnist_and_a_one_parameter_resnet(data: dict) -> None:
    """The sample of issue 19: it passed build and check, since only the code's hash was compared."""
    data["nets"][net_index("resnet-56")]["params"] = 1
    data["setup"]["dataset"] = "mnist"
    data["train_size"] = 60_000


def test_a_results_file_of_other_data_and_parameters_is_refused_naming_each_field(tmp_path: Path,
                                                                                 monkeypatch) -> None:
    changed_results(tmp_path, monkeypatch, mnist_and_a_one_parameter_resnet)
    with pytest.raises(MismatchError) as refused:
        derive_experiment()
    message = str(refused.value)
    assert "\n" not in message and "python -m generator experiment" in message
    assert "nets.resnet-56.params 1, not 852730" in message
    assert "setup.dataset 'mnist', not 'digits'" in message and "train_size 60000, not 1438" in message


def other_third_seed(data: dict, seed: int) -> None:
    """The file says its third runs came from ``seed``, consistently: only the recipe's seeds disagree."""
    data["setup"]["seeds"][2] = seed
    for net in data["nets"]:
        net["runs"][2]["seed"] = seed


@pytest.mark.parametrize("change, field", [
    (lambda data: data["nets"][net_index("plain-20")].update(depth=21), "nets.plain-20.depth 21, not 20"),
    (lambda data: data["nets"][net_index("resnet-56")].update(kind="plain"), "nets.resnet-56.kind 'plain'"),
    (lambda data: data["nets"][net_index("plain-56")].update(params="852730"), "nets.plain-56.params '852730'"),
    (lambda data: data.update(heldout_size=360), "heldout_size 360, not 359"),
    (lambda data: data.update(image_size=28), "image_size 28, not 8"),
    (lambda data: data.update(classes=9), "classes 9, not 10"),
    (lambda data: data["setup"].update(learning_rate=0.01), "setup.learning_rate 0.01, not 0.05"),
    (lambda data: other_third_seed(data, 3), "setup.seeds (0, 1, 3), not (0, 1, 2)"),
    (lambda data: data["setup"].update(warmup_epochs=0), "setup.warmup_epochs 0, not 1"),
    (lambda data: data["setup"].update(widths=[16, 32, 128]), "setup.widths (16, 32, 128), not (16, 32, 64)"),
])
def test_a_derivable_field_edited_in_the_results_file_is_named(tmp_path: Path, monkeypatch, change,
                                                               field: str) -> None:
    changed_results(tmp_path, monkeypatch, change)
    with pytest.raises(MismatchError, match="disagrees with the experiment's code and data set") as refused:
        derive_experiment()
    assert field in str(refused.value) and str(refused.value).count(";") == 1, str(refused.value)


def test_the_stored_results_agree_with_everything_derivable_and_leave_torchs_random_state() -> None:
    import torch

    before = torch.random.get_rng_state()
    assert derive_experiment()["experiment.dataset"] == "digits"
    assert torch.equal(torch.random.get_rng_state(), before)


@pytest.mark.build
def test_a_build_refuses_a_results_file_of_other_data_and_publishes_nothing(editable_build: Build, tmp_path: Path,
                                                                            monkeypatch) -> None:
    changed_results(tmp_path, monkeypatch, mnist_and_a_one_parameter_resnet)
    published = {path: path.read_bytes() for folder in (editable_build.docs, editable_build.site)
                 for path in folder.rglob("*") if path.is_file()}
    config = dataclasses.replace(editable_build.config, reuse_published=False, execute_notebook=False)
    with pytest.raises(MismatchError, match="nets.resnet-56.params 1"):
        site.build(config, RecordingProgress())
    assert {path: path.read_bytes() for folder in (editable_build.docs, editable_build.site)
            for path in folder.rglob("*") if path.is_file()} == published


def rerun_planted(tmp_path: Path, monkeypatch, change) -> str:
    """The check's re-run against a copy of the results file with ``change`` made to the re-run net's first seed."""
    kind, depth = verify_experiment.RERUN_NET
    index = net_index(experiment_results.net_name(kind, depth))
    changed_results(tmp_path, monkeypatch, lambda data: change(data, data["nets"][index]["runs"][0]))
    with pytest.raises(MismatchError, match="a re-run of the first 2 batches of resnet-20 from seed 0") as refused:
        verify_experiment.rerun_first_batches(lambda _: None)
    assert "\n" not in str(refused.value)
    return str(refused.value)


@pytest.mark.kernel
def test_the_check_re_runs_the_stored_first_batches_and_they_agree(monkeypatch) -> None:
    assert SETUP.first_batches == 2
    assert verify_experiment.rerun_first_batches(lambda _: None) == (
        "the first 2 batches of resnet-20 trained again give the file's state digests")


@pytest.mark.kernel
def test_a_first_batch_count_edited_by_one_is_refused_by_the_re_run(tmp_path: Path, monkeypatch) -> None:
    """One re-run: it names the edited count and nothing else, so every other field it compares agrees."""
    stored_count = stored().nets[net_index("resnet-20")].runs[0].batch_mistakes[1]
    message = rerun_planted(tmp_path, monkeypatch,
                            lambda data, run: run["batch_mistakes"].__setitem__(1, run["batch_mistakes"][1] + 1))
    assert f": nets.resnet-20.seed-0.batch_mistakes.1 {stored_count + 1}, not {stored_count}; run" in message


@pytest.mark.kernel
def test_a_state_digest_or_a_kernel_edited_in_the_file_is_refused_by_the_re_run(tmp_path: Path, monkeypatch) -> None:
    """A digest of the last re-run batch and the kernel record: both named, in one line, from one re-run."""
    def plant(data: dict, run: dict) -> None:
        run["batch_sha256"][-1] = "0" * 64
        data["kernels"]["aten"] = "avx512"

    message = rerun_planted(tmp_path, monkeypatch, plant)
    assert f"nets.resnet-20.seed-0.batch_sha256.1 '{'0' * 64}', not " in message
    assert "kernels {" in message and "'aten': 'avx512'" in message


def test_on_another_architecture_the_curves_are_not_re_run_and_the_check_says_so(monkeypatch) -> None:
    """The kernels are fixed per architecture (README): no child is started (the fast tier would refuse one)."""
    monkeypatch.setattr(verify_experiment.platform, "machine", lambda: "aarch64")
    assert verify_experiment.rerun_first_batches(lambda _: None) == (
        "the experiment's curves were made on x86_64 and not re-run on aarch64")
