"""Harness for the slim model zoo nets: one net file, built by kslim and by tf_slim.

A zoo net file in ``kslim/nets/`` (``cifarnet.py``, ``mobilenet_v1.py`` ...) imports slim
with exactly one line ``import kslim as slim``; otherwise it imports only ``tensorflow``,
the standard library and other files of ``kslim/nets/`` by relative name
(``from . import nasnet_utils``). ``tfslim_zoo_runner.py`` loads the very same file with
that line read as ``import tf_slim as slim`` (``tfslim_source``), as a module of the
package ``zoo_tfslim`` whose modules are the files of ``kslim/nets/`` (so relative imports
load the helper files the same way), and builds it in TF1 graph mode.

- ``reference(net)``: ``../shared/reference/zoo/<net>.json``, what the published zoo code
  builds under tf_slim at full size (the published checkpoints' names).
- ``zoo_spec(net, ...)``: where kslim's ``nets_factory`` has the net (module file, function
  and arg_scope function names); None while the net is not registered.
- ``run_tfslim_zoo(specs, workdir)``: every spec built by tf_slim in ONE subprocess, with
  the ``_nets_peer.seeded_value`` weights on ``_nets_peer.seeded_input``, in inference
  mode and in training mode (one run of the ``UPDATE_OPS``), plus a TF1 ``Saver``
  checkpoint of exactly the net's variables.
- ``run_kslim_zoo(spec)``: the same with kslim on ``keras.Input``s.

This module imports only numpy, the standard library, ``_nets_peer`` and ``peer.harness``
at module level: the runner imports it too.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.abc
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

# tests/ on sys.path for peer.harness outside pytest (the runner, the benchmarks).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _nets_peer import seeded_input, seeded_value  # noqa: E402
from peer import harness  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NETS_DIR = REPO / "kslim" / "nets"
RUNNER = HERE / "tfslim_zoo_runner.py"
# The package the runner loads kslim/nets/*.py files into, with tf_slim as slim.
TFSLIM_PACKAGE = "zoo_tfslim"
KSLIM_IMPORT = "import kslim as slim"
TFSLIM_IMPORT = "import tf_slim as slim"
MODES = ("infer", "train")


def reference_dir() -> Path:
    """The directory of the zoo reference JSON files.

    ``$KSLIM_ZOO_REFERENCE`` if set, else ``shared/reference/zoo`` in the checkout or
    beside it (``../shared``).
    """
    if os.environ.get("KSLIM_ZOO_REFERENCE"):
        return Path(os.environ["KSLIM_ZOO_REFERENCE"])
    for base in (REPO / "shared", REPO.parent / "shared"):
        if (base / "reference" / "zoo").is_dir():
            return base / "reference" / "zoo"
    return REPO.parent / "shared" / "reference" / "zoo"


def reference_nets() -> list[str]:
    """The nets with a reference JSON file, sorted."""
    return sorted(p.stem for p in reference_dir().glob("*.json"))


def reference(net: str) -> dict[str, Any]:
    """The reference JSON of ``net`` (fields: see the zoo README)."""
    return json.loads((reference_dir() / f"{net}.json").read_text())


# -- the net files -------------------------------------------------------------------------


def net_file_problems(path: Path) -> list[str]:
    """What keeps a zoo net file from running unchanged under tf_slim (empty: nothing).

    The rules: exactly one line ``import kslim as slim``; other imports only of
    ``__future__``, ``tensorflow``, the standard library, or relative (``from . import
    x``, the files of ``kslim/nets``).
    """
    source = path.read_text()
    problems = []
    count = sum(1 for line in source.splitlines() if line.strip() == KSLIM_IMPORT)
    if count != 1:
        problems.append(f"{count} lines {KSLIM_IMPORT!r} (want exactly 1)")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "kslim" and alias.asname == "slim":
                    continue
                if not _allowed_module(alias.name):
                    problems.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                continue
            if not _allowed_module(node.module or ""):
                problems.append(f"line {node.lineno}: from {node.module} import ...")
    return problems


def _allowed_module(name: str) -> bool:
    top = name.split(".")[0]
    return top in ("__future__", "tensorflow") or top in sys.stdlib_module_names


def tfslim_source(path: Path) -> str:
    """The source of net file ``path`` with its ``import kslim as slim`` read as tf_slim.

    Raises:
      ValueError: when the file breaks the rules of ``net_file_problems``.
    """
    problems = net_file_problems(path)
    if problems:
        raise ValueError(f"{path} cannot run under tf_slim: {'; '.join(problems)}")
    lines = path.read_text().splitlines(keepends=True)
    out = []
    for line in lines:
        if line.strip() == KSLIM_IMPORT:
            indent = line[: len(line) - len(line.lstrip())]
            line = f"{indent}{TFSLIM_IMPORT}\n"
        out.append(line)
    return "".join(out)


class TfSlimNetsFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``zoo_tfslim.X`` as ``kslim/nets/X.py`` read by ``tfslim_source``.

    ``zoo_tfslim`` itself is an empty package (``kslim/nets/__init__.py`` is not run), so
    ``from . import helper`` in a net file loads ``kslim/nets/helper.py`` the same way.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname == TFSLIM_PACKAGE:
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        if not fullname.startswith(TFSLIM_PACKAGE + "."):
            return None
        parts = fullname.split(".")[1:]
        package_dir = NETS_DIR.joinpath(*parts)
        if (package_dir / "__init__.py").is_file():
            return importlib.util.spec_from_file_location(
                fullname,
                package_dir / "__init__.py",
                loader=self,
                submodule_search_locations=[],
            )
        file = package_dir.with_suffix(".py")
        if file.is_file():
            return importlib.util.spec_from_file_location(fullname, file, loader=self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        if module.__name__ == TFSLIM_PACKAGE:
            module.__path__ = []
            return
        path = Path(module.__spec__.origin)
        if path.name == "__init__.py" and KSLIM_IMPORT not in path.read_text():
            source = path.read_text()
        else:
            source = tfslim_source(path)
        exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102


def install_tfslim_nets_finder() -> None:
    """Makes ``import zoo_tfslim.<module>`` load kslim's net files under tf_slim."""
    if not any(isinstance(f, TfSlimNetsFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TfSlimNetsFinder())


# -- specs ---------------------------------------------------------------------------------


@dataclasses.dataclass
class ZooSpec:
    """One zoo net built by both implementations.

    Attributes:
      id: unique name (the pytest id), e.g. the nets_factory name.
      net: the nets_factory name (``'mobilenet_v1_025'``).
      module: the net file's module relative to ``kslim/nets`` (``'mobilenet_v1'``).
      fn: the net function's name in it (``'mobilenet_v1_025'``).
      arg_scope_module, arg_scope: where the net's ``*_arg_scope`` function is.
      image_size: the input's height and width.
      batch: the input's batch size (2+ for batch statistics in training mode).
      num_classes: the ``num_classes`` argument.
      kwargs: more keyword arguments of the net function (JSON values).
      arg_scope_kwargs: keyword arguments of the arg_scope function.
      train_kwargs: keyword arguments for the training-mode build only (e.g.
        ``dropout_keep_prob=1.0``: dropout draws differ between the two).
      classifier: True (default) for a net function taking ``num_classes`` and
        ``is_training``. False for a ``*_base`` or block function (``block35``): called
        with ``kwargs`` only, under ``arg_scope([batch_norm, dropout], is_training=...)``;
        its output (or the first of ``(net, end_points)``) stands for the logits.
    """

    id: str
    net: str
    module: str
    fn: str
    arg_scope_module: str
    arg_scope: str
    image_size: int
    batch: int = 2
    num_classes: int = 1001
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    arg_scope_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    train_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    classifier: bool = True

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, self.image_size, self.image_size, 3)

    def call_kwargs(self, mode: str) -> dict[str, Any]:
        """The net function's keyword arguments for ``mode`` ('infer' or 'train')."""
        kwargs = dict(self.kwargs)
        if self.classifier:
            kwargs.update(num_classes=self.num_classes, is_training=mode == "train")
        if mode == "train":
            kwargs.update(self.train_kwargs)
        return kwargs

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _module_name(module_name: str) -> str:
    prefix = "kslim.nets."
    if not module_name.startswith(prefix):
        raise ValueError(f"{module_name} is not a module of kslim.nets")
    return module_name[len(prefix) :]


