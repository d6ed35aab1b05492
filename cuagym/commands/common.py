"""What the subcommands share: their parsers, the run config, and how they report a problem.

A command's ``main`` is wrapped in :func:`command`; anything it cannot do because of what it was
given (flags, paths, the config) raises :class:`UsageError`, or a library's error is turned into
one with :func:`usage_errors`, and ``main`` prints ``PROG: message`` on stderr and returns the
error's exit status (2 unless it says otherwise):

    @command("cuagym sft")
    def main(argv: list[str] | None = None) -> int:
        args = config_parser("cuagym sft", __doc__, "sft.steps=40").parse_args(argv)
        cfg = load_run_config(args)
        with usage_errors(FileNotFoundError, ValueError):
            run_sft(cfg)
        return 0
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from cuagym.config import Config


class UsageError(Exception):
    """Bad flags, paths, inputs or config: printed as ``PROG: message`` (nothing when the message is
    empty: argparse has printed it), exit status ``status`` (2)."""

    def __init__(self, message: str = "", status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def command(prog: str) -> Callable[[Callable[[list[str] | None], int]], Callable[[list[str] | None], int]]:
    """Decorate a command's ``main(argv) -> int`` so that a :class:`UsageError` is printed as
    ``PROG: message`` on stderr and its status returned."""

    def wrap(main: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
        @functools.wraps(main)
        def wrapped(argv: list[str] | None = None) -> int:
            try:
                return main(argv)
            except UsageError as err:
                if str(err):
                    print(f"{prog}: {err}", file=sys.stderr)
                return err.status

        return wrapped

    return wrap


@contextlib.contextmanager
def usage_errors(*errors: type[Exception]) -> Iterator[None]:
    """Raise any of ``errors`` raised inside as a :class:`UsageError` with the same message."""
    try:
        yield
    except errors as err:
        raise UsageError(str(err)) from err


def parse_or_exit(parser: argparse.ArgumentParser, argv: list[str] | None, *,
                  intermixed: bool = False) -> argparse.Namespace:
    """``parser``'s arguments (options and positionals in any order when ``intermixed``). Where
    argparse exits (``--help``, or a bad flag: it has printed the usage and the problem), the
    command returns argparse's exit status instead of exiting."""
    try:
        return parser.parse_intermixed_args(argv) if intermixed else parser.parse_args(argv)
    except SystemExit as e:
        raise UsageError(status=int(e.code or 0)) from None


def command_parser(prog: str, doc: str) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of the command module's docstring."""
    return argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])


def config_parser(prog: str, doc: str, example: str, *, required: bool = True) -> argparse.ArgumentParser:
    """:func:`command_parser` with ``--config`` (required, or the built-in defaults when not given)
    and the dotted config overrides (``example`` shows one)."""
    parser = command_parser(prog, doc)
    if required:
        parser.add_argument("--config", required=True, help="YAML config, e.g. configs/tiny.yaml")
    else:
        parser.add_argument("--config", default=None, help="YAML config (default: built-in defaults)")
    parser.add_argument("overrides", nargs="*", help=f"dotted overrides such as {example}")
    return parser


def subcommand_parsers(prog: str, description: str, helps: dict[str, str],
                       ) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """A parser whose first argument, ``args.cmd``, is one of ``helps`` (name -> one-line help), and
    the parser of each of them, for its own arguments."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="{" + ",".join(helps) + "}")
    return parser, {name: sub.add_parser(name, help=help_) for name, help_ in helps.items()}


def check_overrides(overrides: list[str], example: str) -> None:
    """Refuse extra arguments that are not ``KEY=VALUE`` config overrides (``example`` shows one)."""
    bad = [o for o in overrides if "=" not in o]
    if bad:
        raise UsageError(f"unexpected argument(s) {', '.join(bad)}: config overrides look like {example}")


def load_run_config(args: argparse.Namespace, overrides: list[str] | None = None) -> Config:
    """The config of ``args.config`` (the defaults when it is None) with ``overrides`` (default:
    ``args.overrides``) applied; a config that cannot be used is a :class:`UsageError`."""
    from cuagym.config import ConfigError, load_config

    with usage_errors(ConfigError):
        return load_config(args.config, args.overrides if overrides is None else overrides)
