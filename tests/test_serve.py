"""`python -m generator serve`: the live preview.

Watching, settling, the server and the failure report are tested in-process
on small folders; stop signals and option refusals on a real serve process;
and the whole loop in Chromium: serve runs on a copy of the project (never
this checkout's templates), a template edit shows up without a reload, a
number typed into a template shows the failure over the last good site, and
the fix takes the banner away.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from generator import cli
from generator.core.config import LANGUAGES, PACKAGE, Config
from generator.core.errors import UsageError
from generator.preview import serve
from generator.preview.server import BANNER_ID, STATE_PATH, WORDS, PreviewServer, PreviewState, injected, language_of
from generator.preview.watch import POLL_S, changed_files, next_change, take_snapshot, watched_inputs
from generator.publish.journal import STAGING_PREFIX
from generator.publish.ownership import MARKER, STATIC, TOOL

from .browser_support import CHROMIUM, CHROMIUM_ARGS
from .conftest import ROOT
from .test_signals import alive, as_in_a_terminal, children

SERVE_OPTIONS = ["--weights", "random", "--offline", "--no-notebook-execution", "--no-pdf"]
BUILD_TIMEOUT_S = 240  # one build on a loaded machine, with room to spare; every wait below is bounded by it
STOPPED = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}


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


def get(server: PreviewServer, path: str, host: str | None = "") -> tuple[int, dict[str, str], bytes]:
    """One request with the path sent as written (no client-side normalisation of '..').

    ``host``: the Host header, "" for http.client's own (127.0.0.1:PORT), None for none at all.
    """
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=LONG_POLL_TEST_S)
    try:
        connection.putrequest("GET", path, skip_host=host != "")
        if host:
            connection.putheader("Host", host)
        connection.endheaders()
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


def test_a_compressed_file_is_served_as_bytes(preview: PreviewServer) -> None:
    write(preview.root / "sitemap.xml.gz", "gzip bytes")
    status, headers, body = get(preview, "/sitemap.xml.gz")
    assert (status, headers["Content-Type"], body) == (200, "application/octet-stream", b"gzip bytes")


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


@pytest.mark.parametrize("path", ["/en/missing/", "/en/missing", "/en/deeper/still/missing.html"])
def test_an_address_in_a_language_folder_gets_that_languages_404_page(preview: PreviewServer, path: str) -> None:
    """The nearest 404.html up the folders, as Cloudflare Pages serves it: an English reader lost below /en/
    is told so in English; without one there, the root's."""
    status, _, body = get(preview, path)
    assert status == 404 and b"no est\xc3\xa1" in body
    write(preview.root / "en" / "404.html", '<html lang="en"><body><p>not here</p></body></html>')
    status, _, body = get(preview, path)
    assert status == 404 and b"not here" in body and STATE_PATH.encode() in body


@pytest.mark.parametrize("path", ["/%00", "/en%00/", "/assets/style.css%00.html", "/%00/../index.html"])
def test_a_nul_byte_in_the_address_is_a_bad_request_not_a_traceback(
        preview: PreviewServer, path: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, body = get(preview, path)
    assert status == 400 and body.startswith(b"400: ")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("path", ["/" + "a" * 300, "/en/" + "b" * 300 + "/", f"/{'c' * 200}/{'d' * 300}.html"])
def test_a_name_no_file_system_can_hold_is_not_in_the_site(
        preview: PreviewServer, path: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, body = get(preview, path)
    assert status == 404 and b"no est\xc3\xa1" in body
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "localhost.evil.example", "127.0.0.1.nip.io",
                                  "127.0.0.2", "[::2]", "localhost:80@evil.example", "0.0.0.0", None])
@pytest.mark.parametrize("path", ["/", "/en/", "/assets/style.css", "/missing", STATE_PATH + "?since=-1"])
def test_another_host_name_is_refused_against_dns_rebinding(preview: PreviewServer, host: str | None,
                                                            path: str) -> None:
    status, headers, body = get(preview, path, host)
    assert status == 403 and body.startswith(b"403: ") and len(body) < 100
    assert b"hola" not in body and b"version" not in body and "Location" not in headers


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:{port}", "localhost:{port}", "127.0.0.1", "127.0.0.1:{port}",
                                  "[::1]", "[::1]:{port}"])
def test_the_loopback_names_are_served(preview: PreviewServer, host: str) -> None:
    status, _, body = get(preview, "/", host.format(port=preview.server_address[1]))
    assert status == 200 and b"hola" in body


