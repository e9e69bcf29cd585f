r"""Exports a model function and a checkpoint to a versioned SavedModel.

Example:
  kslim export --checkpoint logdir --export-dir serving/lenet \
      --model-fn mypackage.nets:lenet --input-shape 28,28,1

  kslim export --checkpoint train_dir --export-dir serving/mobilenet \
      --model-name mobilenet_v1_025 --num-classes 5 --image-size 128

The model function is called on one input per --input-shape (the batch
dimension is added) and must return a tensor or a dict of tensors; the
SavedModel gets a serving_default signature (see kslim.export). With
--model-name (slim's export_inference_graph.py) the nets_factory network is
the model function: one float32 image input of --image-size (default the
network's default_image_size) and the output ``logits``.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tensorflow as tf

NAME = "export"
HELP = "export a model function + checkpoint to a SavedModel for TF Serving"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds --checkpoint, --export-dir, --model-fn, --input-* and --version."""
    parser.add_argument(
        "--checkpoint", required=True, help="checkpoint prefix, or a logdir (its latest checkpoint)"
    )
    parser.add_argument("--export-dir", required=True, help="base directory of the SavedModel")
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument(
        "--model-fn",
        metavar="MODULE:FUNCTION",
        help="import path of the model function, e.g. mypkg.nets:lenet",
    )
    model.add_argument(
        "--model-name",
        help="a nets_factory network instead of --model-fn (e.g. mobilenet_v1_025)",
    )
    parser.add_argument(
        "--num-classes",
        type=int,
        default=1001,
        help="with --model-name: classes of the logits layer (default 1001; 0: no logits)",
    )
    parser.add_argument(
        "--image-size",
        type=int,
        default=None,
        help="with --model-name: the input's height and width (default: the network's "
        "default_image_size)",
    )
    parser.add_argument(
        "--input-shape",
        action="append",
        default=None,
        metavar="D1,D2,...",
        help="shape of one input without the batch dimension (repeat for several inputs; "
        "required with --model-fn; default with --model-name: SIZE,SIZE,3)",
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


def load_model_fn(spec: str) -> Callable:
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


def input_signature(
    shapes: Sequence[str], dtypes: Sequence[str] | None, names: Sequence[str] | None
) -> list:
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


def network_model_fn(
    model_name: str, num_classes: int, image_size: int | None
) -> tuple[Callable, str]:
    """``(model_fn, input_shape)`` of a nets_factory network for inference.

    Raises:
      ValueError: an unknown network, a bad --num-classes or a missing image size.
    """
    from kslim.nets import nets_factory

    if model_name not in nets_factory.networks_map:
        raise ValueError(
            f"Name of network unknown {model_name!r}; known networks: "
            f"{', '.join(sorted(nets_factory.networks_map))}"
        )
    if num_classes < 0:
        raise ValueError(f"--num-classes must be >= 0, got {num_classes}")
    network_fn = nets_factory.get_network_fn(model_name, num_classes=num_classes or None)
    size = image_size or getattr(network_fn, "default_image_size", None)
    if not size or size <= 0:
        raise ValueError(
            f"network {model_name!r} has no default_image_size; give a positive --image-size"
        )

    def model_fn(images: tf.Tensor):
        logits, _ = network_fn(images)
        return {"logits": logits}

    return model_fn, f"{size},{size},3"


def run(args: argparse.Namespace) -> int:
    """Exports and prints the version directory written."""
    from kslim.export import export_saved_model

    shapes = args.input_shape
    if args.model_name is not None:
        model_fn, shape = network_model_fn(args.model_name, args.num_classes, args.image_size)
        shapes = shapes or [shape]
    else:
        if not shapes:
            raise ValueError("--model-fn needs --input-shape")
        model_fn = load_model_fn(args.model_fn)
    specs = input_signature(shapes, args.input_dtype, args.input_name)
    path = export_saved_model(
        args.export_dir,
        model_fn=model_fn,
        input_signature=specs,
        checkpoint=args.checkpoint,
        version=args.version,
    )
    print(path)
    return 0
