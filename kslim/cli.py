"""The ``kslim`` command line: ``kslim <command> ...``.

Each command is a module of ``kslim.commands`` with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; ``COMMANDS`` below lists
them explicitly (add a module there to add a command).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kslim.commands import convert, export, inspect_checkpoint, train
from kslim.commands import eval as evaluate

COMMANDS = [convert, train, evaluate, inspect_checkpoint, export]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per command of ``COMMANDS``."""
    parser = argparse.ArgumentParser(
        prog="kslim", description="kslim: TF-Slim on TensorFlow 2 and Keras 3."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        p = sub.add_parser(
            command.NAME,
            help=command.HELP,
            description=command.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(p)
        p.set_defaults(_run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status (0 ok, 1 failure, 2 usage).

    Errors (a missing checkpoint, a bad argument value) are printed as
    ``kslim <command>: error: <message>`` on stderr, without a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (ValueError, TypeError, OSError, ImportError, AttributeError) as e:
        print(f"kslim {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
