"""Errors a user can act on, each with its own exit code.

The CLI prints ``error.printable()`` and exits with ``error.exit_code``: one
line, with every character that could break it or disguise it escaped
(core/names), so a file name holding a newline cannot print a line of its own.
An OSError that no stage turned into an OutputError is reported the same way
(exit 7: a disk or a permission failed, not the code); anything else that
escapes is a bug and gets a traceback.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence

from .names import printable_line


class ReportError(Exception):
    """Base for expected failures: the message tells the user what to do."""

    exit_code = 1

    def printable(self) -> str:
        """The message as the console shows it: one line, whatever names it holds."""
        return printable_line(str(self))


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
    """The pages disagree with the model: a summary, then the listing, one mismatch a line."""

    exit_code = 5

    def __init__(self, summary: str, listing: Sequence[str] = ()) -> None:
        super().__init__(summary, tuple(listing))  # both in args, so that a forked child's error pickles whole
        self.summary, self.listing = summary, tuple(listing)

    def __str__(self) -> str:
        return "".join([self.summary, *(f"\n  {line}" for line in self.listing)])

    def printable(self) -> str:
        """One line for the summary and one for each mismatch: no mismatch can break its own line."""
        return "\n  ".join(printable_line(line) for line in (self.summary, *self.listing))


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
    text = printable_line(" ".join(str(exc).split())) or type(exc).__name__
    return text.split(". ", 1)[0] if len(text) > 160 else text
