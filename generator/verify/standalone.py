"""`python -m generator check`: the gate over docs/ held still, the pairing with its site, and the experiment re-run.

A build publishes under the docs lock (publish/journal.docs_lock), moving
its pages in one by one; a check that read docs/ meanwhile could find half
of one generation and half of the next, and report mismatches that no
generation has. So the check reads docs/ and the site while it holds the
same lock: it waits for a publication to end, and says in one line that one
is in progress when the lock's timeout passes first (exit 7). Beside all
that, from its start, it trains the first batches of one of the experiment's
nets again in a child process (verify/experiment.py), which a build's own
gate does not do, and compares them with the results file at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from ..core.config import Config
from ..core.errors import OutputError
from ..publish import generation as publish
from ..publish import journal
from ..publish.journal import JOURNAL, docs_lock, recover
from . import gate
from .experiment import finish_rerun, start_rerun


def check_command(config: Config, out: Path | None) -> str:
    """Everything the check command verifies; returns what it adds to its closing line."""
    rerun = start_rerun(lambda _: None)  # its child trains on the other core while the gate runs on this one
    with docs_held(config.docs):
        site = publish.check_pairing(config.docs, out)
        # a docs folder that names no site: the default one; the re-run and the reproduction are done before the
        # pages are, so the PDFs and the model are read on the other core meanwhile
        gate.verify(config.docs, site or config.out, config, gate.CheckInputs(files_beside=True))
        publish.check_published_files(config.docs, site)
    return finish_rerun(rerun)


@contextmanager
def docs_held(docs: Path) -> Iterator[None]:
    """The block runs while no build publishes into ``docs``; a publication a kill cut short is finished first.

    Recovery takes the lock itself, so it runs before this takes it; a
    journal found under the lock (a build killed in between) sends it round
    again rather than into a recovery that would wait on this very lock.
    """
    if not docs.is_dir():  # nothing to hold: the pairing and the gate say what is missing
        yield
        return
    while True:
        recover(docs, repair=False)
        with ExitStack() as stack:
            try:
                stack.enter_context(docs_lock(docs))
            except OutputError as error:
                raise OutputError(f"a publication into {docs} is in progress (or another check is reading it) and "
                                  f"did not end within {journal.LOCK_TIMEOUT_S:.0f} s: check again when it is done") from error
            if not os.path.lexists(docs / JOURNAL):
                yield
                return
