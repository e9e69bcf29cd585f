"""Lists the tensors of a checkpoint: names, dtypes, shapes (and values).

PATH is a checkpoint prefix (logdir/model.ckpt-100) or a directory (its
latest checkpoint). Like TensorFlow's inspect_checkpoint tool.
"""

from __future__ import annotations

import argparse

NAME = "inspect-checkpoint"
HELP = "list the variables of a checkpoint (names, shapes, dtypes, values)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds PATH, --values and --name."""
    parser.add_argument("path", metavar="PATH", help="checkpoint prefix or directory")
    parser.add_argument("--values", action="store_true", help="also print every value")
    parser.add_argument("--name", metavar="NAME", help="only this tensor (its value is printed)")


def run(args: argparse.Namespace) -> int:
    """Prints ``<name> <dtype> [<shape>]`` per tensor (and values on request)."""
    import numpy as np

    from kslim import checkpoints

    path = args.path
    if checkpoints.latest_checkpoint(path):
        path = checkpoints.latest_checkpoint(path)
    entries = checkpoints.list_variables(path)
    if args.name is not None:
        entries = [e for e in entries if e[0] == args.name]
        if not entries:
            raise ValueError(f"checkpoint {path!r} has no tensor named {args.name!r}")
    width = max((len(n) for n, _, _ in entries), default=0)
    values = (
        checkpoints.read_checkpoint(path, [n for n, _, _ in entries])
        if args.values or args.name is not None
        else {}
    )
    print(f"checkpoint: {path}")
    for name, shape, dtype in entries:
        print(f"{name:<{width}}  {dtype:<8} {shape}")
        if name in values:
            print(np.array2string(np.asarray(values[name]), prefix="  "))
    return 0
