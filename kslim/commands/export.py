"""Exports a model function and a checkpoint to a versioned SavedModel.

Example:
  kslim export --checkpoint logdir --export-dir serving/lenet \\
      --model-fn mypackage.nets:lenet --input-shape 28,28,1

The model function is called on one input per --input-shape (the batch
dimension is added) and must return a tensor or a dict of tensors; the
SavedModel gets a serving_default signature (see kslim.export).
"""

from __future__ import annotations

import argparse
import importlib

NAME = "export"
HELP = "export a model function + checkpoint to a SavedModel for TF Serving"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds --checkpoint, --export-dir, --model-fn, --input-* and --version."""
    parser.add_argument(
        "--checkpoint", required=True, help="checkpoint prefix, or a logdir (its latest checkpoint)"
    )
    parser.add_argument("--export-dir", required=True, help="base directory of the SavedModel")
    parser.add_argument(
        "--model-fn",
        required=True,
        metavar="MODULE:FUNCTION",
        help="import path of the model function, e.g. mypkg.nets:lenet",
    )
    parser.add_argument(
        "--input-shape",
        action="append",
        required=True,
        metavar="D1,D2,...",
        help="shape of one input without the batch dimension (repeat for several inputs)",
    )
    parser.add_argument(
        "--input-dtype",
        action="append",
        metavar="DTYPE",
        help="dtype of each input (one for all, or one per input); default float32",
    )
    parser.add_argument(
        "--input-name",
        action="append",
        metavar="NAME",
        help="signature name of each input (default inputs, inputs_<i>)",
    )
    parser.add_argument(
        "--version",
        type=int,
        default=None,
        help="version number (default: the checkpoint's global step)",
    )


def load_model_fn(spec: str):
    """Imports ``module:function``.

    Raises:
      ValueError: a malformed spec or a missing/non-callable attribute.
      ImportError: the module cannot be imported.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--model-fn must be MODULE:FUNCTION, got {spec!r}")
    module = importlib.import_module(module_name)
    fn = module
    for part in attr.split("."):
        if not hasattr(fn, part):
            raise ValueError(f"--model-fn {spec!r}: module {module_name!r} has no {attr!r}")
        fn = getattr(fn, part)
    if not callable(fn):
        raise ValueError(f"--model-fn {spec!r} is not callable: {fn!r}")
    return fn


def parse_shape(text: str) -> list:
    """``'28,28,1'`` -> ``[28, 28, 1]`` (``?`` or ``None`` for unknown dims)."""
    dims = []
    for part in text.split(","):
        part = part.strip()
        if part in ("?", "None", "none", "-1"):
            dims.append(None)
            continue
        try:
            value = int(part)
        except ValueError:
            raise ValueError(f"--input-shape must be comma-separated ints, got {text!r}") from None
        if value <= 0:
            raise ValueError(f"--input-shape dimensions must be positive, got {text!r}")
        dims.append(value)
    return dims


def input_signature(shapes, dtypes, names) -> list:
    """The list of ``tf.TensorSpec`` (batch dimension None) for the arguments."""
    import tensorflow as tf

    dtypes = dtypes or ["float32"]
    if len(dtypes) not in (1, len(shapes)):
        raise ValueError(f"give one --input-dtype or one per --input-shape, got {dtypes}")
    if names and len(names) != len(shapes):
        raise ValueError(f"give one --input-name per --input-shape, got {names}")
    specs = []
    for i, shape in enumerate(shapes):
        dtype_name = dtypes[i] if len(dtypes) > 1 else dtypes[0]
        try:
            dtype = tf.as_dtype(dtype_name)
        except TypeError:
            raise ValueError(f"--input-dtype {dtype_name!r} is not a TensorFlow dtype") from None
        specs.append(
            tf.TensorSpec([None] + parse_shape(shape), dtype, name=names[i] if names else None)
        )
    return specs


def run(args: argparse.Namespace) -> int:
    """Exports and prints the version directory written."""
    from kslim.export import export_saved_model

    specs = input_signature(args.input_shape, args.input_dtype, args.input_name)
    model_fn = load_model_fn(args.model_fn)
    path = export_saved_model(
        args.export_dir,
        model_fn=model_fn,
        input_signature=specs,
        checkpoint=args.checkpoint,
        version=args.version,
    )
    print(path)
    return 0
