"""Serve the published site on localhost, reload browsers when it changes, and show a failed build on every page.

MkDocs' LiveReloadServer holds every request while a build runs and hangs
after a failed one; here the files served are always the last good site's,
during a build and after a failure. The live-reload script and the failure
banner are added to each HTML page as it is sent, never written to disk, so
nothing of the preview can reach a published site. Browsers long-poll the
server's state: a new site reloads the page, a failure (or its end) shows
(or removes) the banner in place.
"""

from __future__ import annotations

import html
import json
import mimetypes
import os
import posixpath
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..core.config import LANGUAGES
from ..core.errors import UsageError, one_line

HOST = "127.0.0.1"  # the preview is for the person at this machine, never the network
# The names a browser on this machine uses for it. A page of another site whose name was made to resolve to
# 127.0.0.1 (DNS rebinding) sends its own name, and is refused: it must not read the site or the live state.
LOOPBACK_HOST = re.compile(r"(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?", re.IGNORECASE)
FOREIGN_HOST = b"403: this preview answers only to localhost, 127.0.0.1 or [::1]\n"
BAD_PATH = b"400: the address holds a NUL byte, which no file name can\n"
TEXT = "text/plain; charset=utf-8"
STATE_PATH = "/.serve/state"
LONG_POLL_S = 25.0
VERSION = re.compile(r"-?[0-9]{1,18}")  # what a browser sends back as the state version it knows
SHUTDOWN_POLL_S = 0.1  # how soon the server notices that serve is stopping
NOT_FOUND_PAGE = "404.html"
# The banner in each language of the site (the first is the site's default), and the page shown before any site.
WORDS: dict[str, dict[str, str]] = {
    "es": {
        "failed": "La última construcción falló; se sigue sirviendo el último sitio correcto. "
                  "Al corregir el error, la página se actualiza sola.",
        "no_site": "Todavía no hay sitio: la primera construcción está en curso o falló. "
                   "Esta página se actualiza sola.",
    },
    "en": {
        "failed": "The last build failed; the last good site is still being served. "
                  "Fix the error and this page updates by itself.",
        "no_site": "No site yet: the first build is running or failed. This page updates by itself.",
    },
}
BANNER_ID = "serve-preview-banner"
CLIENT_JS = """(() => {
  const config = JSON.parse(document.getElementById('serve-preview-state').textContent);
  const words = config.words[document.documentElement.lang] || config.words[config.fallback];
  let known = config.state;
  const show = error => {
    let banner = document.getElementById('%(banner)s');
    if (!error) { if (banner) banner.remove(); return; }
    if (!banner) {
      banner = document.createElement('div');
      banner.id = '%(banner)s';
      banner.setAttribute('role', 'alert');
      banner.style.cssText = 'position:fixed;left:0;right:0;bottom:0;z-index:1000;max-height:40vh;overflow:auto;'
        + 'padding:.8em 1em;background:#b71c1c;color:#fff;font:14px/1.4 system-ui,sans-serif';
      banner.append(document.createElement('strong'), document.createElement('pre'));
      banner.lastChild.style.cssText = 'margin:.4em 0 0;white-space:pre-wrap;font:13px/1.4 monospace';
      document.body.append(banner);
    }
    banner.firstChild.textContent = words.failed;
    banner.lastChild.textContent = error;
  };
  const wait = delay => new Promise(resolve => setTimeout(resolve, delay));
  const poll = async () => {
    for (;;) {
      try {
        const response = await fetch('%(state)s?since=' + known.version, {cache: 'no-store'});
        const state = await response.json();
        if (state.site !== known.site) { location.reload(); return; }
        known = state;
        show(state.error);
      } catch (error) {
        await wait(2000);
      }
    }
  };
  show(known.error);
  poll();
})();""" % {"banner": BANNER_ID, "state": STATE_PATH}


class PreviewState:
    """What browsers must know: which site is served (its generation) and the last build's failure, if any."""

    def __init__(self, site: str | None) -> None:
        self._changed = threading.Condition()
        self._state: dict[str, Any] = {"version": 0, "site": site, "error": None}

    def update(self, site: str | None, error: str | None) -> None:
        with self._changed:
            if (site, error) != (self._state["site"], self._state["error"]):
                self._state = {"version": self._state["version"] + 1, "site": site, "error": error}
                self._changed.notify_all()

    def current(self) -> dict[str, Any]:
        with self._changed:
            return dict(self._state)

    def wait_for_change(self, since: int, timeout: float) -> dict[str, Any]:
        """The state once its version differs from the browser's (at once if it already does), or after timeout."""
        with self._changed:
            self._changed.wait_for(lambda: self._state["version"] != since, timeout=timeout)
            return dict(self._state)


