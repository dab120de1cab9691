"""Weights: every file is verified before use and every bad one fails clearly.

Each bad input is built here in tmp_path; nothing binary is committed.
"""

from __future__ import annotations

import collections
import hashlib
import http.server
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torchvision.models import resnet18, resnet34

from generator.core import imagenet
from generator.core.errors import WeightsError
from generator.inputs import download, weights
from generator.model.resnet import build_model, run

from .archives import deflated, members_of


def _plant_marker(path: str) -> None:
    """What the malicious checkpoint would run on unpickling."""
    Path(path).write_text("code ran")


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (_plant_marker, (self.marker,))


@pytest.fixture(scope="module")
def random_state_dict() -> collections.OrderedDict[str, torch.Tensor]:
    torch.manual_seed(0)
    return resnet18(weights=None).state_dict()


@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory: pytest.TempPathFactory, random_state_dict) -> Path:
    path = tmp_path_factory.mktemp("good") / "resnet18-random.pth"
    torch.save(random_state_dict, path)
    return path


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch hub cache under a fresh $TORCH_HOME; returns the checkpoints folder."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setattr(
        torch.hub, "_hub_dir", None
    )  # a set_dir() elsewhere would win over $TORCH_HOME
    return tmp_path / "torch-home" / "hub" / "checkpoints"


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def black_hole(monkeypatch: pytest.MonkeyPatch, no_proxy) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that takes the connection and never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # the kernel completes the handshake; nobody ever reads or replies
    url = f"http://127.0.0.1:{server.getsockname()[1]}/{imagenet.IMAGENET_FILENAME}"
    monkeypatch.setattr(imagenet, "IMAGENET_URL", url)
    yield url
    server.close()