def _attribute_name(module, obj, preferred: str | None = None) -> str:
    if preferred and getattr(module, preferred, None) is obj:
        return preferred
    for name, value in vars(module).items():
        if value is obj:
            return name
    raise ValueError(f"{obj!r} is not a top-level name of {module.__name__}")


def zoo_spec(
    net: str,
    image_size: int | None = None,
    batch: int = 2,
    num_classes: int | None = None,
    **fields: Any,
) -> ZooSpec | None:
    """The spec of ``net`` as kslim's ``nets_factory`` registers it; None if it does not.

    Args:
      net: the nets_factory name (a reference JSON's ``net``).
      image_size: the input size; default: the reference's.
      batch: the batch size, default 2.
      num_classes: default: the reference's.
      **fields: more ``ZooSpec`` fields (``kwargs``, ``train_kwargs`` ...).
    """
    import kslim  # noqa: F401 - registers the nets
    from kslim.nets import nets_factory

    if net not in nets_factory.networks_map or net not in nets_factory.arg_scopes_map:
        return None
    ref = reference(net)
    fn = nets_factory.networks_map[net]
    scope_fn = nets_factory.arg_scopes_map[net]
    module = sys.modules[fn.__module__]
    scope_module = sys.modules[scope_fn.__module__]
    preferred = ref["source_fn"].rsplit(".", 1)[-1]
    return ZooSpec(
        id=fields.pop("id", net),
        net=net,
        module=_module_name(module.__name__),
        fn=_attribute_name(module, fn, preferred),
        arg_scope_module=_module_name(scope_module.__name__),
        arg_scope=_attribute_name(scope_module, scope_fn, ref.get("arg_scope")),
        image_size=image_size or ref["image_size"],
        batch=batch,
        num_classes=ref["num_classes"] if num_classes is None else num_classes,
        **fields,
    )


