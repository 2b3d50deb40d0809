"""The experiments' shared toolbox: config bases and the steps that configs share.

A toolbox, not a template: each experiment keeps its own loop and calls these pieces.

- :class:`ThreadLimitedConfig`: ``num_threads`` and a :meth:`~ThreadLimitedConfig.run` that
  runs the experiment's ``_run`` under :func:`svcca.nn.limit_threads`;
- :class:`TrainingConfig`: the fields every experiment that trains networks has (dataset,
  training settings, device, data folder), validated once, with the steps they share as
  methods: :meth:`~TrainingConfig.load_data`, :meth:`~TrainingConfig.augmentation`,
  :meth:`~TrainingConfig.build_model` and :meth:`~TrainingConfig.fit`;
- :class:`ConvNetFields` and :class:`NetworkFields`: the network fields several experiments
  share (``arch`` and ``width`` of a conv net; ``model`` and the MLP's ``hidden`` too),
  documented once;
- :class:`SeedNetworksData`: the typed data of networks trained from several seeds whose
  layers were recorded trained and at initialisation (conv pair, seed pair), with
  :func:`network_key` naming their arrays;
- for experiments that compare networks over a probe set (generalization, width):
  :data:`DEFAULT_MEASURES`, :func:`check_comparison`, :func:`probe_inputs`, :func:`record_layer`,
  :func:`similarity_grid` and :func:`measure_options`.

An experiment may redeclare a field to change its default; the cache key is the config's
``compare=True`` fields by name, so the bases change no key.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import numbers
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .._io import folder_fingerprint
from .._validation import check_bool, check_fraction, check_int, check_option
from ._cache import ExperimentConfig, ExperimentData, is_seed_field, stored

__all__ = [
    "CIFAR10_TRAINING",
    "DEFAULT_MEASURES",
    "ConvNetFields",
    "NetworkFields",
    "STATES",
    "SeedNetworksData",
    "ThreadLimitedConfig",
    "TrainingConfig",
    "check_comparison",
    "check_index",
    "check_layers",
    "check_seeds",
    "network_key",
    "probe_inputs",
    "measure_options",
    "names_or",
    "record_layer",
    "similarity_grid",
]

#: The measures the network-comparison experiments compute by default; any of
#: :data:`svcca.MEASURES` can be asked for (PWCCA is the symmetric average of the two sides,
#: SVCCA keeps ``keep`` of the variance).
DEFAULT_MEASURES = ("pwcca", "cca", "svcca", "cka")

#: The states a network is recorded in: trained, and the same network before training.
STATES = ("trained", "init")

#: How the ``full`` presets train on CIFAR-10: 30 epochs of batches of 128 with random shifts of
#: up to 2 pixels, on the GPU where there is one, without a thread limit.
CIFAR10_TRAINING: dict[str, Any] = {
    "dataset": "cifar10",
    "epochs": 30,
    "batch_size": 128,
    "augment_shift": 2,
    "device": "auto",
    "num_threads": None,
}


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of the annotated type ``hint`` (the kinds configs use)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, (bool, np.bool_))
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if hint is float:  # an int is a float too (finiteness is checked apart)
        return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if hint is str:
        return isinstance(value, str)
    if origin is tuple:
        if not isinstance(value, (tuple, list)):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in value)
        return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args))
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # an annotation this check does not read


def _type_name(hint: Any) -> str:
    """Say the annotated type in words ("an int", "None or a tuple of str"...)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # a float admits ints: "int or a number" says less
        return " or ".join(_type_name(a) for a in args if not (a is int and float in args))
    if hint is type(None):
        return "None"
    if hint is float:
        return "a number"
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a tuple of {_type_name(args[0]).removeprefix('an ').removeprefix('a ')}"
        return f"a tuple of {len(args)} ({', '.join(_type_name(a) for a in args)})"
    name = getattr(hint, "__name__", str(hint))
    return f"an {name}" if name[:1] in "aeiou" else f"a {name}"


def check_field_types(config: Any) -> None:
    """Refuse a config field whose value is not of its annotated type, when the config is made.

    A count given as ``2.5`` or ``"40"``, a switch given as ``"no"`` (which reads as true),
    a NaN rate or a string where a tuple of layer names belongs would otherwise run (or
    fail deep inside training) under a cache key of its own. ``True`` is no count, and
    NaN or an infinity is no setting. Tuples may be given as lists.

    Raises
    ------
    TypeError
        Naming the field, the type expected and the value given.
    ValueError
        For a number that is NaN or infinite.
    """
    problem = _field_problem(config)
    if problem is not None:
        raise problem[1]


