"""slim.summaries: summaries of graph tensors, written by training and evaluation.

A summary records ``(tag, tensor, kind)`` in the graph (collection SUMMARIES).
``create_train_op`` makes every KerasTensor summary an output of the TrainOp,
and the summary saver writes it every ``save_summaries_secs``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import tensorflow as tf

from kslim.layers.base import apply_op, is_symbolic, register_op
from kslim.ops import keras_graph
from kslim.ops.graph import GraphKeys, get_default_graph
from kslim.ops.variable_scope import name_scope
from kslim.tensor_types import Collections, Scope, TensorLike

__all__ = [
    "add_histogram_summaries",
    "add_histogram_summary",
    "add_image_summaries",
    "add_image_summary",
    "add_scalar_summaries",
    "add_scalar_summary",
    "add_zero_fraction_summaries",
    "add_zero_fraction_summary",
]


def _tensor_name(tensor: Any) -> str:
    if keras_graph.producer(tensor) is not None:
        return keras_graph.output_name(tensor, "")
    name = getattr(tensor, "name", None)
    if isinstance(name, str):
        return name.split(":")[0]
    raise ValueError(f"summary of {tensor!r} needs a name")


def _get_summary_name(
    tensor: TensorLike,
    name: str | None = None,
    prefix: str | None = None,
    postfix: str | None = None,
) -> str:
    if not name:
        name = _tensor_name(tensor)
    if prefix:
        name = prefix + "/" + name
    if postfix:
        name = name + "/" + postfix
    return name


class SummaryEntry(tuple):
    """A recorded summary ``(tag, tensor, kind)``, hashable by identity.

    It stands for TF1's summary tensor: it can be put in a ``set`` (slim's
    ``train_image_classifier.py`` does), its ``name`` is the summary op's name
    (the alias ``convert_collection_to_dict`` reports), and ``merge`` takes it.
    """

    def __new__(cls, tag: str, tensor: Any, kind: str, name: str | None = None) -> SummaryEntry:
        entry = super().__new__(cls, (tag, tensor, kind))
        entry._op_name = name or tag
        return entry

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    @property
    def tag(self) -> str:
        return self[0]

    @property
    def name(self) -> str:
        """The summary op's name (TF1: the tag without a family prefix)."""
        return self._op_name

    def __repr__(self) -> str:
        return f"SummaryEntry(tag={self[0]!r}, kind={self[2]!r})"


def _record(
    tag: str,
    tensor: Any,
    kind: str,
    print_summary: bool = False,
    collections: Collections | None = None,
    name: str | None = None,
) -> SummaryEntry:
    if not (
        is_symbolic(tensor)
        or isinstance(tensor, (tf.Tensor, tf.Variable))
        or hasattr(tensor, "shape")
    ):
        raise TypeError(f"summary {tag!r}: tensor must be a tensor, got {tensor!r}")
    if print_summary:
        import logging

        logging.getLogger("kslim").info("summary %s: %s", tag, tensor)
    entry = SummaryEntry(tag, tensor, kind, name)
    graph = get_default_graph()
    graph.add_to_collection(GraphKeys.SUMMARY_TENSORS, entry)
    graph.add_to_collections(
        [GraphKeys.SUMMARIES] if collections is None else list(collections), entry
    )
    return entry


_TAG_ILLEGAL = re.compile(r"[^-/\w\.]")


def _clean_tag(name: str) -> str:
    """TF1's ``summary.clean_tag``: illegal characters become '_', no leading '/'."""
    return _TAG_ILLEGAL.sub("_", name).lstrip("/")


def _check_name(api: str, name: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"{api}: name must be a non-empty string, got {name!r}")


def _tf1_summary(
    api: str,
    kind: str,
    name: str,
    tensor: TensorLike,
    collections: Collections | None,
    family: str | None,
) -> SummaryEntry:
    """Records a TF1 ``tf.summary.*`` op: tag made unique in the current name scope."""
    from kslim.ops.variable_scope import current_name_scope

    _check_name(api, name)
    if tensor is None:
        raise ValueError(f"{api}: tensor must be a tensor, got None (summary {name!r})")
    if not (is_symbolic(tensor) or hasattr(tensor, "shape")):
        tensor = tf.convert_to_tensor(tensor)
    graph = get_default_graph()
    base = _clean_tag(name)
    if family:
        base = f"{_clean_tag(family)}/{base}"
    op_name = graph.unique_name(current_name_scope(graph) + base)
    tag = op_name if not family else f"{_clean_tag(family)}/{op_name}"
    return _record(tag, tensor, kind, collections=collections, name=op_name)


def tf1_scalar(
    name: str, tensor: TensorLike, collections: Collections | None = None, family: str | None = None
):
    """``tf.compat.v1.summary.scalar`` on kslim tensors (symbolic or concrete).

    Returns:
      The recorded ``SummaryEntry`` (written by ``learning.train`` /
      ``evaluate_once``; symbolic ones become outputs of the train op).

    Raises:
      ValueError: if ``tensor`` is not a scalar or ``name`` is empty.
    """
    entry = _tf1_summary("tf.summary.scalar", "scalar", name, tensor, collections, family)
    shape = getattr(entry[1], "shape", ())
    if shape is not None and len(tuple(shape)) != 0:
        raise ValueError(
            f"tf.summary.scalar: tensor must be a scalar, got shape {tuple(shape)} "
            f"(summary {name!r})"
        )
    return entry