def call_net(spec: ZooSpec, mode: str, module, scope_module, x, slim):
    """Calls the spec's net on ``x`` under its arg_scope, with ``slim`` kslim or tf_slim."""
    fn = getattr(module, spec.fn)
    scope_fn = getattr(scope_module, spec.arg_scope)
    with slim.arg_scope(scope_fn(**spec.arg_scope_kwargs)):
        if spec.classifier:
            return fn(x, **spec.call_kwargs(mode))
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=mode == "train"):
            out = fn(x, **spec.call_kwargs(mode))
        return out if isinstance(out, tuple) else (out, {})


# -- results -------------------------------------------------------------------------------


@dataclasses.dataclass
class ZooResult:
    """What one implementation built and computed for one spec and mode."""

    variables: list[str]
    shapes: list[list[int]]
    trainable: list[str]
    model_variables: list[str]
    end_points: list[tuple[str, list[int | None]]]
    logits_shape: list[int | None]
    logits: np.ndarray | None = None
    end_point_values: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    # Every global variable's value after the run (training mode: after the update).
    values_after: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    checkpoint: str | None = None


@dataclasses.dataclass
class TfSlimZoo:
    """The runner's results: by spec id, then mode; build errors by spec id."""

    results: dict[str, dict[str, ZooResult]]
    errors: dict[str, str]

    def get(self, spec_id: str) -> dict[str, ZooResult]:
        """The spec's results; raises with tf_slim's traceback if it failed there."""
        if spec_id in self.errors:
            raise RuntimeError(f"tf_slim could not build {spec_id}:\n{self.errors[spec_id]}")
        return self.results[spec_id]


