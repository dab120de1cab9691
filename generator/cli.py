"""`python -m generator`: the one entry point, with a subcommand per stage a user cares about."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import WEIGHT_CHOICES, Config, sample_image
from .errors import EXIT_CODES, ReportError, UsageError

EPILOG = "exit codes: " + ", ".join(f"{code} {name}" for name, code in EXIT_CODES.items())


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as a UsageError, keeping one exit-code table."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see --help)")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", type=Path, default=None,
                        help=f"input image (default: matplotlib's sample {sample_image().name})")
    parser.add_argument("--weights", default="auto",
                        help=f"one of {', '.join(WEIGHT_CHOICES)} or a path to a ResNet18 state_dict (.pth). "
                        "auto: ImageNet weights from torch's hub cache (SHA-256 verified) or a download, "
                        "else seeded random weights, flagged on every page; imagenet: refuse to fall back; "
                        "random: seeded random weights")
    parser.add_argument("--seed", type=int, default=0, help="seed for random weights (default: 0)")
    parser.add_argument("--offline", action="store_true", help="never try to download the ImageNet weights")
    parser.add_argument("--download-timeout", type=float, default=5.0, metavar="SECONDS",
                        help="give up a download after this many seconds (default: 5)")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="MkDocs docs folder (default: docs)")
    parser.add_argument("--mkdocs-yml", type=Path, default=Path("mkdocs.yml"), help="MkDocs config (default: mkdocs.yml)")


def parse(argv: list[str] | None) -> tuple[str, Config, bool]:
    parser = Parser(prog="python -m generator", description=__doc__, epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    build = commands.add_parser("build", help="run the model, write the pages, check them and build the site",
                                epilog=EPILOG)
    add_run_options(build)
    build.add_argument("--out", type=Path, default=Path("site"), help="site folder, replaced only on success (default: site)")
    build.add_argument("--no-notebook-execution", action="store_true",
                       help="write the notebook without running it (faster; the published build runs it)")
    build.add_argument("--quiet", action="store_true", help="no progress lines")
    check = commands.add_parser("check", help="re-derive every number and compare it with the pages in docs/",
                                epilog=EPILOG)
    add_run_options(check)
    args = parser.parse_args(argv)
    config = Config(
        image=args.image if args.image is not None else sample_image(),
        weights=args.weights,
        seed=args.seed,
        out=getattr(args, "out", Path("site")),
        docs=args.docs,
        mkdocs_yml=args.mkdocs_yml,
        allow_download=not args.offline,
        download_timeout_s=args.download_timeout,
        execute_notebook=not getattr(args, "no_notebook_execution", False),
    )
    return args.command, config, getattr(args, "quiet", False)


def main(argv: list[str] | None = None) -> int:
    try:
        command, config, quiet = parse(argv)
        from . import check, site

        if command == "build":
            site.build(config, site.Progress(quiet))
        else:
            check.verify(config.docs, config)
            print(f"check: every number in {config.docs} matches the model", file=sys.stderr)
    except ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted: the previous site is untouched", file=sys.stderr)
        return 130
    return 0
