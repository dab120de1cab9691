"""The ONNX model the site serves: the same bytes every build, kept by rebuilds, and held to the model by the check.

The mutations edit a private copy of the shared build's model (docs' and the
site's copies alike, as a forger would) and read it against the check's own
model, derived once per run; one test goes through the whole check, and one
through ``verify`` to its exit code.
"""

from __future__ import annotations

from dataclasses import replace

from pathlib import Path

import json

import onnx
import pytest
from onnx import numpy_helper

from generator.core.config import MODEL_DATA, MODEL_FILE, MODEL_FOLDER
from generator.core.errors import MismatchError
from generator.model.resnet import build_model
from generator.pipeline import reuse
from generator.report import onnx_export
from generator.report.compute import compute_facts
from generator.verify import onnx_model
from generator.verify.gate import CheckInputs, check_docs, verify

from .conftest import Build, Derived, replace_file
from .test_reuse import build, plan_for, tree

MODEL = f"{MODEL_FOLDER}/{MODEL_FILE}"
DATA = f"{MODEL_FOLDER}/{MODEL_DATA}"


@pytest.fixture
def gate(derived: Derived):
    def run(build: Build) -> list[str]:
        return [str(m) for m in onnx_model.compare(build.site, build.docs, derived.reference.model)]

    return run


def load(build: Build) -> onnx.ModelProto:
    return onnx.load_from_string((build.site / MODEL).read_bytes())


def plant(build: Build, model: onnx.ModelProto | bytes) -> None:
    """The same edited model in docs and in the site, so that only its content can give it away."""
    data = model if isinstance(model, bytes) else model.SerializeToString()
    for folder in (build.docs, build.site):
        replace_file(folder / MODEL, data)


def initializer(model: onnx.ModelProto, name: str) -> onnx.TensorProto:
    return next(tensor for tensor in model.graph.initializer if tensor.name == name)


def one_line_naming(found: list[str], *needles: str, file: str = MODEL) -> None:
    assert found, "the check passed a damaged model"
    assert all("\n" not in line for line in found)
    assert any(file in line and all(needle in line for needle in needles) for line in found), found


def edit_data(build: Build, edit) -> None:
    data = json.loads((build.site / DATA).read_text(encoding="utf-8"))
    edit(data)
    for folder in (build.docs, build.site):
        replace_file(folder / DATA, json.dumps(data).encode("utf-8"))


# ---------------------------------------------------------------- the file


def test_the_model_is_byte_identical_to_a_fresh_export_of_the_same_run(built: Build) -> None:
    _facts, capture, model = compute_facts(built.config, lambda _: None)
    fresh = onnx_export.onnx_bytes(model, tuple(capture.input.shape[1:]))
    assert fresh == (built.docs / MODEL).read_bytes() == (built.site / MODEL).read_bytes()


def test_the_graph_takes_the_image_alone_and_names_every_tensor_the_explorer_shows(built: Build) -> None:
    graph = load(built).graph
    assert [value.name for value in graph.input] == ["image"]
    names = [value.name for value in graph.output]
    assert names[:3] == ["logits", "conv1", "maxpool"]
    assert len(names) == 3 + 8 * 2 + 3  # every block's F(x) and output, and the three projected shortcuts
    assert {"layer2.0.shortcut", "layer4.1.residual", "layer4.1.output"} <= set(names)
    assert len(graph.initializer) == 102  # ResNet18's 122 state dict tensors less BatchNorm's 20 step counters


# ---------------------------------------------------------------- the gate


def test_the_unchanged_model_passes(built: Build, gate) -> None:
    assert gate(built) == []


def test_one_changed_weight_fails_naming_the_tensor(editable_build: Build, gate) -> None:
    model = load(editable_build)
    tensor = initializer(model, "layer3.1.conv2.weight")
    values = numpy_helper.to_array(tensor).copy()
    values.reshape(-1)[1234] += 1e-3
    tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))
    plant(editable_build, model)
    one_line_naming(gate(editable_build), "initializer layer3.1.conv2.weight", "1 of 589824 differ", "1234")


def test_a_missing_tensor_fails_naming_it(editable_build: Build, gate) -> None:
    model = load(editable_build)
    model.graph.initializer.remove(initializer(model, "layer2.0.downsample.1.running_var"))
    plant(editable_build, model)
    one_line_naming(gate(editable_build), "initializer layer2.0.downsample.1.running_var", "missing")


def test_a_tensor_the_model_does_not_have_fails(editable_build: Build, gate) -> None:
    model = load(editable_build)
    extra = onnx.TensorProto()
    extra.CopyFrom(initializer(model, "fc.bias"))
    extra.name = "fc.extra"
    model.graph.initializer.append(extra)
    plant(editable_build, model)
    one_line_naming(gate(editable_build), "initializer fc.extra", "does not have")


