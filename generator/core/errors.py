"""Errors a user can act on, each with its own exit code.

The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``.
An OSError that no stage turned into an OutputError is reported the same way
(exit 7: a disk or a permission failed, not the code); anything else that
escapes is a bug and gets a traceback.
"""

from __future__ import annotations

import signal


class ReportError(Exception):
    """Base for expected failures: the message tells the user what to do."""

    exit_code = 1


class UsageError(ReportError):
    """A bad option or configuration value, or a target this tool refuses to replace."""

    exit_code = 2


class WeightsError(ReportError):
    """Weights missing, tampered, unsafe or of the wrong architecture."""

    exit_code = 3


class ImageError(ReportError):
    """The input image cannot be read or is unsafe to decode."""

    exit_code = 4


class MismatchError(ReportError):
    """The pages disagree with the model."""

    exit_code = 5


class SiteBuildError(ReportError):
    """MkDocs could not build the site."""

    exit_code = 6


class OutputError(ReportError):
    """An output cannot be written (read-only, permissions, full disk), or docs/ and the site are not one build."""

    exit_code = 7


class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP, raised like Ctrl-C so that every ``finally:`` and library cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process stopped by a signal."""
        return 128 + self.signum


EXIT_CODES: dict[str, int] = {
    "ok": 0,
    "usage": UsageError.exit_code,
    "weights": WeightsError.exit_code,
    "image": ImageError.exit_code,
    "mismatch": MismatchError.exit_code,
    "site": SiteBuildError.exit_code,
    "output": OutputError.exit_code,
    "hangup": 128 + signal.SIGHUP,
    "interrupted": 128 + signal.SIGINT,
    "terminated": 128 + signal.SIGTERM,
}


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, cut to its first sentence when long, for a user-facing error."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text.split(". ", 1)[0] if len(text) > 160 else text