@pytest.fixture
def trickle(monkeypatch: pytest.MonkeyPatch, no_proxy) -> Iterator[str]:
    """A server that answers at once, sends one byte every 0.2 s for 2 s, then stalls without closing."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            for _ in range(10):
                if stop.wait(0.2):
                    return
                connection.sendall(b"x")
            stop.wait(10)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/{imagenet.IMAGENET_FILENAME}"
    monkeypatch.setattr(imagenet, "IMAGENET_URL", url)
    yield url
    stop.set()
    thread.join(5)
    server.close()


@pytest.fixture
def http_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_proxy) -> Iterator[Path]:
    """A local HTTP server for IMAGENET_URL; put the file to serve in the returned folder."""
    root = tmp_path / "served"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(
        imagenet,
        "IMAGENET_URL",
        f"http://127.0.0.1:{server.server_port}/{imagenet.IMAGENET_FILENAME}",
    )
    yield root
    server.shutdown()
    server.server_close()
    thread.join(5)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_same_tensors(
    actual: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]
) -> None:
    assert list(actual) == list(expected)
    for key, tensor in expected.items():
        assert torch.equal(actual[key], tensor), key


def _record_torch_load(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    calls: list[tuple] = []
    real_load = torch.load

    def recording_load(*args, **kwargs):
        calls.append((args, kwargs))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", recording_load)
    return calls


# --- constants ---------------------------------------------------------------


def test_imagenet_constants_agree_with_torchvision() -> None:
    assert imagenet.IMAGENET_URL == imagenet.IMAGENET_WEIGHTS.url
    assert imagenet.IMAGENET_FILENAME == imagenet.IMAGENET_URL.rsplit("/", 1)[1] == "resnet18-f37072fd.pth"
    # torchvision names the file after the first hex digits of its SHA-256.
    prefix = imagenet.IMAGENET_FILENAME.removesuffix(".pth").split("-")[1]
    assert imagenet.IMAGENET_SHA256.startswith(prefix)
    assert len(imagenet.IMAGENET_SHA256) == 64
    assert int(imagenet.IMAGENET_SHA256, 16) >= 0


def test_cache_path_follows_torch_home(hub: Path) -> None:
    assert imagenet.imagenet_cache_path() == hub / "resnet18-f37072fd.pth"


@pytest.mark.parametrize(
    "environment",
    [{"TORCH_HOME": "/srv/torch"}, {"TORCH_HOME": "~/t"}, {"XDG_CACHE_HOME": "/srv/cache"}, {}],
    ids=["torch-home", "torch-home-with-tilde", "xdg-cache-home", "defaults"],
)
def test_cache_path_is_torch_hubs_own_without_importing_torch(environment, monkeypatch: pytest.MonkeyPatch) -> None:
    """core/imagenet.py follows torch.hub.get_dir()'s rule by itself (it must not import torch): the two agree."""
    for name in ("TORCH_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    assert imagenet.imagenet_cache_path() == Path(torch.hub.get_dir()) / "checkpoints" / imagenet.IMAGENET_FILENAME


def test_sha256_file_matches_hashlib(good_checkpoint: Path) -> None:
    assert download.sha256_file(good_checkpoint) == _sha256(good_checkpoint)


# --- user files --------------------------------------------------------------


def test_user_checkpoint_loads_with_provenance(good_checkpoint: Path, random_state_dict) -> None:
    state_dict, provenance = weights.resolve_weights(
        str(good_checkpoint), seed=3, allow_download=False
    )
    _assert_same_tensors(state_dict, random_state_dict)
    assert provenance == weights.WeightsProvenance(
        choice=str(good_checkpoint),
        source="file",
        trained=True,
        path=str(good_checkpoint),
        sha256=_sha256(good_checkpoint),
        size_bytes=good_checkpoint.stat().st_size,
        seed=3,
        fallback_reason=None,
    )


def test_legacy_format_is_refused_with_how_to_resave(
    tmp_path: Path, random_state_dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "legacy.pth"
    torch.save(random_state_dict, path, _use_new_zipfile_serialization=False)
    calls = _record_torch_load(monkeypatch)
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert str(caught.value) == (
        f"weights file {path} is in PyTorch's legacy format (before 1.6), whose tensor sizes "
        "cannot be checked before loading: re-save it with a current torch: "
        "state_dict = torch.load(OLD, weights_only=True); torch.save(state_dict, PATH)"
    )
    assert calls == []


def test_random_choice_needs_no_file() -> None:
    lines: list[str] = []
    state_dict, provenance = weights.resolve_weights(
        "random", seed=11, allow_download=True, log=lines.append
    )
    assert state_dict is None
    assert provenance == weights.WeightsProvenance(
        "random", "random", False, None, None, None, 11, None
    )
    assert lines == []


def test_malicious_pickle_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    path = tmp_path / "evil.pth"
    torch.save({"conv1.weight": _Payload(marker)}, path)

    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(path), seed=0, allow_download=False)

    message = str(caught.value)
    assert "a plain state_dict never holds" in message
    assert "it was not executed" in message
    assert "_plant_marker" in message
    assert "\n" not in message
    assert not marker.exists()
    # The payload is live: an unsafe load would have run it.
    torch.load(path, weights_only=False)
    assert marker.read_text() == "code ran"


def _truncated(good: bytes) -> bytes:
    return good[: len(good) // 2]


def _damaged_pickle(good: bytes) -> bytes:
    start = good.index(b"data.pkl") + 200  # inside the pickle stream, past the zip entry header
    return good[:start] + b"\x00" * 64 + good[start + 64 :]


@pytest.mark.parametrize(
    ("build", "phrase"),
    [
        (_truncated, "it has no zip end record: it is truncated or corrupt"),
        (_damaged_pickle, "its pickle data is damaged"),
        (lambda good: b"", "weights file is empty (0 bytes)"),
        (
            lambda good: b"\x13\x37 not a checkpoint at all" * 40,
            "is not a PyTorch checkpoint (no torch.save header)",
        ),
        (
            lambda good: (
                b"\n<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>"
            ),
            "looks like an HTML page, not a checkpoint (likely a failed download)",
        ),
        (lambda good: b"<HTML><BODY>Access denied</BODY></HTML>", "looks like an HTML page"),
    ],
    ids=["truncated", "damaged-pickle", "empty", "garbage", "html-doctype", "html-upper"],
)
def test_bad_file_is_refused(tmp_path: Path, good_checkpoint: Path, build, phrase: str) -> None:
    path = tmp_path / "bad.pth"
    path.write_bytes(build(good_checkpoint.read_bytes()))
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert phrase in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match=r"^weights file .* is a directory, not a file; pass the file itself$"):
        weights.resolve_weights(str(tmp_path), seed=0, allow_download=False)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nope.pth"
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert (
        str(caught.value)
        == f"weights file not found: {path} (use --weights auto|imagenet|random|PATH)"
    )


def _resnet34(sd) -> object:
    return resnet34(weights=None).state_dict()


def _ten_classes(sd) -> object:
    return resnet18(weights=None, num_classes=10).state_dict()


def _data_parallel(sd) -> object:
    return collections.OrderedDict((f"module.{key}", value) for key, value in sd.items())


def _with_value(key: str, value: float):
    def build(sd) -> object:
        changed = collections.OrderedDict(sd)
        changed[key] = sd[key].clone()
        changed[key].view(-1)[5] = value
        return changed

    return build


def _without_fc_bias(sd) -> object:
    return collections.OrderedDict((key, value) for key, value in sd.items() if key != "fc.bias")


@pytest.mark.parametrize(
    ("build", "phrases"),
    [
        (
            _resnet34,
            [
                "unexpected keys layer1.2.conv1.weight, layer1.2.bn1.weight, layer1.2.bn1.bias (+",
                "expected torchvision resnet18 (1000-class fc)",
            ],
        ),
        (
            _ten_classes,
            [
                "wrong shapes fc.weight shape [10, 512] expected [1000, 512], "
                "fc.bias shape [10] expected [1000]",
                "expected torchvision resnet18 (1000-class fc)",
            ],
        ),
        (_without_fc_bias, ["missing keys fc.bias;"]),
        (
            _data_parallel,
            [
                "keys prefixed 'module.' (e.g. 'module.conv1.weight')",
                "keys like 'conv1.weight'",
                "strip 'module.'",
            ],
        ),
        (
            lambda sd: {"state_dict": sd, "epoch": 90},
            ["under 'state_dict'", "keys like 'conv1.weight'", "checkpoint['state_dict']"],
        ),
        (lambda sd: {"model": sd}, ["under 'model'", "save model.state_dict()"]),
        (lambda sd: [sd["conv1.weight"]], ["holds a list, not a state_dict"]),
        (lambda sd: {"conv1.weight": 1.5}, ["'conv1.weight' holds a float, not a tensor"]),
        (
            _with_value("layer2.0.conv1.weight", float("nan")),
            ["tensor 'layer2.0.conv1.weight' contains NaN"],
        ),
        (
            _with_value("bn1.running_var", float("inf")),
            ["tensor 'bn1.running_var' contains infinite values"],
        ),
    ],
    ids=[
        "resnet34",
        "10-class-fc",
        "missing-key",
        "module-prefix",
        "state_dict-wrapper",
        "model-wrapper",
        "list",
        "float",
        "nan",
        "inf",
    ],
)
def test_wrong_content_is_refused(
    tmp_path: Path, random_state_dict, build, phrases: list[str]
) -> None:
    path = tmp_path / "wrong.pth"
    torch.save(build(random_state_dict), path)
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    message = str(caught.value)
    for phrase in phrases:
        assert phrase in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("build", "quoted"),
    [
        (lambda sd: {**sd, "x" * 200_000: sd["fc.bias"]}, "unexpected keys " + "x" * 79 + "…;"),
        (lambda sd: {"module." + "y" * 200_000: sd["fc.bias"]}, "(e.g. 'module." + "y" * 72 + "…')"),
        (lambda sd: {"z" * 200_000: 1.5}, "'" + "z" * 79 + "…' holds a float"),
    ],
    ids=["unexpected", "module-prefix", "not-a-tensor"],
)
def test_keys_from_the_file_are_quoted_short(tmp_path: Path, random_state_dict, build, quoted: str) -> None:
    path = tmp_path / "long-keys.pth"
    torch.save(build(random_state_dict), path)
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert quoted in str(caught.value) and len(str(caught.value)) < 1000