def tf1_histogram(
    name: str, values: TensorLike, collections: Collections | None = None, family: str | None = None
):
    """``tf.compat.v1.summary.histogram`` on kslim tensors or variables."""
    return _tf1_summary("tf.summary.histogram", "histogram", name, values, collections, family)


def tf1_image(
    name: str,
    tensor: TensorLike,
    max_outputs: int = 3,
    collections: Collections | None = None,
    family: str | None = None,
):
    """``tf.compat.v1.summary.image`` on a kslim tensor [N, H, W, C]."""
    if isinstance(max_outputs, bool) or not isinstance(max_outputs, int) or max_outputs < 1:
        raise ValueError(
            f"tf.summary.image: max_outputs must be a positive int, got {max_outputs!r}"
        )
    return _tf1_summary("tf.summary.image", "image", name, tensor, collections, family)


class MergedSummary(list):
    """``tf.compat.v1.summary.merge``'s result: the merged ``SummaryEntry`` list.

    Pass it as ``summary_op`` to ``evaluation.evaluate_once``; ``learning.train``
    writes every recorded summary.
    """

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other


def _flatten_entries(inputs: Iterable[SummaryEntry | MergedSummary | tuple]) -> list:
    out = []
    for item in inputs:
        if isinstance(item, MergedSummary):
            out.extend(item)
        elif isinstance(item, SummaryEntry) or (isinstance(item, tuple) and len(item) == 3):
            out.append(item)
        else:
            raise TypeError(
                "tf.summary.merge: inputs must be summaries returned by tf.summary.* or "
                f"kslim.summaries, got {item!r}"
            )
    return out


def tf1_merge(
    inputs: SummaryEntry | MergedSummary | Iterable[SummaryEntry | MergedSummary | tuple],
    collections: Collections | None = None,
    name: str | None = None,
):
    """``tf.compat.v1.summary.merge``: one ``MergedSummary`` of ``inputs``."""
    del name
    if isinstance(inputs, (SummaryEntry, MergedSummary)):
        inputs = [inputs]
    merged = MergedSummary(_flatten_entries(list(inputs)))
    if collections:
        get_default_graph().add_to_collections(list(collections), merged)
    return merged


def tf1_merge_all(
    key: str = GraphKeys.SUMMARIES, scope: Scope | None = None, name: str | None = None
):
    """``tf.compat.v1.summary.merge_all``: the summaries in collection ``key``, or None."""
    del name
    entries = get_default_graph().get_collection(key, scope)
    if not entries:
        return None
    return tf1_merge(entries)


def add_histogram_summary(
    tensor: TensorLike, name: str | None = None, prefix: str | None = None
) -> SummaryEntry:
    """Records a histogram summary of ``tensor``; returns ``(tag, tensor, kind)``."""
    return _record(_get_summary_name(tensor, name, prefix), tensor, "histogram")


def add_image_summary(
    tensor: TensorLike,
    name: str | None = None,
    prefix: str | None = None,
    print_summary: bool = False,
) -> SummaryEntry:
    """Records an image summary of ``tensor`` [N, H, W, C]."""
    return _record(_get_summary_name(tensor, name, prefix), tensor, "image", print_summary)


def add_scalar_summary(
    tensor: TensorLike,
    name: str | None = None,
    prefix: str | None = None,
    print_summary: bool = False,
) -> SummaryEntry:
    """Records a scalar summary of ``tensor``.

    Raises:
      ValueError: if ``tensor`` is not a scalar.
    """
    shape = getattr(tensor, "shape", ())
    if shape is not None and len(tuple(shape)) != 0:
        raise ValueError(f"add_scalar_summary: tensor must be a scalar, got shape {tuple(shape)}")
    return _record(_get_summary_name(tensor, name, prefix), tensor, "scalar", print_summary)


@register_op("zero_fraction")
def _zero_fraction_op(x: TensorLike):
    return tf.math.zero_fraction(x)


def add_zero_fraction_summary(
    tensor: TensorLike,
    name: str | None = None,
    prefix: str | None = None,
    print_summary: bool = False,
) -> SummaryEntry:
    """Records the fraction of zeros of ``tensor`` (tag ``<name>/Fraction_of_Zero_Values``)."""
    tag = _get_summary_name(tensor, name, prefix, "Fraction_of_Zero_Values")
    if is_symbolic(tensor):
        with name_scope("zero_fraction") as ns:
            value = apply_op("zero_fraction", tensor, ns.rstrip("/"))
    else:
        value = tf.math.zero_fraction(tensor)
    return _record(tag, value, "scalar", print_summary)


def add_histogram_summaries(
    tensors: Iterable[TensorLike], prefix: str | None = None
) -> list[SummaryEntry]:
    """``add_histogram_summary`` for each tensor."""
    return [add_histogram_summary(t, prefix=prefix) for t in tensors]


def add_image_summaries(
    tensors: Iterable[TensorLike], prefix: str | None = None
) -> list[SummaryEntry]:
    """``add_image_summary`` for each tensor."""
    return [add_image_summary(t, prefix=prefix) for t in tensors]


def add_scalar_summaries(
    tensors: Iterable[TensorLike], prefix: str | None = None, print_summary: bool = False
) -> list[SummaryEntry]:
    """``add_scalar_summary`` for each tensor."""
    return [add_scalar_summary(t, prefix=prefix, print_summary=print_summary) for t in tensors]


def add_zero_fraction_summaries(
    tensors: Iterable[TensorLike], prefix: str | None = None
) -> list[SummaryEntry]:
    """``add_zero_fraction_summary`` for each tensor."""
    return [add_zero_fraction_summary(t, prefix=prefix) for t in tensors]