def test_the_checks_reader_gives_onnxs_own_arrays_for_every_tensor(built: Build) -> None:
    """The check reads tensors with the schema alone (verify/onnx_model.py): the same dtype, shape and bits as
    onnx's numpy_helper, for the model's raw tensors and for values held in the typed fields."""
    tensors = list(onnx_model.schema().ModelProto.FromString((built.site / MODEL).read_bytes()).graph.initializer)
    assert len(tensors) == 102 and all(tensor.raw_data for tensor in tensors)
    for tensor in [*load(built).graph.initializer,
                   onnx.helper.make_tensor("typed", onnx.TensorProto.FLOAT, [2, 3], [0.5, -0.0, 1e-45, 3, 4, 5]),
                   onnx.helper.make_tensor("counts", onnx.TensorProto.INT64, [3], [1, -2, 2**40]),
                   onnx.helper.make_tensor("wide", onnx.TensorProto.DOUBLE, [1], [0.1])]:
        ours, theirs = onnx_model.tensor_array(tensor), numpy_helper.to_array(tensor)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, tensor.name
        assert ours.tobytes() == theirs.tobytes(), tensor.name


@pytest.mark.parametrize("damage", ["float16", "external", "short"])
def test_a_tensor_the_reader_cannot_take_fails_naming_it(editable_build: Build, gate, damage: str) -> None:
    model = load(editable_build)
    tensor = initializer(model, "fc.bias")
    if damage == "float16":
        tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype("float16"), tensor.name))
    elif damage == "external":
        tensor.data_location = onnx.TensorProto.EXTERNAL
    else:
        tensor.raw_data = tensor.raw_data[:-4]
    plant(editable_build, model)
    one_line_naming(gate(editable_build), "initializer fc.bias", "unreadable")


def test_a_model_from_another_seed_fails_naming_its_first_tensor(editable_build: Build, gate) -> None:
    plant(editable_build, onnx_export.onnx_bytes(build_model(None, 1), (3, 224, 224)))
    found = gate(editable_build)
    one_line_naming(found, "initializer conv1.weight", "differ")
    assert not any("bn1.running_mean" in line for line in found)  # the same zeros for every seed: not named


@pytest.mark.parametrize("edit", ["renamed", "dropped", "input"])
def test_other_outputs_or_inputs_fail(editable_build: Build, gate, edit: str) -> None:
    model = load(editable_build)
    if edit == "renamed":
        model.graph.output[5].name = "layer1.1.shortcut"
    elif edit == "dropped":
        del model.graph.output[-1]
    else:
        model.graph.input[0].type.tensor_type.shape.dim[2].dim_value = 256
    plant(editable_build, model)
    one_line_naming(gate(editable_build), "inputs" if edit == "input" else "output")


def test_the_page_data_states_torchvisions_transforms_and_the_files_size(built: Build) -> None:
    data = json.loads((built.site / DATA).read_text(encoding="utf-8"))
    assert data["transforms"] == {"resize_size": 256, "crop_size": 224, "mean": [0.485, 0.456, 0.406],
                                  "std": [0.229, 0.224, 0.225], "interpolation": "bilinear", "antialias": True}
    assert data["bytes"] == (built.site / MODEL).stat().st_size and len(data["categories"]) == 1000
    assert data["outputs"] == [value.name for value in load(built).graph.output]


@pytest.mark.parametrize(("edit", "needle"), [
    (lambda data: data["transforms"]["mean"].__setitem__(1, 0.457), "transforms.mean"),
    (lambda data: data["transforms"].__setitem__("resize_size", 224), "transforms.resize_size"),
    (lambda data: data["categories"].__setitem__(0, "goldfish"), "categories"),
    (lambda data: data.__setitem__("bytes", data["bytes"] - 1), "bytes"),
    (lambda data: data["outputs"].reverse(), "outputs"),
    (lambda data: data.pop("sha256"), "fields"),
], ids=["mean", "resize", "category", "size", "outputs", "field"])
def test_a_changed_page_data_field_fails_naming_it(editable_build: Build, gate, edit, needle: str) -> None:
    edit_data(editable_build, edit)
    one_line_naming(gate(editable_build), needle, file=DATA)


def test_a_model_changed_under_its_page_data_fails_on_its_digest(editable_build: Build, gate) -> None:
    model = load(editable_build)
    model.producer_version = "0"  # same weights and graph, other bytes
    plant(editable_build, model)
    one_line_naming(gate(editable_build), "sha256", file=DATA)


def test_the_sites_copy_must_be_docs_copy(editable_build: Build, gate) -> None:
    replace_file(editable_build.docs / MODEL, b"not the site's model")
    one_line_naming(gate(editable_build), "byte for byte")


@pytest.mark.parametrize(("damage", "needle"), [("missing", "missing"), ("garbage", "unreadable"),
                                                ("empty", "no model"), ("a tensor", "unreadable"),
                                                ("no graph", "no model")])