def test_check_accepts_resnet18_in_memory(random_state_dict) -> None:
    weights.check_resnet18_state_dict(random_state_dict)


# --- what the tensors are: dtypes and values --------------------------------------


def _all_cast(dtype: torch.dtype):
    def build(sd) -> object:
        return collections.OrderedDict((key, value.to(dtype)) for key, value in sd.items())

    return build


def _floats_cast(dtype: torch.dtype):
    def build(sd) -> object:
        return collections.OrderedDict(
            (key, value.to(dtype) if value.is_floating_point() else value) for key, value in sd.items()
        )

    return build


def _replaced(key: str, value: torch.Tensor):
    def build(sd) -> object:
        changed = collections.OrderedDict(sd)
        changed[key] = value
        return changed

    return build


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_all_cast(torch.int64), "tensor 'conv1.weight' is int64, but ResNet18's parameters and running "
         "statistics are real floats (float16, bfloat16, float32, float64): these are not trained float "
         "ResNet18 weights; pass the float state_dict itself"),
        (_all_cast(torch.int32), "tensor 'conv1.weight' is int32, but"),
        (_all_cast(torch.uint8), "tensor 'conv1.weight' is uint8, but"),
        (_all_cast(torch.bool), "tensor 'conv1.weight' is bool, but"),
        (_floats_cast(torch.complex64), "tensor 'conv1.weight' is complex64, but"),
        (_floats_cast(torch.float8_e4m3fn), "tensor 'conv1.weight' is float8_e4m3fn, but"),
        (_replaced("layer4.1.bn2.running_var", torch.zeros(512, dtype=torch.int64)),
         "tensor 'layer4.1.bn2.running_var' is int64, but ResNet18's parameters and running statistics"),
        (_replaced("bn1.num_batches_tracked", torch.tensor(3.0)),
         "tensor 'bn1.num_batches_tracked' is float32, but a BatchNorm step counter is an integer "
         "(uint8, int8, int16, int32, int64)"),
    ],
    ids=["int64", "int32", "uint8", "bool", "complex64", "float8", "int-running-var", "float-counter"],
)
def test_tensors_that_are_not_real_floats_are_named(
    tmp_path: Path, random_state_dict, monkeypatch: pytest.MonkeyPatch, build, message: str
) -> None:
    path = tmp_path / "typed.pth"
    torch.save(build(random_state_dict), path)
    calls = _record_torch_load(monkeypatch)
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)
    assert calls == []  # refused from the archive's metadata: no value was read


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_other_real_float_dtypes_load(tmp_path: Path, random_state_dict, dtype: torch.dtype) -> None:
    path = tmp_path / f"{dtype}.pth"
    torch.save(_floats_cast(dtype)(random_state_dict), path)
    state_dict, provenance = weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert state_dict["fc.weight"].dtype == dtype and provenance.trained
    model = build_model(state_dict, seed=0)
    assert torch.allclose(model.fc.weight, random_state_dict["fc.weight"], atol=1e-2)