def _field_problem(config: Any) -> tuple[str, Exception] | None:
    """Return the first field that fails :func:`check_field_types`, with its error; or None."""
    hints = typing.get_type_hints(type(config))
    for f in dataclasses.fields(config):
        hint = hints.get(f.name)
        value = getattr(config, f.name)
        if hint is None:
            continue
        if not _matches(value, hint):
            return f.name, TypeError(f"{f.name} must be {_type_name(hint)}; got {value!r}")
        if _has_float(hint) and not _finite(value):
            return f.name, ValueError(f"{f.name} must be finite; got {value!r}")
    return None


def _as_annotated(value: Any, hint: Any) -> Any:
    """Return ``value`` with each int that stands where the annotation wants a float made a float.

    So ``width=1`` and ``width=1.0`` are one config, with one cache key. Values of any other
    type, and ints where the annotation also admits an int, are returned as they are.
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        matching = [a for a in args if _matches(value, a)]
        return _as_annotated(value, matching[0]) if matching == [float] else value
    if hint is float and isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    if origin is tuple and isinstance(value, (tuple, list)):
        hints = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        if len(hints) == len(value):
            items = [_as_annotated(v, a) for v, a in zip(value, hints)]
            if any(new is not old for new, old in zip(items, value)):
                return type(value)(items)
    return value


def _floats_as_annotated(config: Any) -> None:
    """Make each int in a field annotated as a float a float, in place (see :func:`_as_annotated`)."""
    hints = typing.get_type_hints(type(config))
    for f in dataclasses.fields(config):
        if f.name in hints:
            value = getattr(config, f.name)
            new = _as_annotated(value, hints[f.name])
            if new is not value:
                object.__setattr__(config, f.name, new)


def _has_float(hint: Any) -> bool:
    """Whether an annotation admits floats (anywhere inside it)."""
    return hint is float or any(_has_float(a) for a in typing.get_args(hint))


def _finite(value: Any) -> bool:
    """Whether every number in ``value`` (a number or nested tuples of them) is finite."""
    if isinstance(value, (tuple, list)):
        return all(_finite(v) for v in value)
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return math.isfinite(float(value))
    return True


@dataclass(frozen=True)
class ThreadLimitedConfig(ExperimentConfig):
    """Base of experiment configs whose run limits torch's and BLAS's threads.

    Parameters
    ----------
    num_threads : int or None, default None
        Limit torch and BLAS (threadpoolctl) to this many threads while the experiment runs
        (restored afterwards); None leaves them as they are. Small networks and layers gain
        nothing from more threads, and on a busy machine several threads per process slow
        a run down by an order of magnitude. Not part of the cache key.

    Notes
    -----
    Subclasses implement ``_run(progress)``; :meth:`run` calls it under
    :func:`svcca.nn.limit_threads`.

    Examples
    --------
    >>> from svcca.experiments.open_questions import OpenQuestionsConfig
    >>> from svcca.experiments import ThreadLimitedConfig
    >>> issubclass(OpenQuestionsConfig, ThreadLimitedConfig), OpenQuestionsConfig().num_threads
    (True, None)
    """

    num_threads: int | None = field(default=None, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Check every field's type too, after the config's own (more specific) checks.

        Each config's ``__post_init__`` is wrapped: when the outermost one has passed, every
        field is checked against its annotation (:func:`check_field_types`), and an int given
        for a float is made a float (so ``width=1`` and ``width=1.0`` share a cache key). When one of
        its checks failed on a value of the wrong type without naming the field (``'<' not
        supported between 'str' and 'int'``), the type check's message is raised instead.
        """
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__post_init__")
        if own is None:
            return

        @functools.wraps(own)
        def __post_init__(self: Any) -> None:
            outermost = "_checking" not in self.__dict__
            if outermost:
                object.__setattr__(self, "_checking", True)
            try:
                own(self)
            except (TypeError, ValueError, IndexError) as exc:
                problem = _field_problem(self) if outermost else None
                if problem is not None and isinstance(problem[1], TypeError) and problem[0] not in str(exc):
                    raise problem[1] from exc  # the clearer message, naming the field
                raise
            finally:
                if outermost:
                    object.__delattr__(self, "_checking")
            if outermost:
                check_field_types(self)
                _floats_as_annotated(self)

        cls.__post_init__ = __post_init__  # type: ignore[method-assign]

    def __post_init__(self) -> None:
        check_int(self.num_threads, "num_threads", allow_none=True)
        for f in dataclasses.fields(self):
            if is_seed_field(f.name):  # a seed of 1.5 ran as seed 1 under a key of its own
                value, annotation = getattr(self, f.name), str(f.type)  # what the field takes
                if annotation.startswith("tuple") and not isinstance(value, (tuple, list)):
                    raise TypeError(f"{f.name} must be a tuple of ints >= 0; got {value!r}")
                if isinstance(value, (tuple, list)):
                    for v in value:
                        check_int(v, f"each of {f.name}", minimum=0)
                    if isinstance(value, list):  # a frozen config holds tuples (hashable, equal)
                        object.__setattr__(self, f.name, tuple(value))
                else:
                    check_int(value, f.name, minimum=0, allow_none="None" in annotation)

    def run(self, progress: bool = False) -> dict[str, np.ndarray]:
        """Run the experiment under the thread limit; see the module's ``unpack`` for the arrays.

        Examples
        --------
        >>> from svcca.experiments.conv_pair import ConvPairConfig
        >>> arrays = ConvPairConfig.for_scale("tiny").run()
        >>> arrays["seeds"].tolist()
        [0, 1]
        """
        from ..nn.utils import check_device, limit_threads

        device = getattr(self, "device", None)
        if device is not None:  # before any work: a GPU this machine lacks is a clear error
            check_device(device)
        with limit_threads(self.num_threads):
            return self._run(progress)

    def _run(self, progress: bool) -> dict[str, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class TrainingConfig(ThreadLimitedConfig):
    """Base of experiment configs that train networks: the fields they all have, checked once.

    Parameters
    ----------
    dataset : str, default "digits"
        One of the experiment's :attr:`datasets` (``"digits"``: scikit-learn's 8x8 digits,
        embedded; ``"cifar10"``: CIFAR-10 from the data folder).
    image_size : int, default 8
        Side of the digits images (16 or 32 upsample bilinearly; ignored for CIFAR-10).
    epochs : int, default 10
        Training epochs (Adam).
    batch_size : int, default 128
    lr : float, default 1e-3
        Learning rate.
    device : str, default "cpu"
        Where networks train and run; on the CPU training is deterministic. ``"auto"`` means
        the GPU when one is usable, else the CPU (:func:`svcca.nn.available_device`,
        resolved when the config is made; the full presets use it). Not part of the cache key.
    data_root : str or None, default None
        The data folder holding CIFAR-10, the text corpora and ``imagenet_subset/`` (default
        :func:`svcca.nn.data.data_dir`); for ImageNet also the subset's folder itself. Not
        part of the key.
    verify_data : bool, default True
        Check the published md5 sums of CIFAR-10 and the text corpora (``False`` for
        stand-ins in tests; cached results of unchecked data then follow the data folder's
        files, :meth:`data_fingerprint`). Not part of the key.
    num_threads : int or None, default None
        See :class:`ThreadLimitedConfig`. Not part of the key.

    Notes
    -----
    Class attributes an experiment may set: ``datasets`` (the allowed datasets) and
    ``min_epochs`` (1; 0 where an untrained or pretrained network is a valid run). The
    digits' train/test split is seeded by :attr:`split_seed`. :meth:`build_model` reads the
    model fields the experiment has (``model``, ``hidden``, ``arch``, ``width``,
    ``blocks``, ``widths``) through :meth:`model_spec`, and :meth:`augmentation` reads
    ``augment_shift`` where the experiment has one. Those shared fields are checked here when
    the config is made: ``augment_shift`` (an int >= 0), ``hidden`` (ints >= 1), ``width``
    (> 0), the ``model`` of :class:`NetworkFields` and ``arch`` (a name in
    :data:`svcca.nn.models.CONV_ARCHITECTURES`, where a conv net of it is built).

    Examples
    --------
    A new experiment declares only its own fields and writes its own loop:

    >>> from dataclasses import dataclass
    >>> from typing import ClassVar
    >>> from svcca.experiments import TrainingConfig
    >>> @dataclass(frozen=True)
    ... class Accuracy(TrainingConfig):
    ...     experiment: ClassVar[str] = "accuracy_example"
    ...     hidden: tuple = (32,)
    ...     model: str = "mlp"
    ...     seed: int = 0
    ...     epochs: int = 2
    ...
    ...     def _run(self, progress):
    ...         from svcca.nn import evaluate
    ...
    ...         data = self.load_data()
    ...         net = self.build_model(data, self.seed)
    ...         self.fit(net, data.train, self.seed, progress=progress)
    ...         return {"accuracy": evaluate(net, data.test)[1]}
    >>> float(Accuracy(num_threads=1).run()["accuracy"]) > 0.5
    True
    """

    datasets: ClassVar[tuple[str, ...]] = ("digits", "cifar10")
    min_epochs: ClassVar[int] = 1

    dataset: str = "digits"
    image_size: int = 8
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    device: str = field(default="cpu", compare=False)
    data_root: str | None = field(default=None, compare=False)
    verify_data: bool = field(default=True, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_option(self.dataset, "dataset", self.datasets)
        check_int(self.image_size, "image_size")
        check_int(self.epochs, "epochs", minimum=self.min_epochs)
        check_int(self.batch_size, "batch_size")
        check_bool(self.verify_data, "verify_data")
        if self.device == "auto":
            from ..nn.utils import available_device

            object.__setattr__(self, "device", available_device())
        _check_positive(self.lr, "lr")
        # the fields several experiments share, where the config has them: a negative shift
        # failed only when training started, an unknown arch only when the network was built
        if hasattr(self, "augment_shift"):
            check_int(getattr(self, "augment_shift"), "augment_shift", minimum=0)  # noqa: B009
        # the network fields of ConvNetFields and NetworkFields, where the config has them: a
        # width <= 0 built a network of one channel per layer, a hidden width 1.5 one unit
        if isinstance(self, NetworkFields):
            check_option(self.model, "model", ("mlp", "conv"))
        if hasattr(self, "arch") and getattr(self, "model", "conv") == "conv":
            # checked only where a conv net of ``arch`` is built (the names need no torch)
            from .._architectures import CONV_ARCHITECTURES

            check_option(getattr(self, "arch"), "arch", CONV_ARCHITECTURES)  # noqa: B009
            if self.dataset == "digits":  # CIFAR-10's 32 x 32 suits every architecture
                _check_arch_fits(getattr(self, "arch"), self.image_size)  # noqa: B009
        if isinstance(self, ConvNetFields):
            _check_positive(self.width, "width")
        if hasattr(self, "hidden"):
            hidden = getattr(self, "hidden")  # noqa: B009 - the experiment's field, not the base's
            if not isinstance(hidden, (tuple, list)) or not hidden:
                raise TypeError(f"hidden must be a non-empty tuple of ints >= 1 (MLP widths); got {hidden!r}")
            for h in hidden:
                check_int(h, "each hidden width")

    @property
    def split_seed(self) -> int:
        """Seed of the digits' train/test split: the config's ``seed``.

        A seed variant of the experiment (:meth:`~ExperimentConfig.with_seed_offset`) thus
        also draws another split. Experiments with a separate split seed declare a
        ``split_seed`` field instead.
        """
        own: Any = self  # ``seed`` is the experiment's field
        return int(own.seed)

    def data_folder(self) -> Path | None:
        """Return the folder the dataset is read from; None for data that cannot change under it.

        None for the digits and Python's standard library (shipped with packages) and for
        CIFAR-10 and the text corpora read with ``verify_data`` (their published checksums
        are checked on load).

        Examples
        --------
        >>> from svcca.experiments.conv_pair import ConvPairConfig
        >>> ConvPairConfig().data_folder() is None                         # the digits
        True
        >>> str(ConvPairConfig(dataset="cifar10", data_root="d", verify_data=False).data_folder())
        'd/cifar-10-batches-py'
        """
        name = self.dataset
        if name in ("digits", "stdlib"):  # before the imports below, which import torch
            return None
        from ..nn.data.cifar import cifar10_folder
        from ..nn.data.imagenet import imagenet_subset_folder
        from ..nn.data.text import LM_CORPORA, lm_corpus_folder

        checked = name == "cifar10" or name in LM_CORPORA
        if checked and self.verify_data:
            return None
        if name == "cifar10":
            return cifar10_folder(self.data_root)
        if name == "imagenet":  # data_root: the data folder holding imagenet_subset/, or the subset
            return imagenet_subset_folder(self.data_root)
        if name in LM_CORPORA:
            return lm_corpus_folder(name, self.data_root)
        return None  # a dataset an experiment loads itself: it may override this method

    def data_fingerprint(self) -> str | None:
        """Return a digest of :meth:`data_folder`'s files (see :meth:`ExperimentConfig.data_fingerprint`).

        For the ``"stdlib"`` corpus (Python's own sources), the Python version: a result
        computed under another Python read another corpus.

        Examples
        --------
        >>> from svcca.experiments.conv_pair import ConvPairConfig
        >>> ConvPairConfig().data_fingerprint() is None
        True
        """
        folder = self.data_folder()
        parts = [None if folder is None else folder_fingerprint(folder), super().data_fingerprint()]
        if self.dataset == "stdlib":  # the corpus is Python's own sources: it changes with Python
            import platform

            parts.append(f"python-{platform.python_implementation()}-{platform.python_version()}")
        return "+".join(p for p in parts if p is not None) or None

    def load_data(self) -> Any:
        """Load the config's :class:`svcca.nn.data.ImageData`: the digits, or CIFAR-10 from the data folder.

        Examples
        --------
        >>> from svcca.experiments.conv_pair import ConvPairConfig
        >>> data = ConvPairConfig().load_data()
        >>> data.name, data.input_shape
        ('digits', (1, 8, 8))
        """
        from ..nn.data import load_cifar10, load_digits

        if self.dataset == "digits":
            return load_digits(image_size=self.image_size, seed=self.split_seed)
        if self.dataset == "cifar10":
            return load_cifar10(self.data_root, verify=self.verify_data)
        raise NotImplementedError(f"{type(self).__name__} loads {self.dataset!r} itself")

    def augmentation(self, data: Any) -> Any:
        """Random shifts of up to ``augment_shift`` pixels filled with the data's background, or None.

        None also for an experiment without an ``augment_shift`` field.
        """
        shift = getattr(self, "augment_shift", 0)
        if not shift:
            return None
        from ..nn.data import RandomShift

        return RandomShift(shift, fill=0.0 if data.background is None else data.background)

    def model_spec(self, data: Any) -> tuple[str, dict[str, Any]]:
        """Return the kind and constructor arguments of the network (see :func:`svcca.nn.models.build_model`).

        ``model`` (default ``"conv"`` when the experiment has no such field) chooses an
        :class:`~svcca.nn.models.MLP` of ``hidden`` widths over the flattened images, a
        :class:`~svcca.nn.models.ConvNet` of ``arch`` at channel multiplier ``width``, or a
        :class:`~svcca.nn.models.SmallResNet` (``"resnet"``, ``"resnet_small"``) of
        ``blocks`` and ``widths``; ``data`` gives the input shape and the classes.
        """
        own: Any = self  # the experiment's model fields, not declared on the base
        kind = getattr(self, "model", "conv")
        c, h, w = data.input_shape
        k = data.n_classes
        if kind == "mlp":
            return "mlp", {"in_features": c * h * w, "hidden": own.hidden, "n_classes": k}
        if kind == "conv":
            return "conv", {"arch": own.arch, "in_channels": c, "n_classes": k, "width": own.width}
        if kind in ("resnet", "resnet_small"):
            return "resnet_small", {
                "blocks": own.blocks,
                "widths": own.widths,
                "in_channels": c,
                "n_classes": k,
            }
        raise NotImplementedError(f"{type(self).__name__} builds model {kind!r} itself")

    def build_model(self, data: Any, seed: int, *, device: str | None = None, **changes: Any) -> Any:
        """Build a fresh network of seed ``seed`` on the config's device.

        Parameters
        ----------
        data : ImageData
            Gives the input shape and the number of classes.
        seed : int
            Seeds the initialisation.
        device : str, optional
            Where to put it; default the config's ``device`` (``"cpu"`` to rebuild a stored
            network for reading).
        **changes
            Constructor arguments that replace those of :meth:`model_spec` (e.g. ``width=``).

        Examples
        --------
        >>> from svcca.experiments.conv_pair import ConvPairConfig
        >>> cfg = ConvPairConfig()
        >>> net = cfg.build_model(cfg.load_data(), seed=0)
        >>> net.layer_names[:2]
        ('conv1', 'conv2')
        """
        from ..nn.models import build_model

        kind, kwargs = self.model_spec(data)
        return build_model(kind, seed=int(seed), **{**kwargs, **changes}).to(device or self.device)

    def fit(self, model: Any, train_data: Any, seed: int, *, progress: bool = False, **options: Any) -> Any:
        """Train ``model`` in place with the config's settings; the one training call.

        Parameters
        ----------
        model : torch.nn.Module
        train_data : Dataset
        seed : int
            Seeds the batch order (and the augmentation).
        progress : bool, default False
        **options
            Further :func:`svcca.nn.train` arguments (``augment``, ``target_train_accuracy``,
            ...); ``eval_train`` defaults to False.

        Returns
        -------
        svcca.nn.TrainHistory

        Notes
        -----
        Inside :func:`~svcca.experiments.run_or_load`, the network's training state is kept
        in the run's work folder (see the Notes there): a rerun of an interrupted experiment
        resumes it, or only reloads it when it was done. Not with a ``callback`` or a
        ``freeze`` callable (they would not see the steps trained before the interruption,
        and their state is not the network's) or the caller's own ``checkpoint_dir``.
        """
        from ..nn.train import train
        from ._partial import kept_or_fresh, network_folder, resume_options

        options.setdefault("eval_train", False)
        base: dict[str, Any] = {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "seed": int(seed),
            "device": self.device,
            "deterministic": self.device == "cpu",
            "progress": progress,
        }
        folder = None
        # not with a callback, nor a freeze callable (a convergence test): their state lives
        # outside the network, and a reloaded or resumed network would not replay it
        if (
            "callback" not in options
            and "checkpoint_dir" not in options
            and not callable(options.get("freeze"))
        ):
            folder = network_folder(model, seed)
        if folder is None:
            return train(model, train_data, **base, **options)
        kept = resume_options(folder)
        return kept_or_fresh(folder, model, lambda: train(model, train_data, **base, **options, **kept))


def _smallest_map(arch: str, side: int) -> int:
    """Side of the smallest feature map of conv net ``arch`` on ``side x side`` images (< 1: none)."""
    from .._architectures import CONV_ARCHITECTURES

    for spec in CONV_ARCHITECTURES[arch]:
        pad = spec.kernel_size // 2 if spec.padding is None else spec.padding
        side = (side + 2 * pad - spec.kernel_size) // spec.stride + 1
        if side < 1:
            break
    return side


def _check_arch_fits(arch: str, image_size: int) -> None:
    """Refuse images too small for conv net ``arch`` (Tiny-10 needs 9 x 9): they failed in training."""
    if _smallest_map(arch, image_size) < 1:
        need = next(s for s in itertools.count(image_size + 1) if _smallest_map(arch, s) >= 1)
        raise ValueError(
            f"arch={arch!r} needs images of at least {need}x{need} (its last feature map would be empty); "
            f"got image_size={image_size}"
        )


def _check_positive(value: Any, name: str) -> None:
    """Check a positive finite real number (numpy's too, never a bool)."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not (math.isfinite(value) and float(value) > 0)
    ):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")


@dataclass(frozen=True)
class ConvNetFields:
    """The conv net of an experiment: its architecture and width, a base of configs.

    Parameters
    ----------
    arch : str, default "six"
        Conv architecture, a name in :data:`svcca.nn.models.CONV_ARCHITECTURES`
        (``"tiny10"`` is Kornblith et al.'s Tiny-10); :meth:`TrainingConfig.model_spec` builds it.
    width : float, default 1.0
        Channel multiplier of the conv net.

    Notes
    -----
    A config lists it before :class:`TrainingConfig` among its bases and redeclares a field
    to change its default; its docstring names the fields and its defaults. The cache key
    holds them by name, as if the config declared them.

    Examples
    --------
    >>> from svcca.experiments import ConvNetFields
    >>> from svcca.experiments.conv_pair import ConvPairConfig
    >>> issubclass(ConvPairConfig, ConvNetFields), ConvPairConfig().arch
    (True, 'pilot5')
    """

    arch: str = "six"
    width: float = 1.0


@dataclass(frozen=True)
class NetworkFields(ConvNetFields):
    """The network of an experiment that trains an MLP or a conv net, a base of configs.

    Parameters
    ----------
    model : {"mlp", "conv"}, default "mlp"
        An :class:`~svcca.nn.models.MLP` of ``hidden`` widths over the flattened images, or a
        :class:`~svcca.nn.models.ConvNet` of ``arch`` at channel multiplier ``width``.
    hidden : tuple of int, default (128, 128, 128)
        Hidden widths of the MLP.
    arch, width
        See :class:`ConvNetFields`.

    Examples
    --------
    The generalization experiment keeps the fields with wider MLPs and Tiny-10 conv nets:

    >>> from svcca.experiments.generalization import GeneralizationConfig
    >>> cfg = GeneralizationConfig()
    >>> cfg.model, cfg.hidden, cfg.arch, cfg.width
    ('mlp', (256, 256, 256), 'tiny10', 1.0)
    """

    model: str = "mlp"
    hidden: tuple[int, ...] = (128, 128, 128)


def check_seeds(seeds: Any, *, minimum: int = 1) -> tuple[int, ...]:
    """Check an experiment's ``seeds``: at least ``minimum`` distinct ints (one network each).

    Parameters
    ----------
    seeds : tuple of int
    minimum : int, default 1
        Networks the experiment needs (2 for one that compares networks).

    Returns
    -------
    tuple of int

    Raises
    ------
    ValueError
        Saying how many distinct ints were expected and what arrived.

    Examples
    --------
    >>> from svcca.experiments._toolbox import check_seeds
    >>> check_seeds((0, 1, 2), minimum=2)
    (0, 1, 2)
    >>> check_seeds((3, 3), minimum=2)
    Traceback (most recent call last):
    ...
    ValueError: seeds must be at least 2 distinct ints; got (3, 3)
    """
    values = tuple(seeds) if isinstance(seeds, (tuple, list)) else ()
    if (
        len(values) < minimum
        or not values
        or len(set(values)) != len(values)
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values)
    ):
        raise ValueError(f"seeds must be at least {minimum} distinct ints; got {seeds!r}")
    return tuple(int(v) for v in values)


def names_or(value: Any, option: str, default: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return ``value`` as a tuple of names (``default`` for None); a bare string is refused.

    ``tuple("fc1")`` is ``("f", "c", "1")``: an accessor that takes several names then
    reported "unknown layer 'f'".

    Examples
    --------
    >>> from svcca.experiments._toolbox import names_or
    >>> names_or(["fc1", "fc2"], "layers", ()), names_or(None, "layers", ("fc1",))
    (('fc1', 'fc2'), ('fc1',))
    >>> names_or("fc1", "layers", ())
    Traceback (most recent call last):
    ...
    TypeError: layers must be a sequence of names, not one string; got 'fc1' (write ['fc1'])
    """
    if value is None:
        return tuple(default)
    if isinstance(value, str):
        raise TypeError(
            f"{option} must be a sequence of names, not one string; got {value!r} (write [{value!r}])"
        )
    return tuple(value)


def check_index(value: Any, n: int, name: str) -> int:
    """Return ``value`` as an index into ``n`` items (negative ones count from the end, as in Python).

    An index out of range raised numpy's ``IndexError`` about an axis the caller never saw.

    Examples
    --------
    >>> from svcca.experiments._toolbox import check_index
    >>> check_index(1, 3, "seed_index"), check_index(-1, 3, "seed_index")
    (1, -1)
    >>> check_index(99, 3, "seed_index")
    Traceback (most recent call last):
    ...
    IndexError: seed_index=99 is out of range for 3 items (use 0 to 2)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int index; got {value!r}")
    if not -n <= int(value) < n:
        raise IndexError(f"{name}={value} is out of range for {n} items (use 0 to {n - 1})")
    return int(value)


def check_layers(option: str, wanted: Sequence[str] | None, available: Sequence[str]) -> None:
    """Raise a ValueError naming ``option`` when ``wanted`` names a layer ``available`` lacks.

    Experiments check the layers a config names against a freshly built network, before
    any training, so that a typo costs seconds rather than a training run.

    Examples
    --------
    >>> from svcca.experiments._toolbox import check_layers
    >>> check_layers("layers", ("fc1",), ("fc1", "fc2", "logits"))
    >>> check_layers("layers", ("fc9",), ("fc1", "fc2", "logits"))
    Traceback (most recent call last):
    ...
    ValueError: layers ['fc9'] are not layers of the networks; layers: ['fc1', 'fc2', 'logits']
    """
    unknown = [name for name in (wanted or ()) if name not in available]
    if unknown:
        raise ValueError(f"{option} {unknown} are not layers of the networks; layers: {list(available)}")


# --------------------------------------------------------------------------- networks of several seeds


def network_key(state: str, seed: int, layer: str = "") -> str:
    """Name of the stored activations of ``layer`` of network ``seed`` in ``state``.

    ``state`` is one of :data:`STATES`, or ``"weights"`` with no layer: the prefix of the
    network's stored weights (:func:`svcca.nn.state_arrays`).

    Examples
    --------
    >>> from svcca.experiments._toolbox import network_key
    >>> network_key("init", 3, "conv2"), network_key("weights", 0)
    ('init__s3__conv2', 'weights__s0__')
    """
    return "__".join((state, f"s{int(seed)}", layer))


@dataclass(frozen=True, eq=False)
class SeedNetworksData(ExperimentData):
    """Typed data of networks trained from several seeds, each layer recorded trained and untrained.

    The activations are stored under :func:`network_key` names, the trained weights under
    ``network_key("weights", seed)``.

    Attributes
    ----------
    layers : tuple of str
        Recorded layers, input side first.
    seeds : tuple of int
    test_accuracy, init_accuracy : numpy.ndarray of shape (n_seeds,)
        Test accuracy of each trained network and of its untrained twin.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments._toolbox import SeedNetworksData
    >>> arrays = {"trained__s0__fc1": np.ones((4, 2)), "trained__s1__fc1": np.zeros((4, 2))}
    >>> data = SeedNetworksData(None, arrays, ("fc1",), (0, 1), np.ones(2), np.zeros(2))
    >>> data.pairs(), data.acts("fc1", seed=1).shape, data.has_init
    ([(0, 1)], (4, 2), False)
    """

    layers: tuple[str, ...] = field(metadata=stored())
    seeds: tuple[int, ...] = field(metadata=stored())
    test_accuracy: np.ndarray = field(metadata=stored())
    init_accuracy: np.ndarray = field(metadata=stored())

    @property
    def has_init(self) -> bool:
        """Whether the untrained networks were recorded."""
        return network_key("init", self.seeds[0], self.layers[0]) in self.arrays

    def _layer(self, layer: str) -> str:
        """Return ``layer`` if it is a recorded layer, else a KeyError listing them (not an array key)."""
        if layer not in self.layers:
            raise KeyError(f"unknown layer {layer!r}; layers: {self.layers}")
        return layer

    def acts(self, layer: str, seed: int | None = None, state: str = "trained") -> np.ndarray:
        """Activations of ``layer`` of network ``seed`` (default the first), samples first, float64.

        ``state`` is ``"trained"`` or ``"init"`` (the same network before training).
        """
        check_option(state, "state", STATES)
        seed = self.seeds[0] if seed is None else int(seed)
        key = network_key(state, seed, layer)
        if key not in self.arrays:
            raise KeyError(
                f"no activations for layer={layer!r}, seed={seed}, state={state!r}; layers {self.layers}, "
                f"seeds {self.seeds}, init recorded: {self.has_init}"
            )
        return np.asarray(self.arrays[key], dtype=np.float64)

    def pairs(self) -> list[tuple[int, int]]:
        """Every pair of distinct seeds, in order."""
        return list(itertools.combinations(self.seeds, 2))

    def network(self, seed: int | None = None, state: str = "trained") -> Any:
        """Rebuild network ``seed`` (default the first), trained or as initialised, in eval mode."""
        from ..nn import load_state_arrays

        check_option(state, "state", STATES)
        seed = self.seeds[0] if seed is None else int(seed)
        if seed not in self.seeds:
            raise KeyError(f"no network for seed={seed}; seeds {self.seeds}")
        net = self._build_network(seed)
        if state == "trained":
            load_state_arrays(net, self.arrays, network_key("weights", seed))
        return net.eval()

    def _build_network(self, seed: int) -> Any:
        """Return a fresh network of ``seed`` as the config builds it, on the CPU."""
        cfg = self.config
        return cfg.build_model(cfg.load_data(), seed, device="cpu")


# --------------------------------------------------------------------------- comparing networks


def check_comparison(cfg: Any) -> None:
    """Check the fields of a network-comparison config.

    They are ``model``, ``measures``, ``eval_shift``, ``keep`` (a variance fraction in (0, 1],
    never the int 1), ``n_train`` (None or >= 1), ``n_eval`` (None or >= 2 images) and
    ``positions_per_image`` (None or >= 1).

    Raises
    ------
    ValueError
        Naming the field, what it allows and what arrived.
    """
    check_option(cfg.model, "model", ("mlp", "conv"))
    from .._measures import MEASURES

    bad = [m for m in cfg.measures if m not in MEASURES]
    if bad or not cfg.measures or len(set(cfg.measures)) != len(cfg.measures):
        raise ValueError(f"measures must be distinct names from {MEASURES}; got {cfg.measures!r}")
    if isinstance(cfg.eval_shift, bool) or not isinstance(cfg.eval_shift, int) or cfg.eval_shift < 0:
        raise ValueError(f"eval_shift must be an int >= 0; got {cfg.eval_shift!r}")
    if cfg.eval_shift and cfg.dataset != "digits":
        raise ValueError(
            f"eval_shift > 0 (a shifted probe set) is for the digits only; got dataset={cfg.dataset!r}"
        )
    check_fraction(cfg.keep, "keep")
    check_int(cfg.n_train, "n_train", allow_none=True)
    check_int(cfg.n_eval, "n_eval", minimum=2, allow_none=True)
    check_int(cfg.positions_per_image, "positions_per_image", allow_none=True)


def probe_inputs(data: Any, n: int | None, max_shift: int, *, split: str = "test") -> tuple[Any, int]:
    """Take the first ``n`` images of a split (all when None) under every shift of up to ``max_shift`` pixels.

    Returns the :func:`svcca.nn.data.probe_set` of those images, a ``TensorDataset`` of
    ``(images, labels, shifts)`` in shift-major order (``max_shift=0``: the images
    themselves, shift ``(0, 0)``), and the number of images.
    """
    from ..nn.data import probe_set
    from ..nn.utils import take

    images = take(data.train if split == "train" else data.test, n)
    fill = 0.0 if data.background is None else data.background
    return probe_set(images, max_shift=max_shift, fill=fill), len(images)


def record_layer(
    nets: Sequence[Any], x: Any, layer: str, *, per_image: int | None, rng: Sequence[int]
) -> list[np.ndarray]:
    """One layer of every network over ``x``, samples first; conv layers as positions x channels.

    Conv rows are subsampled uniformly to ``per_image`` times the number of images (all
    when None) by :func:`svcca.conv.positions_as_samples`, the same rows for every network
    (drawn from ``rng`` and the layer's shape only).
    """
    from ..conv import positions_as_samples
    from ..nn.activations import record

    out = []
    for net in nets:
        a = record(net, x, [layer], batch_size=1000)[layer]
        if a.ndim == 4:
            max_rows = None if per_image is None else int(per_image) * len(a)
            a = positions_as_samples(a, max_rows=max_rows, rng=np.random.default_rng(list(rng)))
        out.append(np.ascontiguousarray(a, dtype=np.float32))
    return out


def similarity_grid(acts: Mapping[Any, np.ndarray], measure: str, *, keep: float = 0.99) -> np.ndarray:
    """Similarity of every pair of networks' activations of one layer (``n_nets x n_nets``).

    Each network's layer is prepared once (``svcca.similarity_matrix``); PWCCA is the
    symmetric average of its two sides, SVCCA keeps ``keep`` of each side's variance. The
    sample-size warning is off: the experiments store the number of rows instead.
    """
    from .._grid import similarity_matrix

    opts = measure_options(measure, keep=keep)
    return np.array(similarity_matrix(acts, measure=measure, measure_options=opts, warn=False).values)


def measure_options(measure: str, *, keep: float = 0.99, side: str = "symmetric") -> dict[str, Any]:
    """Pick the options the experiments give ``measure``: SVCCA's ``keep``, PWCCA's ``side``."""
    if measure == "pwcca":
        return {"side": side}
    if measure == "svcca":
        return {"keep": keep}
    return {}