def test_a_missing_or_unreadable_model_fails_in_one_line(editable_build: Build, gate, damage: str,
                                                         needle: str) -> None:
    """One line, not a hundred: bytes protobuf accepts (none, a lone tensor) are no model either."""
    if damage == "missing":
        for folder in (editable_build.docs, editable_build.site):
            (folder / MODEL).unlink()
    elif damage == "garbage":
        plant(editable_build, b"\xff" * 100)
    elif damage == "empty":
        plant(editable_build, b"")
    elif damage == "a tensor":
        plant(editable_build, initializer(load(editable_build), "fc.bias").SerializeToString())
    else:
        model = load(editable_build)
        model.ClearField("graph")
        plant(editable_build, model)
    found = gate(editable_build)
    assert len(found) == 1, found
    one_line_naming(found, needle)


def test_the_whole_check_reads_the_model_and_exits_5(editable_build: Build, derived: Derived) -> None:
    model = load(editable_build)
    tensor = initializer(model, "fc.weight")
    values = numpy_helper.to_array(tensor).copy()
    values[7, 7] = -values[7, 7] + 1
    tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))
    plant(editable_build, model)
    inputs = CheckInputs(derived.expected, derived.reference, reproduction=derived.reproduction)
    found = [str(m) for m in check_docs(editable_build.docs, editable_build.site, editable_build.config, inputs)]
    one_line_naming(found, "initializer fc.weight")
    with pytest.raises(MismatchError) as raised:
        verify(editable_build.docs, editable_build.site, editable_build.config, inputs)
    assert raised.value.exit_code == 5 and "initializer fc.weight" in "\n".join(raised.value.listing)


@pytest.mark.process
def test_the_files_read_in_a_fork_give_the_same_mismatches_in_the_same_order(editable_build: Build,
                                                                              derived: Derived) -> None:
    """The check command reads the PDFs, the explorer's data and the model in a fork while it reads the pages."""
    model = load(editable_build)
    tensor = initializer(model, "fc.bias")
    tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor) + 1, tensor.name))
    plant(editable_build, model)
    (editable_build.site / "resnet18-report.pdf").unlink()
    inputs = CheckInputs(derived.expected, derived.reference, reproduction=derived.reproduction)
    found = [str(m) for m in check_docs(editable_build.docs, editable_build.site, editable_build.config, inputs)]
    assert any("resnet18-report.pdf" in line for line in found) and any("fc.bias" in line for line in found), found
    beside = replace(inputs, files_beside=True)
    assert [str(m) for m in check_docs(editable_build.docs, editable_build.site, editable_build.config, beside)] == found


# ---------------------------------------------------------------- rebuilds


def refuse_export(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_args: object) -> bytes:
        raise AssertionError("the model was exported again")

    monkeypatch.setattr(onnx_export, "onnx_bytes", refused)


@pytest.mark.build
def test_a_no_change_rebuild_does_not_export_the_model(editable_build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_export(monkeypatch)
    before = (editable_build.site / MODEL).stat().st_mtime_ns
    outcome, _ = build(editable_build.config)
    assert outcome.work == reuse.NOTHING_TO_DO
    assert (editable_build.site / MODEL).stat().st_mtime_ns == before


@pytest.mark.build
def test_a_model_deleted_from_the_site_comes_back_from_docs_without_an_export(editable_build: Build,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_export(monkeypatch)
    docs, site = tree(editable_build.docs / MODEL_FOLDER), tree(editable_build.site / MODEL_FOLDER)
    (editable_build.site / MODEL).unlink()
    outcome, _ = build(editable_build.config)
    assert outcome.work == reuse.PROSE
    assert tree(editable_build.docs / MODEL_FOLDER) == docs and tree(editable_build.site / MODEL_FOLDER) == site


def test_an_edited_model_in_docs_is_never_reused(editable_build: Build) -> None:
    path: Path = editable_build.docs / MODEL
    replace_file(path, path.read_bytes()[:-1])
    assert plan_for(editable_build.config).work == reuse.EVERYTHING


def test_a_tensor_is_compared_bit_for_bit_signed_zeros_and_nans_included() -> None:
    import numpy as np

    wanted = np.array([0.0, np.nan, 1.5, -2.0], dtype=np.float32)
    reference = onnx_model.ModelReference({"w": wanted}, (1, 3, 224, 224), {}, {}, [])
    assert onnx_model.tensor_problem("w", wanted.copy(), reference) is None  # NaN equals its own bits
    for at, value in ((0, -0.0), (3, np.nextafter(np.float32(-2.0), np.float32(0.0)))):
        found = wanted.copy()
        found[at] = value
        problem = onnx_model.tensor_problem("w", found, reference)
        assert problem is not None and f"1 of 4 differ; first at flat index {at}" in problem[0], problem