def test_negative_running_variance_is_named(tmp_path: Path, random_state_dict) -> None:
    changed = collections.OrderedDict(random_state_dict)
    changed["layer2.0.bn1.running_var"] = -torch.ones(128) * 0.5
    path = tmp_path / "negative.pth"
    torch.save(changed, path)
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert str(caught.value) == (
        f"{path}: tensor 'layer2.0.bn1.running_var' has negative values (down to -0.5); a variance "
        "cannot be negative, so these weights are broken: use another file"
    )


def test_a_file_over_the_cap_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.pth"
    path.write_bytes(b"PK\x03\x04")
    os.truncate(path, weights.max_file_bytes() + 1)
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert str(caught.value).startswith(
        f"weights file too large: {path} is {weights.max_file_bytes() + 1:,} bytes, over the limit of "
        f"{weights.max_file_bytes():,}, and was not read;"
    )


def test_a_float64_resnet18_fits_the_cap(tmp_path: Path, random_state_dict) -> None:
    path = tmp_path / "double.pth"
    torch.save(_floats_cast(torch.float64)(random_state_dict), path)
    assert imagenet.IMAGENET_SIZE < path.stat().st_size <= weights.max_file_bytes()


def test_a_deflated_checkpoint_is_refused(tmp_path: Path, good_checkpoint: Path) -> None:
    path = tmp_path / "zipped.pth"
    path.write_bytes(deflated(members_of(good_checkpoint.read_bytes())))
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert str(caught.value).startswith(f"cannot use weights file {path}: member ")
    assert "is compressed (zip method 8)" in str(caught.value)


