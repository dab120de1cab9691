"""`python -m generator`: the one entry point, with a subcommand per stage a user cares about."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .core import lazy_dynamo
from .core.cache import ignore_relative_cache_home
from .core.config import DEFAULT_SEED, SAMPLE_IMAGE_NAME, WEIGHT_CHOICES, Config, absolute
from .core.errors import EXIT_CODES, Interrupted, OutputError, ReportError, UsageError
from .core.names import printable_line, printable_name
from .runtime import interrupts

EPILOG = "exit codes: " + ", ".join(f"{code} {name}" for name, code in EXIT_CODES.items())
STOPPED = {"SIGINT": "interrupted", "SIGTERM": "terminated", "SIGHUP": "hung up"}
# What a stop leaves as it was, by command: the experiment writes its results file, never the site.
UNTOUCHED = {"experiment": "the previous results file is untouched"}
UNTOUCHED_SITE = "the previous site is untouched"


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as a UsageError, keeping one exit-code table."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see --help)")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", type=Path, default=None,
                        help=f"input image (default: matplotlib's sample {SAMPLE_IMAGE_NAME})")
    parser.add_argument("--weights", default="auto",
                        help=f"one of {', '.join(WEIGHT_CHOICES)} or a path to a ResNet18 state_dict (.pth). "
                        "auto: ImageNet weights from torch's hub cache (SHA-256 verified) or a download, "
                        "else seeded random weights, flagged on every page; imagenet: refuse to fall back; "
                        "random: seeded random weights")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed for random weights (default: {DEFAULT_SEED})")
    parser.add_argument("--offline", action="store_true", help="never try to download the ImageNet weights")
    parser.add_argument("--download-timeout", type=float, default=5.0, metavar="SECONDS",
                        help="give up a download after this many seconds (default: 5)")
    parser.add_argument("--docs", type=Path, default=None, help="MkDocs docs folder (default: the project's docs/)")
    parser.add_argument("--mkdocs-yml", type=Path, default=None,
                        help="MkDocs config (default: the project's mkdocs.yml)")
    parser.add_argument("--no-notebook-execution", action="store_true",
                        help="write the notebook without running it (faster; the published build runs it); "
                        "check: the build being checked was made so")
    parser.add_argument("--no-pdf", action="store_true",
                        help="make no PDF of the report and link none (faster: about 6 s of every build; the "
                        "published build makes them); check: the build being checked was made so")


def add_site_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    """The options of the commands that build a site: build and serve."""
    parser.add_argument("--out", type=Path, default=None, help=out_help)


def port_number(text: str) -> int:
    """A TCP port, or 0 for any free one."""
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text!r}")
    return int(text)


def reproducible_date() -> None:
    """SOURCE_DATE_EPOCH, which MkDocs and matplotlib read (the sitemap's gzip header, a figure's metadata), must
    be what reproducible-builds.org says it is: anything else crashed either one in the middle of a build."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is not None and not (value.isascii() and value.isdigit()):
        raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got {value[:40]!r}: "
                         "fix it or unset it")


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, Config | None]:
    """The arguments, and the run's Config (None for `experiment`, which reads no image, weights or docs)."""
    parser = Parser(prog="python -m generator", description=__doc__, epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    build = commands.add_parser("build", help="run the model, write the pages, check them and build the site",
                                epilog=EPILOG)
    add_run_options(build)
    add_site_options(build, "site folder (default: the project's site/); replaced only on success, and only if it "
                     "does not exist, is empty, or is a site this tool built")
    build.add_argument("--quiet", action="store_true", help="no progress lines")
    build.add_argument("--force", action="store_true",
                       help="compute everything again, even when no input changed (by default a build reuses what "
                       "the published one computed, and does nothing when no input changed and the site is intact)")
    check = commands.add_parser("check", help="re-derive every number and compare it with the pages in docs/, "
                                "and make sure docs/ and the site are from the same build", epilog=EPILOG)
    add_run_options(check)
    check.add_argument("--out", type=Path, default=None,
                       help="the site to pair with docs/ (default: the one docs/ was published with)")
    serve = commands.add_parser("serve", help="build, serve the site on localhost, and rebuild and reload the "
                                "browser on every change to the generator, templates, translations, static assets "
                                "or mkdocs.yml", epilog=EPILOG)
    add_run_options(serve)
    add_site_options(serve, "site folder that each build publishes and the preview serves (default: the project's "
                     "site/); the same rules as for build")
    serve.add_argument("--port", type=port_number, default=8000,
                       help="serve on 127.0.0.1 at this port (default: 8000; 0: any free port)")
    experiment = commands.add_parser("experiment", help="train the degradation experiment's plain and residual nets "
                                     "(a few minutes on two cores) and write its results file, which builds read",
                                     epilog=EPILOG)
    experiment.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    reproducible_date()
    if args.command == "experiment":
        return args, None
    paths = {name: getattr(args, name) for name in ("docs", "mkdocs_yml") if getattr(args, name) is not None}
    if args.command in ("build", "serve") and args.out is not None:
        paths["out"] = args.out
    if args.image is not None:
        paths["image"] = args.image
    config = Config(
        weights=args.weights,
        seed=args.seed,
        allow_download=not args.offline,
        download_timeout_s=args.download_timeout,
        execute_notebook=not getattr(args, "no_notebook_execution", False),
        make_pdf=not getattr(args, "no_pdf", False),
        reuse_published=not getattr(args, "force", False),
        **paths,
    )
    return args, config


def run(args: argparse.Namespace, config: Config) -> str:
    """The command itself; returns the line that says what was done."""
    from .publish import generation as publish
    from .verify import site_config

    site_config.usable(config.mkdocs_yml)  # a config MkDocs cannot use is refused before any work
    if args.command == "build":
        publish.preflight(config)
        from .pipeline import reuse, site

        outcome = site.build(config, site.Progress(args.quiet))
        if outcome.work == reuse.NOTHING_TO_DO:
            return f"up to date: {printable_name(str(config.out))} (generation {outcome.generation[:12]}); --force builds it again"
        return f"published {printable_name(str(config.out))}"
    if args.command == "serve":
        publish.preflight(config)  # an --out serve's builds would refuse is refused before it serves anything
        from .preview import serve

        serve.serve(config, args.port)
    from .verify import standalone

    experiment = standalone.check_command(config, absolute(args.out) if args.out is not None else None)
    return (f"check: every number in {printable_name(str(config.docs))} matches the model, and the site is the one built with it; "
            f"{experiment}")


def train_experiment(args: argparse.Namespace) -> str:
    from .pipeline import site
    from .experiment import runner

    return runner.main(site.Progress(args.quiet))


def main(argv: list[str] | None = None) -> int:
    lazy_dynamo.install()  # before anything imports torchvision: this process's and its forks' imports
    ignore_relative_cache_home()
    command = next((word for word in argv or sys.argv[1:] if not word.startswith("-")), "")
    untouched = UNTOUCHED.get(command, UNTOUCHED_SITE)
    with interrupts.installed():
        try:
            args, config = parse(argv)
            done = run(args, config) if config is not None else train_experiment(args)
        except ReportError as error:
            print(f"error: {error.printable()}", file=sys.stderr)
            return error.exit_code
        except OSError as error:
            print(f"error: {printable_line(str(error))}; check permissions and free space", file=sys.stderr)
            return OutputError.exit_code
        except Interrupted as stop:
            print(f"{STOPPED[str(stop)]}: {untouched}", file=sys.stderr)
            return stop.exit_code
        except KeyboardInterrupt:
            print(f"interrupted: {untouched}", file=sys.stderr)
            return 130
        signum = interrupts.pending()
        if signum is not None:
            stop = Interrupted(signum)
            print(f"{STOPPED[str(stop)]} during publication, which completed: {done}", file=sys.stderr)
            return stop.exit_code
        if args.command in ("check", "experiment"):
            print(done, file=sys.stderr)
    return 0