def test_a_request_that_fails_anyway_is_one_line_on_the_console(
        preview: PreviewServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(path: str) -> None:
        raise RuntimeError("a bug\nwith a second line")

    monkeypatch.setattr(preview, "lookup", broken)
    with pytest.raises(http.client.RemoteDisconnected):
        get(preview, "/")
    monkeypatch.undo()
    assert get(preview, "/")[0] == 200  # the server goes on
    assert capsys.readouterr().err == ("serve: a request failed (RuntimeError: a bug with a second line); "
                                       "the next is served as usual\n")


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
    paths = {"/": "es", "/maps/": "es", "/en/": "en", "/en/maps/": "en", "/enx/": "es"}
    assert {path: language_of(path) for path in paths} == paths


def test_an_error_cannot_end_the_script_that_carries_it() -> None:
    page = injected(b"<html><body></body></html>", {"version": 1, "site": None, "error": "</script><b>x"})
    data = re.search(rb'id="serve-preview-state">(.*?)</script>', page)
    assert data is not None and json.loads(data[1])["state"]["error"] == "</script><b>x"


def test_browsers_wait_for_a_change_and_learn_it_at_once(preview: PreviewServer) -> None:
    state = preview.state
    for since in ("99", "--5", "x", ""):  # a browser of another session, or a mangled address: told at once
        status, _, body = get(preview, f"{STATE_PATH}?since={since}")
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


# -- serve's loop --------------------------------------------------------------------------------------------


class Stop(Exception):
    pass


def polls(limit: int) -> Callable[[float], None]:
    """A sleep that ends the loop once it has idled long enough."""
    count = 0

    def sleep(_: float) -> None:
        nonlocal count
        count += 1
        if count > limit:
            raise Stop

    return sleep


def test_a_change_made_during_a_build_is_built_next_and_nothing_else_is() -> None:
    inputs = Inputs("v1")
    built: list[str] = []

    def build() -> None:
        built.append(inputs.states[-1])  # what this build reads
        if len(built) == 1:
            inputs.states = ["v2"]  # saved in the editor while the first build runs

    with pytest.raises(Stop):
        serve.rebuild_on_change(build, inputs, sleep=polls(50))
    assert built == ["v1", "v2"]


def test_serve_says_when_its_own_code_changed() -> None:
    """Builds run the new code; serve's own loop cannot, and says so."""
    module = Path(serve.__file__).resolve()
    assert serve.own_code([PACKAGE / "data" / "sources.json", module, PACKAGE / "no_such_module.py"]) == [module]


# -- what a failed build shows ---------------------------------------------------------------------------------


def test_the_failure_report_is_the_builds_error_with_every_mismatch() -> None:
    lines = ["[  0.1s] weights: random", "error: 2 mismatch(es) between the pages and the model:",
             "  index.es.md: found untagged number '7'", "  maps.en.md: found untagged number '8'"]
    assert serve.failure_report(lines, 5) == "\n".join(["build failed (exit 5):", *lines[1:]])


def test_a_crash_is_reported_by_where_and_what() -> None:
    """A mistake in an edited module gives a traceback: its last frame says where, its last line what."""
    lines = ["Traceback (most recent call last):", '  File "/p/generator/cli.py", line 100, in run',
             "    from . import site", '  File "/p/generator/report/pages.py", line 190', "    def (", "        ^",
             "SyntaxError: invalid syntax", ""]
    assert serve.failure_report(lines, 1) == \
        'build failed (exit 1):\nFile "/p/generator/report/pages.py", line 190\nSyntaxError: invalid syntax'
    assert serve.failure_report(["Killed"], -9) == "build failed (exit -9):\nKilled"
    assert serve.failure_report([], -9) == "build failed (exit -9):\nno output"


def test_a_long_failure_report_is_cut_and_says_where_the_rest_is() -> None:
    lines = ["error: 100 mismatch(es)", *(f"  page {index}" for index in range(100))]
    report = serve.failure_report(lines, 5).splitlines()
    assert report[1:-1] == lines[:serve.REPORT_LINES]
    assert report[-1] == f"… and {101 - serve.REPORT_LINES} more lines on the console"


FIRST, SECOND = "1" * 32, "2" * 32  # generations as the tool names them


def fake_site(out: Path, generation: str) -> None:
    write(out / MARKER, json.dumps({"tool": TOOL, "generation": generation}))


@pytest.mark.process
def test_a_build_updates_what_browsers_are_told(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    fake_site(out, FIRST)
    state = PreviewState(FIRST)
    publish = ("import json, pathlib; pathlib.Path({out!r}, {marker!r}).write_text(json.dumps("
               "{{'tool': {tool!r}, 'generation': '{second}'}})); print('[  1.0s] done')")
    serve.rebuild([sys.executable, "-c", publish.format(out=str(out), marker=MARKER, tool=TOOL, second=SECOND)], out, state)
    assert state.current() == {"version": 1, "site": SECOND, "error": None}
    fail = "import sys; print('error: the page says 7'); print('  index.es.md: 7'); sys.exit(5)"
    serve.rebuild([sys.executable, "-c", fail], out, state)
    assert state.current() == {"version": 2, "site": SECOND,
                               "error": "build failed (exit 5):\nerror: the page says 7\n  index.es.md: 7"}
    console = capsys.readouterr().err
    assert "[  1.0s] done\n" in console and "error: the page says 7\n" in console  # the build's lines, as printed
    assert "serve: build failed (exit 5); still serving the last good site" in console
    unchanged = [sys.executable, "-c", "print('[  0.1s] nothing to rebuild')"]
    serve.rebuild(unchanged, out, state)  # the failure is over: the banner goes, the page is not reloaded
    assert state.current() == {"version": 3, "site": SECOND, "error": None}
    serve.rebuild(unchanged, out, state)
    assert state.current()["version"] == 3 and "the site did not change" in capsys.readouterr().err


def test_builds_get_every_option_of_serve() -> None:
    """Serve's options, parsed, turn into a build command that parses back to the same settings."""
    cases = [[], ["--weights", "random", "--seed", "7", "--offline", "--no-notebook-execution"],
             ["--image", "photo.jpg", "--weights", "w.pth", "--download-timeout", "0.5", "--out", "elsewhere",
              "--docs", "d", "--mkdocs-yml", str(ROOT / "mkdocs.yml")]]
    for options in cases:
        _, config = cli.parse(["serve", *options, "--port", "0"])
        command = serve.build_command(config)
        assert command[:4] == [sys.executable, "-m", "generator", "build"]
        _, rebuilt = cli.parse(command[3:])
        assert rebuilt == config, options


# -- serve as a process ----------------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project to edit: its generator, mkdocs.yml and static assets."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "generator", copy / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    shutil.copytree(ROOT / "docs" / STATIC, copy / "docs" / STATIC)
    return copy


class Serve:
    """`python -m generator serve` in a project copy, its console read as it comes."""

    def __init__(self, project: Path, *options: str) -> None:
        environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--port", "0", *options], cwd=project, env=environment,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True, preexec_fn=as_in_a_terminal)
        self.lines: list[str] = []
        self.arrived = threading.Condition()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.arrived:
                self.lines.append(line.rstrip("\n"))
                self.arrived.notify_all()
        with self.arrived:
            self.lines.append("<end of output>")
            self.arrived.notify_all()

    def wait_for(self, pattern: str, after: int = 0) -> re.Match[str]:
        """The first console line from index `after` on that matches pattern (bounded by one build's time)."""
        deadline = time.monotonic() + BUILD_TIMEOUT_S
        with self.arrived:
            while True:
                for line in self.lines[after:]:
                    if match := re.search(pattern, line):
                        return match
                if "<end of output>" in self.lines or not self.arrived.wait(timeout=deadline - time.monotonic()):
                    pytest.fail(f"no console line matching {pattern!r}:\n" + "\n".join(self.lines))

    def stop(self, signum: int, whole_group: bool) -> int:
        (os.killpg if whole_group else os.kill)(self.process.pid, signum)
        code = self.process.wait(timeout=BUILD_TIMEOUT_S)
        self.reader.join(timeout=10)
        return code


@pytest.mark.process
@pytest.mark.parametrize(("signum", "whole_group"), [(signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["ctrl-c", "sigterm"])
def test_a_stop_during_a_build_stops_the_build_and_exits_in_one_line(project: Path, signum: int,
                                                                      whole_group: bool) -> None:
    """Ctrl-C reaches serve's whole process group (the terminal's); SIGTERM, serve alone: either stops the build."""
    server = Serve(project, *SERVE_OPTIONS)
    try:
        server.wait_for(r"^\[ *[\d.]+s\] weights: resolving")  # the build runs, its own signal handlers set
        builds = children(server.process.pid, b"generator\x00build")
        assert builds, "no build process"
        seen = len(server.lines)
        code = server.stop(signum, whole_group)
    finally:
        if server.process.poll() is None:
            server.process.kill()
    assert code == 128 + signum, server.lines
    said = [line for line in server.lines[seen:] if not line.startswith("[")]  # a progress line may still pass
    assert said == [f"{STOPPED[signum]}: the previous site is untouched", "<end of output>"], server.lines
    assert not [pid for pid in builds if alive(pid)], "the build outlived serve"
    assert not (project / "site").exists()
    leftovers = [path for folder in (project, project / "docs") for path in folder.glob(STAGING_PREFIX + "*")]
    assert not leftovers


def run_serve(project: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """A serve that must refuse: bounded, so one that serves instead fails the test rather than hanging it."""
    return subprocess.run([sys.executable, "-m", "generator", "serve", *options], cwd=project, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.process
@pytest.mark.parametrize("port", ["70000", "-1", "http", ""])
def test_a_bad_port_is_refused_in_one_line(project: Path, port: str) -> None:
    result = run_serve(project, "--port", port)
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "--port" in lines[0], result.stderr


@pytest.mark.process
def test_a_taken_port_or_a_foreign_out_is_refused_before_any_build(project: Path) -> None:
    foreign = write(project / "mine" / "notes.txt", "not a site").parent
    result = run_serve(project, "--out", str(foreign), "--port", "0")
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"error: --out {foreign}"), result.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve(project, "--port", str(port))
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"error: --port {port}:"), result.stderr
    assert not (project / "site").exists()


# -- the whole loop in a browser -------------------------------------------------------------------------------


def edit(template: Path, original: str, marker: str, sentence: str) -> None:
    """The template as it came, with one paragraph more above the marker line."""
    template.write_text(original.replace(marker, f"{sentence}\n\n{marker}"), encoding="utf-8")


@pytest.mark.browser
@pytest.mark.build
def test_an_edit_shows_up_in_the_browser_and_a_failure_is_shown_over_the_last_good_site(project: Path) -> None:
    good, bad, fixed = ("Frase agregada durante la vista previa.", "Esta frase tiene 7 palabras de más.",
                        "Frase corregida durante la vista previa.")
    template, marker = project / "generator" / "templates" / "es" / "index.md.j2", "## Fuentes { #fuentes }"
    original = template.read_text(encoding="utf-8")
    assert original.count(marker) == 1
    server = Serve(project, *SERVE_OPTIONS)
    try:
        url = server.wait_for(r"^serve: serving .* at (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)$")[1]
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(url)  # before the first build is done: the page says so, then reloads by itself
                article = page.locator("article")
                expect(article.locator("h1")).to_contain_text("ResNet", timeout=BUILD_TIMEOUT_S * 1000)

                edit(template, original, marker, good)
                expect(article).to_contain_text(good, timeout=BUILD_TIMEOUT_S * 1000)

                seen = len(server.lines)
                edit(template, original, marker, bad)
                banner = page.locator(f"#{BANNER_ID}")
                expect(banner).to_contain_text(WORDS["es"]["failed"], timeout=BUILD_TIMEOUT_S * 1000)
                expect(banner).to_contain_text("exit 5")
                expect(banner).to_contain_text("'7'")
                server.wait_for(r"^error: .*mismatch", after=seen)  # the console shows the build's error too
                expect(article).to_contain_text(good)  # the last good site is still what is served
                expect(article).not_to_contain_text(bad)
                english = browser.new_page()
                english.goto(url + "en/")
                expect(english.locator(f"#{BANNER_ID}")).to_contain_text(WORDS["en"]["failed"])

                edit(template, original, marker, fixed)
                expect(article).to_contain_text(fixed, timeout=BUILD_TIMEOUT_S * 1000)
                expect(banner).to_have_count(0)
                expect(english.locator(f"#{BANNER_ID}")).to_have_count(0, timeout=BUILD_TIMEOUT_S * 1000)
            finally:
                browser.close()
        code = server.stop(signal.SIGINT, whole_group=True)
    finally:
        if server.process.poll() is None:
            server.process.kill()
    assert code == 130 and server.lines[-2:] == ["interrupted: the previous site is untouched", "<end of output>"]
    published = [path for path in (project / "site").rglob("*") if path.is_file()]
    assert published and not [path for path in published if b"serve-preview" in path.read_bytes()], \
        "the preview's script reached the published site"