def _torchvision_layout(sd) -> collections.OrderedDict:
    """How resnet18-f37072fd.pth is laid out (read from its archive): a 2017 state_dict re-saved
    in the zip format in 2021, so no num_batches_tracked, parameters pickled as nn.Parameter,
    running statistics before each BatchNorm's weight, and no _metadata."""
    layout: collections.OrderedDict[str, torch.Tensor] = collections.OrderedDict()
    for key, value in sd.items():
        if key.endswith("num_batches_tracked"):
            continue
        if key.endswith("running_mean"):
            layout.move_to_end(key.replace("running_mean", "weight"))
            layout.move_to_end(key.replace("running_mean", "bias"))
        layout[key] = value if "running" in key else torch.nn.Parameter(value)
    return layout


def test_torchvisions_own_file_layout_loads_and_builds(
    hub: Path, tmp_path: Path, random_state_dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.mkdir(parents=True)
    cached = hub / imagenet.IMAGENET_FILENAME
    torch.save(_torchvision_layout(random_state_dict), cached)
    monkeypatch.setattr(imagenet, "IMAGENET_SHA256", _sha256(cached))
    monkeypatch.setattr(imagenet, "IMAGENET_SIZE", cached.stat().st_size)

    state_dict, provenance = weights.resolve_weights("imagenet", seed=0, allow_download=False)

    assert provenance.source == "imagenet-cache" and provenance.trained
    assert not any(key.endswith("num_batches_tracked") for key in state_dict)
    model = build_model(state_dict, seed=0)
    for key, tensor in model.state_dict().items():
        expected = random_state_dict[key] if not key.endswith("num_batches_tracked") else torch.tensor(0)
        assert torch.equal(tensor, expected), key


def test_counters_may_be_missing_from_a_current_state_dict(tmp_path: Path, random_state_dict) -> None:
    """Its _metadata says BatchNorm version 2, for which load_state_dict would demand the counters."""
    without = collections.OrderedDict(
        (key, value) for key, value in random_state_dict.items() if not key.endswith("num_batches_tracked")
    )
    without._metadata = random_state_dict._metadata
    path = tmp_path / "no-counters.pth"
    torch.save(without, path)
    state_dict, _ = weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert torch.equal(build_model(state_dict, seed=0).bn1.num_batches_tracked, torch.tensor(0))


def test_what_torch_loads_must_match_what_the_archive_declares(
    tmp_path: Path, good_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guard against the two unpicklers reading one pickle differently."""
    real_load = torch.load

    def other_shape(*args, **kwargs):
        loaded = real_load(*args, **kwargs)
        loaded["fc.bias"] = torch.zeros(999)
        return loaded

    monkeypatch.setattr(torch, "load", other_shape)
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(str(good_checkpoint), seed=0, allow_download=False)
    assert str(caught.value) == (
        f"cannot use weights file {good_checkpoint}: torch read it differently from its own description; "
        "save it again with torch.save(model.state_dict(), PATH)"
    )


def test_all_zero_weights_load_and_run(tmp_path: Path, random_state_dict) -> None:
    path = tmp_path / "zeros.pth"
    torch.save({key: torch.zeros_like(value) for key, value in random_state_dict.items()}, path)
    state_dict, _ = weights.resolve_weights(str(path), seed=0, allow_download=False)
    capture = run(build_model(state_dict, seed=0), torch.zeros(1, 3, 224, 224))
    assert torch.equal(capture.logits, torch.zeros(1, 1000))


# --- the forward pass ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "layer"),
    [("layer3.1.bn2.weight", "layer3.1.bn2"), ("layer1.0.conv1.weight", "layer1.0.conv1"), ("fc.weight", "fc")],
)
def test_non_finite_forward_names_the_first_layer(tmp_path: Path, random_state_dict, key: str, layer: str) -> None:
    """Every value in the file is finite; 3e38 times an activation overflows float32 at that layer."""
    changed = collections.OrderedDict(random_state_dict)
    changed[key] = torch.full_like(random_state_dict[key], 3e38)
    path = tmp_path / "overflow.pth"
    torch.save(changed, path)
    model = build_model(weights.resolve_weights(str(path), seed=0, allow_download=False)[0], seed=0)
    batch = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with pytest.raises(WeightsError) as caught:
        run(model, batch)
    assert str(caught.value) == (
        f"weights give non-finite values at {layer} (NaN or infinity in its output on this image): "
        "they are broken or overflow float32; use other weights"
    )
    assert all(not module._forward_hooks for module in model.modules())  # removed even so


def test_zero_running_variance_stays_finite(tmp_path: Path, random_state_dict) -> None:
    """BatchNorm adds eps to the variance: zero is a legitimate value, not an error."""
    changed = collections.OrderedDict(random_state_dict)
    changed["bn1.running_var"] = torch.zeros(64)
    path = tmp_path / "zero-var.pth"
    torch.save(changed, path)
    model = build_model(weights.resolve_weights(str(path), seed=0, allow_download=False)[0], seed=0)
    assert bool(torch.isfinite(run(model, torch.ones(1, 3, 224, 224)).logits).all())


# --- the ImageNet cache --------------------------------------------------------


@pytest.mark.parametrize("choice", ["imagenet", "auto"])
def test_tampered_cache_is_refused_unloaded(
    hub: Path, good_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, choice: str
) -> None:
    hub.mkdir(parents=True)
    shutil.copyfile(good_checkpoint, hub / imagenet.IMAGENET_FILENAME)
    monkeypatch.setattr(imagenet, "IMAGENET_SIZE", good_checkpoint.stat().st_size)  # same size, other bytes
    calls = _record_torch_load(monkeypatch)
    lines: list[str] = []

    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights(choice, seed=0, allow_download=True, log=lines.append)

    message = str(caught.value)
    assert _sha256(good_checkpoint) in message
    assert imagenet.IMAGENET_SHA256 in message
    assert "were not loaded" in message
    assert calls == []
    assert lines == []  # auto does not swap a present, wrong file for random weights


@pytest.mark.parametrize("size", [1, imagenet.IMAGENET_SIZE - 1, imagenet.IMAGENET_SIZE + 1, 20 * 10**9])
def test_cache_file_of_another_size_is_refused_before_hashing(
    hub: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    hub.mkdir(parents=True)
    cached = hub / imagenet.IMAGENET_FILENAME
    cached.write_bytes(b"PK")
    os.truncate(cached, size)  # sparse: 20 GB costs nothing on disk
    hashed: list[object] = []
    monkeypatch.setattr(weights.hashlib, "sha256", lambda *args: hashed.append(args))

    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights("auto", seed=0, allow_download=True)

    assert str(caught.value).startswith(
        f"ImageNet weights file {cached} is {size:,} bytes, not the expected "
        f"{imagenet.IMAGENET_SIZE:,}, and was not read; delete it and download resnet18-f37072fd.pth again"
    )
    assert hashed == []


@pytest.mark.parametrize("choice", ["imagenet", "auto"])
def test_verified_cache_loads(
    hub: Path,
    good_checkpoint: Path,
    random_state_dict,
    monkeypatch: pytest.MonkeyPatch,
    choice: str,
) -> None:
    hub.mkdir(parents=True)
    cached = hub / imagenet.IMAGENET_FILENAME
    shutil.copyfile(good_checkpoint, cached)
    monkeypatch.setattr(imagenet, "IMAGENET_SHA256", _sha256(good_checkpoint))
    monkeypatch.setattr(imagenet, "IMAGENET_SIZE", good_checkpoint.stat().st_size)
    calls = _record_torch_load(monkeypatch)

    state_dict, provenance = weights.resolve_weights(choice, seed=5, allow_download=False)

    _assert_same_tensors(state_dict, random_state_dict)
    assert provenance == weights.WeightsProvenance(
        choice=choice,
        source="imagenet-cache",
        trained=True,
        path=str(cached),
        sha256=_sha256(good_checkpoint),
        size_bytes=good_checkpoint.stat().st_size,
        seed=5,
        fallback_reason=None,
    )
    assert [call[1]["weights_only"] for call in calls] == [True]


def test_auto_offline_without_cache_falls_back_loudly(
    hub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_download(dest: Path, timeout_s: float) -> None:
        raise AssertionError("downloads are off")

    monkeypatch.setattr(download, "download_imagenet", no_download)
    lines: list[str] = []
    started = time.monotonic()

    state_dict, provenance = weights.resolve_weights(
        "auto", seed=7, allow_download=False, log=lines.append
    )

    assert time.monotonic() - started < 10
    assert state_dict is None
    assert provenance == weights.WeightsProvenance(
        "auto", "random", False, None, None, None, 7, "no-cache-offline"
    )
    assert len(lines) == 1
    assert lines[0].startswith(
        f"WARNING: ImageNet weights not found at {hub / imagenet.IMAGENET_FILENAME}"
    )
    assert "seeded random weights (seed 7): predictions are meaningless" in lines[0]


def test_imagenet_offline_without_cache_says_where_to_put_it(hub: Path) -> None:
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights("imagenet", seed=0, allow_download=False)
    message = str(caught.value)
    assert str(hub / "resnet18-f37072fd.pth") in message
    assert "$TORCH_HOME" in message
    assert "--weights PATH" in message


def test_auto_falls_back_fast_when_the_server_never_answers(hub: Path, black_hole: str) -> None:
    lines: list[str] = []
    started = time.monotonic()

    state_dict, provenance = weights.resolve_weights(
        "auto", seed=2, allow_download=True, download_timeout_s=1, log=lines.append
    )

    assert time.monotonic() - started < 10
    assert state_dict is None
    assert provenance.source == "random"
    assert provenance.fallback_reason == "download-failed"
    assert "download failed: no" in lines[-1]
    assert " 1 s" in lines[-1]
    assert not any(hub.iterdir())  # no partial file left behind


def test_download_goes_on_while_bytes_arrive_and_gives_up_when_they_stop(hub: Path, trickle: str) -> None:
    lines: list[str] = []
    started = time.monotonic()
    with pytest.raises(WeightsError, match=r"no (progress for|answer within) 1 s"):
        download.download_imagenet(hub / imagenet.IMAGENET_FILENAME, timeout_s=1, log=lines.append)
    elapsed = time.monotonic() - started
    assert 2 <= elapsed < 6  # not cut while bytes came, stopped soon after they stopped
    assert any(line.startswith("downloading resnet18-f37072fd.pth") for line in lines)
    assert not any(hub.iterdir())


def test_imagenet_download_failure_names_url_and_cache_path(hub: Path, black_hole: str) -> None:
    with pytest.raises(WeightsError) as caught:
        weights.resolve_weights("imagenet", seed=0, allow_download=True, download_timeout_s=1)
    message = str(caught.value)
    assert black_hole in message
    assert str(hub / "resnet18-f37072fd.pth") in message
    assert "\n" not in message


def test_download_is_verified_then_used(
    hub: Path,
    http_root: Path,
    good_checkpoint: Path,
    random_state_dict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shutil.copyfile(good_checkpoint, http_root / imagenet.IMAGENET_FILENAME)
    monkeypatch.setattr(imagenet, "IMAGENET_SHA256", _sha256(good_checkpoint))
    monkeypatch.setattr(imagenet, "IMAGENET_SIZE", good_checkpoint.stat().st_size)

    state_dict, provenance = weights.resolve_weights(
        "imagenet", seed=0, allow_download=True, download_timeout_s=20
    )

    _assert_same_tensors(state_dict, random_state_dict)
    assert provenance.source == "imagenet-download"
    assert provenance.path == str(hub / imagenet.IMAGENET_FILENAME)
    assert _sha256(hub / imagenet.IMAGENET_FILENAME) == _sha256(good_checkpoint)
    assert sorted(path.name for path in hub.iterdir()) == [imagenet.IMAGENET_FILENAME]


def test_download_with_wrong_hash_is_discarded(hub: Path, http_root: Path) -> None:
    (http_root / imagenet.IMAGENET_FILENAME).write_bytes(b"PK\x03\x04 pretending to be weights")
    dest = hub / imagenet.IMAGENET_FILENAME
    with pytest.raises(WeightsError) as caught:
        download.download_imagenet(dest, timeout_s=10)
    message = str(caught.value)
    assert hashlib.sha256(b"PK\x03\x04 pretending to be weights").hexdigest() in message
    assert imagenet.IMAGENET_SHA256 in message
    assert not any(hub.iterdir())


def test_auto_falls_back_on_http_error(hub: Path, http_root: Path) -> None:
    lines: list[str] = []
    state_dict, provenance = weights.resolve_weights(
        "auto", seed=1, allow_download=True, download_timeout_s=10, log=lines.append
    )
    assert state_dict is None
    assert provenance.fallback_reason == "download-failed"
    assert "download failed: HTTP 404" in lines[-1]