def language_of(path: str) -> str:
    """The site's language for a URL path: another language's pages live under its own folder."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in LANGUAGES[1:] else LANGUAGES[0]


def injected(page: bytes, state: dict[str, Any]) -> bytes:
    """The page with the preview's state and script added before </body>."""
    config = {"state": state, "words": WORDS, "fallback": LANGUAGES[0]}
    data = json.dumps(config, ensure_ascii=True).replace("<", "\\u003c")  # no "</script>" can end it early
    tail = (f'<script type="application/json" id="serve-preview-state">{data}</script>'
            f"<script>{CLIENT_JS}</script>").encode("utf-8")
    end = page.rfind(b"</body>")
    return page + tail if end < 0 else page[:end] + tail + page[end:]


def no_site_page(language: str) -> bytes:
    text = html.escape(WORDS[language]["no_site"])
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"><title>ResNet18</title></head>'
            f"<body><p>{text}</p></body></html>").encode("utf-8")


def content_type(path: Path) -> str:
    """What the file is, as a browser needs it; a compressed file (Material's sitemap.xml.gz) is just bytes."""
    guess, compression = mimetypes.guess_type(path.name)
    if guess is None or compression is not None:
        return "application/octet-stream"
    return f"{guess}; charset=utf-8" if guess.startswith("text/") or guess == "application/javascript" else guess


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - the standard library's name
        self.respond(send_body=False)

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        self.respond(send_body=True)

    def respond(self, send_body: bool) -> None:
        """The file a request names, or why not: every request gets an answer, none a traceback."""
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or not LOOPBACK_HOST.fullmatch(hosts[0].strip()):
            self.send(403, TEXT, FOREIGN_HOST, send_body)
            return
        url = urlsplit(self.path)
        path = unquote(url.path)
        if "\0" in path:
            self.send(400, TEXT, BAD_PATH, send_body)
            return
        if path == STATE_PATH:
            since = parse_qs(url.query).get("since", [""])[0]
            state = self.server.state.wait_for_change(int(since) if VERSION.fullmatch(since) else -1, LONG_POLL_S)
            self.send(200, "application/json", json.dumps(state).encode("utf-8"), send_body)
            return
        status, file = self.server.lookup(path)
        if status == 301:
            self.send_response(301)
            self.send_header("Location", url.path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            body, kind = file.read_bytes(), content_type(file)
        except OSError:  # no site yet: say so, in the language the address asks for
            status, body, kind = 503, no_site_page(language_of(path)), content_type(Path(NOT_FOUND_PAGE))
        if kind.startswith("text/html"):
            body = injected(body, self.server.state.current())
        self.send(status, kind, body, send_body)

    def send(self, status: int, kind: str, body: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)


class PreviewServer(ThreadingHTTPServer):
    """Files of one folder, looked up afresh on each request: a published site swaps in between two requests."""

    daemon_threads = True

    def __init__(self, root: Path, port: int, state: PreviewState) -> None:
        self.root = root
        self.state = state
        try:
            super().__init__((HOST, port), PreviewHandler)
        except OSError as error:
            raise UsageError(f"--port {port}: cannot serve on {HOST}:{port} ({error.strerror}); "
                             "pass another --port") from error
        self.thread = threading.Thread(target=self.serve_forever, args=(SHUTDOWN_POLL_S,), name="preview-server",
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    def file_for(self, path: str) -> Path | None:
        """The file or folder a URL path names inside the root, or None for anything outside it."""
        relative = posixpath.normpath("/" + path).lstrip("/")
        if relative in ("", "."):
            relative = ""
        target = self.root / relative
        if path.endswith("/"):
            target = target / "index.html"
        if not os.path.realpath(target).startswith(os.path.realpath(self.root) + os.sep):
            return None
        return target

    def lookup(self, path: str) -> tuple[int, Path]:
        """301 for a folder named without its slash, 200 and the file, or 404 and the site's 404 page.

        A name the file system cannot hold (too long, say) is simply not in the site.
        """
        try:
            file = self.file_for(path)
            if file is not None and file.is_dir():
                return 301, file
            if file is not None and file.is_file():
                return 200, file
        except (OSError, ValueError):
            pass
        return 404, self.not_found_page(path)

    def not_found_page(self, path: str) -> Path:
        """The 404 page nearest the address, as Cloudflare Pages looks for it: a language's own (en/404.html) for
        an address in its folder, else the root's."""
        folders = posixpath.normpath("/" + path).strip("/").split("/")[:-1]
        for depth in range(len(folders), 0, -1):
            candidate = self.root.joinpath(*folders[:depth], NOT_FOUND_PAGE)
            try:
                if os.path.realpath(candidate).startswith(os.path.realpath(self.root) + os.sep) and candidate.is_file():
                    return candidate
            except (OSError, ValueError):
                continue
        return self.root / NOT_FOUND_PAGE

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request: object, client_address: object) -> None:
        """One line on the console for a request that failed, never a traceback between serve's own lines.

        A browser drops connections it no longer needs (a reload, a closed tab): not an error at all.
        """
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, ConnectionError):
            print(f"serve: a request failed ({type(error).__name__}: {one_line(error)}); the next is served as usual",
                  file=sys.stderr, flush=True)
