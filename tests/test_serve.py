"""`python -m generator serve`: the live preview. Watching, settling and the server are tested in-process."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.config import LANGUAGES, PACKAGE, Config
from generator.errors import UsageError
from generator.ownership import STATIC
from generator.preview_server import STATE_PATH, WORDS, PreviewServer, PreviewState, injected, language_of
from generator.watch import POLL_S, changed_files, next_change, take_snapshot, watched_inputs


# -- watching -------------------------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_snapshot_holds_the_inputs_and_not_the_side_files_of_editors_and_python(tmp_path: Path) -> None:
    inputs = [write(tmp_path / "pkg" / "module.py", "x"), write(tmp_path / "pkg" / "templates" / "page.md.j2", "y")]
    single = write(tmp_path / "mkdocs.yml", "site_name: x")
    for side in ("pkg/.module.py.swp", "pkg/#page.md.j2#", "pkg/module.py~", "pkg/__pycache__/module.pyc",
                 "pkg/.hidden/inside.py", "pkg/other.pyc"):
        write(tmp_path / side, "z")
    snapshot = take_snapshot([tmp_path / "pkg", single, tmp_path / "missing.jpg"])
    assert sorted(snapshot) == sorted([*inputs, single])


def test_every_kind_of_change_to_an_input_is_seen(tmp_path: Path) -> None:
    module = write(tmp_path / "pkg" / "module.py", "same size")
    template = write(tmp_path / "pkg" / "page.md.j2", "template")
    gone = write(tmp_path / "pkg" / "gone.json", "{}")
    roots = [tmp_path / "pkg"]
    before = take_snapshot(roots)
    # A rewrite that keeps size and modification time, as an editor's write-and-rename can: a new inode.
    stat = module.stat()
    replacement = write(tmp_path / "pkg" / "module.py.new", "SAME SIZE")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, module)
    os.utime(template, ns=(template.stat().st_atime_ns, template.stat().st_mtime_ns + 1_000_000))
    gone.unlink()
    added = write(tmp_path / "pkg" / "data" / "new.json", "[]")
    write(tmp_path / "pkg" / ".page.md.j2.swp", "an editor's swap file")
    assert changed_files(before, take_snapshot(roots)) == sorted([module, template, gone, added])


def test_serve_watches_what_a_build_reads(tmp_path: Path) -> None:
    weights = write(tmp_path / "weights.pth", "w")
    image = write(tmp_path / "photo.png", "p")
    config = Config(image=image, weights=str(weights), docs=tmp_path / "docs", out=tmp_path / "site")
    assert watched_inputs(config) == [PACKAGE, config.mkdocs_yml, tmp_path / "docs" / STATIC, image, weights]
    assert weights not in watched_inputs(Config(image=image, weights="random", docs=tmp_path / "docs"))


class Inputs:
    """Input states over time: each snapshot (one poll) moves one step on, and stays on the last one."""

    def __init__(self, *states: str) -> None:
        self.states = list(states)
        self.taken = 0

    def __call__(self) -> dict[Path, tuple[int, int, int]]:
        state = self.states[min(self.taken, len(self.states) - 1)]
        self.taken += 1
        return {Path(state): (0, 0, 0)}


def test_a_change_is_built_once_it_has_settled() -> None:
    """An editor writing a file twice (or a checkout of many) is one build of the final state, never one per write."""
    built = Inputs("built")()
    inputs = Inputs("built", "first write", "second write", "second write", "third write")
    assert next_change(inputs, built, sleep=lambda _: None) == Inputs("second write")()
    assert inputs.taken == 4
    unchanged = Inputs("built", "built", "built", "edited", "edited")
    assert next_change(unchanged, built, sleep=lambda _: None) == Inputs("edited")()


def test_the_sleep_between_two_looks_is_one_poll() -> None:
    slept: list[float] = []
    next_change(Inputs("edited"), Inputs("built")(), sleep=slept.append)
    assert slept == [POLL_S]


# -- the server ------------------------------------------------------------------------------------------------


LONG_POLL_TEST_S = 60  # longer than the server's own long poll: a request that hangs fails the test


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[PreviewServer]:
    site = tmp_path / "site"
    write(site / "index.html", '<html lang="es"><body><p>hola</p></body></html>')
    write(site / "en" / "index.html", '<html lang="en"><body><p>hello</p></body></html>')
    write(site / "404.html", '<html lang="es"><body><p>no está</p></body></html>')
    write(site / "assets" / "style.css", "body { color: red }</body>")
    server = PreviewServer(site, 0, PreviewState("first"))
    server.start()
    yield server
    server.stop()


def get(server: PreviewServer, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request with the path sent as written (no client-side normalisation of '..')."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=LONG_POLL_TEST_S)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_pages_are_served_with_the_preview_script_and_never_cached(preview: PreviewServer) -> None:
    status, headers, body = get(preview, "/")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert body.startswith(b'<html lang="es"><body><p>hola</p><script type="application/json"')
    assert body.endswith(b"</script></body></html>") and STATE_PATH.encode() in body
    status, headers, body = get(preview, "/en/")
    assert status == 200 and b"hello" in body and STATE_PATH.encode() in body


def test_other_files_are_served_as_they_are(preview: PreviewServer) -> None:
    status, headers, body = get(preview, "/assets/style.css")
    assert (status, body) == (200, b"body { color: red }</body>")
    assert headers["Content-Type"].startswith("text/css")


def test_a_folder_without_its_slash_is_redirected(preview: PreviewServer) -> None:
    status, headers, _ = get(preview, "/en")
    assert (status, headers["Location"]) == (301, "/en/")


@pytest.mark.parametrize("path", ["/missing/", "/../secret.txt", "/%2e%2e/secret.txt", "/a/../../secret.txt",
                                  "/outside/secret.txt"])
def test_a_path_that_is_not_in_the_site_gets_the_sites_404_page(preview: PreviewServer, path: str) -> None:
    write(preview.root.parent / "secret.txt", "secret")
    (preview.root / "outside").symlink_to(preview.root.parent)
    status, _, body = get(preview, path)
    assert status == 404 and b"no est\xc3\xa1" in body and STATE_PATH.encode() in body
    assert b"secret" not in body


def test_before_any_site_a_page_says_so_in_the_language_of_its_address(tmp_path: Path) -> None:
    server = PreviewServer(tmp_path / "site", 0, PreviewState(None))
    server.start()
    try:
        for language in LANGUAGES:
            prefix = "/" if language == LANGUAGES[0] else f"/{language}/"
            status, _, body = get(server, prefix + "maps/")
            assert status == 503
            assert body.startswith(f'<!doctype html><html lang="{language}">'.encode())
            assert WORDS[language]["no_site"].encode() in body and STATE_PATH.encode() in body
    finally:
        server.stop()


def test_the_banner_speaks_every_language_of_the_site() -> None:
    assert list(WORDS) == list(LANGUAGES)
    assert all(WORDS[language].keys() == WORDS[LANGUAGES[0]].keys() for language in LANGUAGES)
    assert [language_of(path) for path in ("/", "/maps/", "/en/", "/en/maps/", "/enx/")] == ["es", "es", "en", "en", "es"]


def test_an_error_cannot_end_the_script_that_carries_it() -> None:
    page = injected(b"<html><body></body></html>", {"version": 1, "site": None, "error": "</script><b>x"})
    data = re.search(rb'id="serve-preview-state">(.*?)</script>', page)
    assert data is not None and json.loads(data[1])["state"]["error"] == "</script><b>x"


def test_browsers_wait_for_a_change_and_learn_it_at_once(preview: PreviewServer) -> None:
    state = preview.state
    status, _, body = get(preview, f"{STATE_PATH}?since=99")  # a browser of another session: told at once
    assert status == 200 and json.loads(body) == {"version": 0, "site": "first", "error": None}
    threading.Timer(0.5, state.update, args=("second", None)).start()
    status, _, body = get(preview, f"{STATE_PATH}?since=0")
    assert json.loads(body) == {"version": 1, "site": "second", "error": None}
    state.update("second", None)
    assert state.current()["version"] == 1  # nothing changed, nobody is woken


def test_a_port_in_use_is_refused_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=rf"^--port {port}: cannot serve on 127\.0\.0\.1:{port} \(.+\); pass "):
            PreviewServer(tmp_path, port, PreviewState(None))