def run_tfslim_zoo(specs: list[ZooSpec], workdir: Path) -> TfSlimZoo:
    """Builds and runs all ``specs`` with tf_slim in ONE subprocess.

    Skips the caller when tf_slim is not installed.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    peer = harness.run_runner(
        RUNNER,
        [s.to_json() for s in specs],
        workdir,
        options={"dir": str(workdir)},
        timeout=1800,
        name="zoo",
    )
    errors = peer.errors
    results = {
        meta["id"]: {
            mode: _result_from_meta(meta[mode], peer, f"{meta['id']}/{mode}/") for mode in MODES
        }
        for meta in peer.metas
        if meta["id"] not in errors
    }
    return TfSlimZoo(results, errors)


def _result_from_meta(meta: dict, peer: harness.PeerResult, prefix: str) -> ZooResult:
    return ZooResult(
        variables=meta["variables"],
        shapes=meta["shapes"],
        trainable=meta["trainable"],
        model_variables=meta["model_variables"],
        end_points=[(k, s) for k, s in meta["end_points"]],
        logits_shape=meta["logits_shape"],
        logits=peer.data[f"{prefix}logits"],
        end_point_values=peer.arrays(f"{prefix}end_points/"),
        values_after=peer.arrays(f"{prefix}values_after/"),
        checkpoint=meta.get("checkpoint"),
    )


def build_kslim_zoo(spec: ZooSpec, mode: str = "train", batch: int | None = None):
    """Builds ``spec`` with kslim on a ``keras.Input`` in the current kslim graph.

    Returns:
      ``(inputs, logits, end_points)``.
    """
    import importlib

    import keras

    import kslim

    module = importlib.import_module(f"kslim.nets.{spec.module}")
    scope_module = importlib.import_module(f"kslim.nets.{spec.arg_scope_module}")
    shape = spec.input_shape
    x = keras.Input(shape=shape[1:], batch_size=batch or shape[0], name="inputs")
    logits, end_points = call_net(spec, mode, module, scope_module, x, kslim)
    return x, logits, end_points


def kslim_build_result(logits, end_points) -> ZooResult:
    """The variables (current kslim graph), end_points and logits shape of a build."""
    import kslim

    keys = kslim.GraphKeys
    variables = kslim.get_collection(keys.GLOBAL_VARIABLES)
    return ZooResult(
        variables=[v.path for v in variables],
        shapes=[[int(d) for d in v.shape] for v in variables],
        trainable=[v.path for v in kslim.get_collection(keys.TRAINABLE_VARIABLES)],
        model_variables=[v.path for v in kslim.get_collection(keys.MODEL_VARIABLES)],
        end_points=[(k, list(v.shape)) for k, v in end_points.items()],
        logits_shape=list(logits.shape),
    )


def run_kslim_zoo(spec: ZooSpec, mode: str) -> ZooResult:
    """Builds ``spec`` with kslim in a fresh graph, seeds every variable, runs it once.

    Training mode runs the model with ``is_training=True`` once (batch norm uses batch
    statistics and updates its moving averages, as tf_slim's one run of the UPDATE_OPS).
    """
    import keras

    import kslim

    with kslim.Graph().as_default():
        x, logits, end_points = build_kslim_zoo(spec, mode)
        result = kslim_build_result(logits, end_points)
        variables = kslim.get_collection(kslim.GraphKeys.GLOBAL_VARIABLES)
        for variable in variables:
            variable.assign(seeded_value(variable.path, variable.shape))
        model = keras.Model(x, [logits, *end_points.values()])
        outputs = model(seeded_input(spec.input_shape), training=mode == "train")
        if not isinstance(outputs, (list, tuple)):  # Keras unwraps a one-output list
            outputs = [outputs]
        result.logits = np.asarray(outputs[0])
        result.end_point_values = {
            k: np.asarray(v) for k, v in zip(end_points, outputs[1:], strict=True)
        }
        result.values_after = {v.path: np.asarray(v) for v in variables}
    return result


def _avx512_onednn() -> bool:
    """Whether TF runs its oneDNN CPU kernels (TF's default on x86 Linux, unless
    ``TF_ENABLE_ONEDNN_OPTS=0``) with AVX-512 on this host."""
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip() in ("0", "false", "False"):
        return False
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512f" in line for line in f)
    except OSError:
        return False


# A zoo net's deep end points accumulate float32 rounding: on an AVX-512 host oneDNN's
# kernels sum in a different order in tf_slim's TF1 graph (fused by its rewrite passes)
# than in kslim's TF2 function, and 20 layers deep the two differ by up to ~2e-5 of the
# activations' largest magnitude (mobilenet_v2 layer_19, pnasnet's AuxLogits; with
# TF_ENABLE_ONEDNN_OPTS=0 they agree to 1e-5). Elsewhere, and for shallow nets, 1e-5.
ZOO_ATOL = 5e-5 if _avx512_onednn() else 1e-5


def assert_close(got: np.ndarray, ref: np.ndarray, what: str, tol: float = 1e-5) -> None:
    """``got`` equals ``ref`` to rtol ``tol``, atol ``max(tol, ZOO_ATOL)`` x max(1, max |ref|)."""
    harness.assert_close(got, ref, what, rtol=tol, atol=max(tol, ZOO_ATOL))
