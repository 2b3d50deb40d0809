"""Train-or-load caching for experiments: ``.npz`` arrays plus a JSON manifest.

An experiment is a frozen config dataclass (a subclass of :class:`ExperimentConfig`)
whose :meth:`~ExperimentConfig.run` returns a dict of numpy arrays. :func:`run_or_load`
keys the cache by a hash of the config and the experiment's schema version, writes the
arrays and the manifest atomically (temp file + rename, manifest last), and on load
checks the manifest's config, versions and sha256 of the arrays: a stale, partial or
corrupted entry is detected and rebuilt, never silently used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import platform
import time
import warnings
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from .._io import atomic_write, file_digest, probe_writable, remove_stale_temps
from ._partial import PARTIAL_SUFFIX, finish, kept_work

__all__ = [
    "ExperimentConfig",
    "ExperimentData",
    "ExperimentResult",
    "run_or_load",
    "default_cache_dir",
    "current_scale",
    "SCALES",
    "CacheWriteWarning",
    "config_from_dict",
    "config_to_dict",
    "experiments",
    "load_result",
    "partial_folder",
    "stored",
]

log = logging.getLogger("svcca.experiments")

#: The array of a cache entry's ``.npz`` that holds its config (JSON text); not a result array.
CONFIG_ARRAY = "__config__"

#: The cache of the experiment running now: an experiment built on another's result
#: (``run_or_load`` inside its ``run``) loads that result from the same cache.
_RUNNING_IN: ContextVar[Path | None] = ContextVar("svcca_running_in", default=None)

SCALES = ("tiny", "default", "full")


def current_scale() -> str:
    """Return the scale chosen by the environment variable ``SVCCA_SCALE``.

    ``tiny`` runs in seconds (tests), ``default`` (when the variable is unset) on the
    embedded digits data on a laptop CPU in minutes, ``full`` at the papers' scale
    (CIFAR-10 / ImageNet, GPU).

    Returns
    -------
    {"tiny", "default", "full"}

    Raises
    ------
    ValueError
        When ``SVCCA_SCALE`` names another scale.

    Examples
    --------
    >>> import os
    >>> from svcca.experiments import current_scale
    >>> os.environ["SVCCA_SCALE"] = "tiny"
    >>> current_scale()
    'tiny'
    >>> del os.environ["SVCCA_SCALE"]
    >>> current_scale()
    'default'
    """
    scale = os.environ.get("SVCCA_SCALE", "default").strip().lower() or "default"
    if scale not in SCALES:
        raise ValueError(f"SVCCA_SCALE must be one of {', '.join(SCALES)}; got {scale!r}")
    return scale


def default_cache_dir() -> Path:
    """Return the experiment cache folder: ``$SVCCA_CACHE_DIR`` if set, else ``~/.cache/svcca/experiments``.

    Returns
    -------
    pathlib.Path
        The folder (not created here).

    Examples
    --------
    >>> import os
    >>> from svcca.experiments import default_cache_dir
    >>> os.environ["SVCCA_CACHE_DIR"] = "my-cache"
    >>> default_cache_dir().name
    'my-cache'
    >>> del os.environ["SVCCA_CACHE_DIR"]
    >>> default_cache_dir().parts[-2:]
    ('svcca', 'experiments')
    """
    env = os.environ.get("SVCCA_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "svcca" / "experiments"


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # fields declared with compare=False (a device, a progress flag) are not part of
        # an experiment's identity and do not enter the cache key
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"config field of type {type(value).__name__} is not JSON-serialisable: {value!r}")


def _canonical(data: Any) -> str:
    """Return the JSON text of config data: what the cache key hashes and entries are compared by."""
    return json.dumps(data, sort_keys=True)


def config_to_dict(config: Any) -> dict[str, Any]:
    """Return the config as plain JSON-able data (the cache key is computed from it).

    Fields declared with ``compare=False`` are left out: they must not change the results.

    Parameters
    ----------
    config : ExperimentConfig

    Returns
    -------
    dict
        Field name -> value, tuples as lists, nested configs as dicts (a manifest's
        ``config``; :func:`config_from_dict` reverses it).

    Examples
    --------
    >>> from svcca.experiments import config_to_dict
    >>> from svcca.experiments.seed_pair import SeedPairConfig
    >>> data = config_to_dict(SeedPairConfig.for_scale("tiny"))
    >>> data["seeds"], "device" in data      # the device is not part of the identity
    ([0, 1], False)
    """
    return _jsonable(config)


def _from_jsonable(value: Any, template: Any) -> Any:
    if isinstance(value, Mapping) and isinstance(template, ExperimentConfig):
        return config_from_dict(type(template), value)
    if isinstance(value, list):
        inner = template if isinstance(template, tuple) and template else ()
        return tuple(_from_jsonable(v, inner[0] if inner else None) for v in value)
    return value


def config_from_dict(cls: type[C], data: Mapping[str, Any]) -> C:
    """Rebuild a config of class ``cls`` from :func:`config_to_dict`'s data (a manifest's ``config``).

    Lists become tuples and nested configs are rebuilt; fields the data leaves out
    (``compare=False`` ones such as ``device``) take their defaults.

    Parameters
    ----------
    cls : type
        The experiment's config class.
    data : dict
        What :func:`config_to_dict` returned.

    Returns
    -------
    ExperimentConfig
        An instance of ``cls`` whose :func:`config_to_dict` is ``data``.

    Raises
    ------
    ValueError
        When the data names a field ``cls`` lacks, or does not come back as it was (written
        by another version of the experiment).

    Examples
    --------
    >>> from svcca.experiments import config_from_dict, config_to_dict
    >>> from svcca.experiments.seed_pair import SeedPairConfig
    >>> cfg = SeedPairConfig.for_scale("tiny")
    >>> config_from_dict(SeedPairConfig, config_to_dict(cfg)) == cfg
    True
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"config data must be a dict; got {type(data).__name__}")
    default = cls()
    names = {f.name for f in dataclasses.fields(default)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {unknown}: written by another version of it")
    changes = {name: _from_jsonable(value, getattr(default, name)) for name, value in data.items()}
    config = dataclasses.replace(default, **changes)
    if _canonical(config_to_dict(config)) != _canonical(dict(data)):
        raise ValueError(
            f"the stored {cls.__name__} does not come back as it was written: another version of it?"
        )
    return config


def is_seed_field(name: str) -> bool:
    """Whether a config field names seeds: ``seed``, ``seeds`` or a name ending in ``_seed``/``_seeds``."""
    return name in ("seed", "seeds") or name.endswith(("_seed", "_seeds"))


@dataclass(frozen=True)
class ExperimentConfig:
    """Base class of experiment configs: a frozen dataclass with a ``run`` method.

    Subclasses set ``experiment`` (a short name) and ``schema_version`` (bump it when the
    meaning of the stored arrays changes, so old caches are rebuilt), declare their fields
    (with a ``seed``), implement :meth:`run`, and provide presets for :meth:`for_scale` as
    classmethods ``preset_tiny``, ``preset_full`` (and ``preset_default`` where the
    ``default`` preset is not the config's defaults).

    Examples
    --------
    >>> from svcca.experiments.seed_pair import SeedPairConfig
    >>> cfg = SeedPairConfig.for_scale("tiny")
    >>> cfg.experiment, cfg.seeds, len(cfg.key())
    ('seed_pair', (0, 1), 64)
    """

    experiment: ClassVar[str] = "base"
    schema_version: ClassVar[int] = 1
    #: The typed data of the experiment's results (set by :class:`ExperimentData` subclasses).
    data_class: ClassVar[type[ExperimentData] | None] = None

    def run(self, progress: bool = False) -> dict[str, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def for_scale(cls, scale: str | None = None, **overrides: Any) -> ExperimentConfig:
        """Return the preset for ``scale`` (``tiny``, ``default`` or ``full``; None reads ``SVCCA_SCALE``).

        The preset is the class's ``preset_<scale>()``, or its defaults where it has none.
        """
        return cls._preset(scale, (), overrides)

    @classmethod
    def _preset(cls, scale: str | None, args: tuple[Any, ...], overrides: dict[str, Any]) -> Any:
        """``preset_<scale>(*args)`` (the defaults where there is none) with ``overrides`` replaced."""
        scale = current_scale() if scale is None else scale
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}; got {scale!r}")
        preset = getattr(cls, f"preset_{scale}", None)
        base = preset(*args) if preset is not None else cls()
        return dataclasses.replace(base, **overrides) if overrides else base

    def unpack(self, result: ExperimentResult | Mapping[str, np.ndarray]) -> Any:
        """Return the experiment's typed data object over ``result`` (``ExperimentResult.data``).

        An instance of the experiment's :attr:`data_class` (the :class:`ExperimentData`
        subclass whose ``config_class`` is this config's class), read with this config.

        Raises
        ------
        NotImplementedError
            For an experiment without a typed data object.
        """
        if self.data_class is None:
            msg = f"experiment {self.experiment!r} has no typed result data; read .arrays"
            raise NotImplementedError(msg)
        return self.data_class.from_result(result, self)

    def claims(self, result: ExperimentResult) -> list[Any]:
        """Return the book's claims about this experiment's result (a list of :class:`Claim`).

        By default the claims of the typed data (``self.unpack(result).claims()``), or none
        when the experiment has no typed data or its data states no claims. The claims are
        meant for the ``default`` preset (the book's scale). Inside the book build they are
        computed once per result and remembered (see :func:`recall_claims`).
        """
        from ._claims import recall_claims, remember_claims

        arrays = result.arrays if isinstance(result, ExperimentResult) else result
        remembered = recall_claims(self, arrays)
        if remembered is not None:
            return remembered
        out = self._compute_claims(result)
        remember_claims(self, arrays, out)
        return out

    def _compute_claims(self, result: ExperimentResult) -> list[Any]:
        """Compute what :meth:`claims` returns (experiments with more claims extend this)."""
        try:
            data = self.unpack(result)
        except NotImplementedError:
            return []
        claims = getattr(data, "claims", None)
        return [] if claims is None else list(claims())

    def with_seed_offset(self, offset: int) -> ExperimentConfig:
        """Return a copy with ``offset`` added to every seed the experiment uses.

        Every field named ``seed``/``seeds`` or ending in ``_seed``/``_seeds`` (an int or a
        tuple of ints) is shifted; the robustness matrix reruns experiments this way.

        Examples
        --------
        >>> from svcca.experiments.seed_pair import SeedPairConfig
        >>> cfg = SeedPairConfig.for_scale("tiny").with_seed_offset(10)
        >>> cfg.seeds, cfg.seed
        ((10, 11), 10)
        """
        offset = int(offset)
        if offset == 0:
            return self
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            name = f.name
            if not is_seed_field(name):
                continue
            value = getattr(self, name)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, (int, np.integer)):
                changes[name] = int(value) + offset
            elif isinstance(value, (tuple, list)) and all(isinstance(v, (int, np.integer)) for v in value):
                changes[name] = type(value)(int(v) + offset for v in value)
        return dataclasses.replace(self, **changes)

    def data_fingerprint(self) -> str | None:
        """Return a digest of the data the experiment reads from disk, or None for none.

        A cached result is used only while this is unchanged, so that a run on a data
        folder that has changed since (an ImageNet subset re-prepared with more images, a
        corpus replaced) is recomputed, not loaded. None (the default) for data that
        cannot change under the same config: shipped with a package or checksum-verified
        on load. The fingerprints of nested experiment configs are included.

        Examples
        --------
        >>> from svcca.experiments.seed_pair import SeedPairConfig
        >>> SeedPairConfig.for_scale("tiny").data_fingerprint() is None   # the digits
        True
        """
        nested = [
            fp
            for f in dataclasses.fields(self)
            if isinstance(value := getattr(self, f.name), ExperimentConfig)
            and (fp := value.data_fingerprint()) is not None
        ]
        return None if not nested else hashlib.sha256("\n".join(nested).encode()).hexdigest()

    def key(self) -> str:
        """Hash of the experiment name, schema version and config (hex sha256)."""
        payload = _canonical(
            {"experiment": self.experiment, "schema": self.schema_version, "config": config_to_dict(self)}
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ExperimentResult:
    """Arrays produced by an experiment, with the manifest that describes them.

    Attributes
    ----------
    config : ExperimentConfig
    arrays : dict of str -> numpy.ndarray
    manifest : dict
        Config, seed, versions, sha256, creation time and run time.
    path : pathlib.Path or None
        The ``.npz`` file in the cache.
    from_cache : bool
        True when loaded rather than computed in this call.

    Examples
    --------
    >>> import tempfile
    >>> from svcca.experiments import run_or_load
    >>> from svcca.experiments.conv_pair import ConvPairConfig
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     result = run_or_load(ConvPairConfig.for_scale("tiny"), folder)
    ...     again = run_or_load(ConvPairConfig.for_scale("tiny"), folder)
    >>> result.from_cache, again.from_cache, sorted(result.arrays) == sorted(again.arrays)
    (False, True, True)
    """

    config: Any
    arrays: dict[str, np.ndarray]
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    from_cache: bool = False

    @property
    def data(self) -> Any:
        """The experiment's typed data object (``config.unpack(self)``), e.g. ``SeedPairData``.

        Examples
        --------
        >>> import numpy as np
        >>> from svcca.experiments import ExperimentResult
        >>> from svcca.experiments.open_questions import OpenQuestionsConfig
        >>> data = ExperimentResult(OpenQuestionsConfig(), {"seeds": np.array([0, 1])}).data
        >>> type(data).__name__, data.seeds
        ('OpenQuestionsData', (0, 1))
        """
        return self.config.unpack(self)

    def __getitem__(self, name: str) -> np.ndarray:
        return _stored_array(self.arrays, name)

    def __contains__(self, name: str) -> bool:
        return name in self.arrays


def _stored_array(arrays: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    """Return the array ``name`` of a result, or raise a KeyError naming the arrays there are."""
    try:
        return arrays[name]
    except KeyError:
        raise KeyError(f"no array {name!r} in this result; available: {sorted(arrays)}") from None


def arrays_and_config(result: Any, config: Any, default: Callable[[], Any]) -> tuple[Any, Any]:
    """Return the arrays and the config of a result: where every experiment's ``unpack`` starts.

    ``result`` is what :func:`run_or_load` returned (its config is used) or a bare dict of
    its arrays, read with ``config``. Without ``config``, the config stored inside a cache
    entry's file (``np.load`` of it) is used, and else ``default()``.

    Examples
    --------
    >>> arrays, cfg = arrays_and_config({"x": np.zeros(2)}, None, dict)
    >>> sorted(arrays), cfg
    (['x'], {})
    """
    if isinstance(result, ExperimentResult):
        return result.arrays, result.config
    if not isinstance(result, Mapping) or CONFIG_ARRAY not in result:
        return result, config if config is not None else default()
    arrays = {k: v for k, v in result.items() if k != CONFIG_ARRAY}
    if config is None:  # the entry's own config, not the experiment's default
        template = default()
        try:
            config = config_from_dict(type(template), json.loads(str(np.asarray(result[CONFIG_ARRAY]))))
        except (TypeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
            raise ValueError(
                f"the config stored with these arrays ({CONFIG_ARRAY!r}) cannot be read as a "
                f"{type(template).__name__} ({exc}); pass config= explicitly"
            ) from None
    return arrays, config


def stored(key: str | None = None, convert: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Declare a field of an :class:`ExperimentData` as read from a stored array: its ``metadata``.

    Parameters
    ----------
    key : str, optional
        Name of the array; default the field's name.
    convert : callable, optional
        Turns the array into the field's value; default by the field's annotation:
        ``tuple[str, ...]`` and ``tuple[int, ...]`` (a tuple of names or ints), ``np.ndarray``
        (``np.asarray``), ``int``, ``float``, ``str``.

    Returns
    -------
    dict
        ``metadata`` for :func:`dataclasses.field`. A field that has a default keeps it
        when its array is absent (an optional part of a result, or an older result).

    Examples
    --------
    >>> from dataclasses import field
    >>> from svcca.experiments import stored
    >>> layers = field(metadata=stored())                  # the array "layers"
    >>> labels = field(metadata=stored("eval_labels"))     # the array "eval_labels"
    >>> labels.metadata["stored"]
    ('eval_labels', None)
    """
    return {"stored": (key, convert)}


#: How a stored array becomes a field of each annotation (see :func:`stored`).
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "tuple[str, ...]": lambda a: tuple(str(v) for v in a),
    "tuple[int, ...]": lambda a: tuple(int(v) for v in a),
    "np.ndarray": np.asarray,
    "int": int,
    "float": float,
    "str": str,
}

D = TypeVar("D", bound="ExperimentData")
C = TypeVar("C", bound="ExperimentConfig")


@dataclass(frozen=True, eq=False)
class ExperimentData:
    """Base of the experiments' typed result data: named access to the arrays of a result.

    A subclass sets ``config_class`` (its experiment's config class, which then unpacks its
    results into this class: :meth:`ExperimentConfig.unpack`) and declares its own fields;
    those declared with ``field(metadata=stored(...))`` are read from the arrays by
    :meth:`read` (override it for fields computed otherwise).

    Parameters
    ----------
    config : ExperimentConfig
        The config of the run, an instance of ``config_class``.
    arrays : dict of str -> numpy.ndarray
        The result's arrays (of every seed, where a data object is one seed's run);
        ``data[name]`` is one of them as a numpy array.

    Examples
    --------
    >>> import numpy as np
    >>> from dataclasses import dataclass, field
    >>> from svcca.experiments import ExperimentData, stored
    >>> @dataclass(frozen=True, eq=False)
    ... class Scores(ExperimentData):
    ...     seeds: tuple[int, ...] = field(metadata=stored())
    ...     accuracy: np.ndarray = field(metadata=stored("test_accuracy"))
    >>> data = Scores.from_result({"seeds": np.array([0, 1]), "test_accuracy": np.array([0.9, 0.8])})
    >>> data.seeds, data["test_accuracy"].tolist()
    ((0, 1), [0.9, 0.8])
    """

    config: Any
    arrays: Mapping[str, np.ndarray]

    #: The experiment's config class (its default is the config of a bare dict of arrays).
    config_class: ClassVar[type[ExperimentConfig]] = ExperimentConfig

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "config_class" in cls.__dict__:
            cls.config_class.data_class = cls

    def __getitem__(self, name: str) -> np.ndarray:
        return np.asarray(_stored_array(self.arrays, name))

    def remembered_claims(self) -> list[Any] | None:
        """Return the claims the book build already computed for this very result, or None.

        Inside the book build each experiment's claims are computed once, where it ran, and
        kept (see :func:`~svcca.experiments.recall_claims`); a data object whose ``claims``
        is called by a chapter answers from there instead of computing them again. Outside
        the build, or for a result that differs in any byte, this is None.

        Returns
        -------
        list of Claim or None

        Examples
        --------
        >>> import numpy as np
        >>> from svcca.experiments.open_questions import OpenQuestionsData
        >>> OpenQuestionsData.from_result({"seeds": np.array([0])}).remembered_claims() is None
        True
        """
        from ._claims import recall_claims

        return recall_claims(self.config, self.arrays)

    @classmethod
    def read(cls, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
        """Return the fields of the class read from ``arrays``: those declared with :func:`stored`.

        Parameters
        ----------
        arrays : dict of str -> numpy.ndarray

        Returns
        -------
        dict
            Field name -> value.

        Examples
        --------
        >>> import numpy as np
        >>> from svcca.experiments.open_questions import OpenQuestionsData
        >>> OpenQuestionsData.read({"seeds": np.array([0, 1]), "ae_mse": np.zeros((2, 5))})
        {'seeds': (0, 1)}
        >>> OpenQuestionsData.read({})
        Traceback (most recent call last):
        ...
        KeyError: "no array 'seeds' in this result; available: []"
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            spec = f.metadata.get("stored")
            if spec is None:
                continue
            key, convert = spec[0] or f.name, spec[1] or _CONVERTERS.get(str(f.type))
            optional = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            if optional and key not in arrays:
                continue  # the field keeps its default
            if convert is None:
                raise TypeError(
                    f"{cls.__name__}.{f.name}: no converter for {f.type}; pass stored(convert=...)"
                )
            out[f.name] = convert(_stored_array(arrays, key))
        return out

    @classmethod
    def from_result(
        cls: type[D], result: ExperimentResult | Mapping[str, np.ndarray], config: Any = None
    ) -> D:
        """Named access to the arrays of a run (each experiment module's ``unpack``).

        Parameters
        ----------
        result : ExperimentResult or dict of arrays
            What :func:`run_or_load` returned (its config is used), or its ``arrays``.
        config : ExperimentConfig, optional
            The config of a bare dict of arrays (where the data object rebuilds networks
            or reads settings); default the config stored in a cache entry's file (a dict
            of ``np.load`` of it; see also :func:`load_result`), else the experiment's
            default config.

        Returns
        -------
        ExperimentData
            An instance of this class.

        Examples
        --------
        >>> import numpy as np
        >>> from svcca.experiments.open_questions import OpenQuestionsData
        >>> data = OpenQuestionsData.from_result({"seeds": np.array([0, 1])})
        >>> data.seeds, type(data.config).__name__
        ((0, 1), 'OpenQuestionsConfig')
        """
        arrays, cfg = arrays_and_config(result, config, cls.config_class)
        return cls(config=cfg, arrays=arrays, **cls.read(arrays))


def _svcca_version() -> str:
    import svcca

    return svcca.__version__


def _versions() -> dict[str, str]:
    out = {"svcca": _svcca_version(), "numpy": np.__version__, "python": platform.python_version()}
    try:
        import torch

        out["torch"] = torch.__version__
    except ImportError:  # pragma: no cover
        pass
    return out


def _write_npz(fh: Any, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as an ``.npz`` (what ``np.savez`` writes) under any names.

    ``np.savez(fh, **arrays)`` takes an array named ``file`` or ``allow_pickle`` for its own
    argument: the first raised after the whole run, the second was left out of the entry, so
    that the cached result lacked an array the computed one had.
    """
    import zipfile

    with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, value in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)


def _atomic_savez(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    atomic_write(path, lambda fh: _write_npz(fh, arrays))


def _check_arrays(arrays: Any, config: Any) -> dict[str, np.ndarray]:
    if not isinstance(arrays, Mapping):
        raise TypeError(
            f"{type(config).__name__}.run() must return a dict of arrays; got {type(arrays).__name__}"
        )
    out = {}
    for k, v in arrays.items():
        a = np.asarray(v)
        if a.dtype == object:
            raise TypeError(
                f"{type(config).__name__}.run() returned an object array for {k!r}; use numbers or strings"
            )
        if str(k) == CONFIG_ARRAY:
            raise ValueError(
                f"{type(config).__name__}.run() returned {k!r}, a name the cache keeps for the config"
            )
        out[str(k)] = a
    return out


def _read_manifest(man: Path) -> dict[str, Any] | str:
    """Read the manifest as a dict, or say why it cannot be used (any damage is a reason, never a crash)."""
    try:
        manifest = json.loads(man.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return f"manifest unreadable ({type(exc).__name__}: {exc})"
    if not isinstance(manifest, dict):
        return f"manifest is a JSON {type(manifest).__name__}, not an object"
    expected = {"experiment": str, "schema_version": int, "config": dict, "versions": dict, "sha256": str}
    for name, kind in expected.items():
        if not isinstance(manifest.get(name), kind):
            return f"manifest field {name!r} is missing or not a {kind.__name__}"
    return manifest


def _load(
    npz: Path, man: Path, config: ExperimentConfig, fingerprint: str | None = None
) -> tuple[dict[str, np.ndarray], dict] | str:
    """Load a cache entry, or return the reason it cannot be used (``fingerprint``: the data's)."""
    if not os.path.lexists(man) and not os.path.lexists(npz):
        return "absent"
    for path, what in ((man, "manifest"), (npz, "arrays")):
        if not os.path.lexists(path):
            return f"{what} missing (an interrupted write?)"
        if not path.is_file():
            return f"{what} {path.name} is not a regular file"
    manifest = _read_manifest(man)
    if isinstance(manifest, str):
        return manifest
    if manifest["experiment"] != config.experiment or manifest["schema_version"] != config.schema_version:
        return "written by another experiment or schema version"
    if _canonical(manifest["config"]) != _canonical(config_to_dict(config)):  # as JSON: NaN is NaN
        return "config differs"
    if manifest["versions"].get("svcca") != _svcca_version():  # (_versions() would import torch)
        return "written by another svcca version"
    if manifest.get("data") != fingerprint:
        if fingerprint is not None and "absent" in fingerprint.split("+"):
            # no data folder here (a cache copied from the machine that ran it): it cannot be
            # checked, and a rerun could not read it either; the entry is used as it is, said
            # aloud, since a mistyped data_root reaches the same entry
            folder = getattr(config, "data_folder", lambda: None)()
            warnings.warn(
                f"{config.experiment}: the data folder {str(folder or '?')!r} is absent here, so the "
                f"cache entry {npz.name} (computed from data with fingerprint {manifest.get('data')!r}) "
                "is used without checking it against the data; if the path is mistyped, correct data_root",
                UncheckedCacheWarning,
                stacklevel=4,
            )
        else:
            return "the data folder changed since the entry was written (files added, removed or rewritten)"
    read = _read_arrays(npz, manifest)
    return read if isinstance(read, str) else (read[0], manifest)


def _read_arrays(npz: Path, manifest: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], str | None] | str:
    """Read an entry's arrays and the config stored with them (None in an entry of before).

    Or say why they cannot be used (the checksum does not match, the file is unreadable).
    """
    try:
        # the file checked is the file loaded: an entry that another process renames over it
        # in between is not loaded unchecked
        with open(npz, "rb") as fh:
            if manifest["sha256"] != file_digest(fh):
                return "checksum mismatch (corrupted or modified arrays)"
            fh.seek(0)
            with np.load(fh, allow_pickle=False) as data:
                inside = str(data[CONFIG_ARRAY]) if CONFIG_ARRAY in data.files else None
                return {k: data[k] for k in data.files if k != CONFIG_ARRAY}, inside
    except Exception as exc:  # noqa: BLE001 - any unreadable file means rebuild
        return f"arrays unreadable ({type(exc).__name__}: {exc})"


def load_result(path: str | os.PathLike[str]) -> ExperimentResult:
    """Load one cache entry by its file: the arrays with the config they were computed with.

    Where :func:`run_or_load` finds an entry from a config, this reads a file named by
    hand (one copied from another machine, or listed in a cache folder), so that its data
    object (``.data``) is read with the entry's own config, never the experiment's default.
    The arrays are checked against the manifest's checksum; an entry of another svcca
    version is read when its schema version is this one's.

    Parameters
    ----------
    path : path
        The entry's ``.npz`` or ``.json`` file (the other must lie beside it).

    Returns
    -------
    ExperimentResult
        ``from_cache`` True; ``config`` rebuilt from the manifest.

    Raises
    ------
    FileNotFoundError
        When either file is missing.
    ValueError
        When the manifest is damaged, names an unknown experiment or another schema
        version, or the arrays do not match its checksum.

    Examples
    --------
    >>> import tempfile
    >>> from svcca.experiments import load_result, run_or_load
    >>> from svcca.experiments.conv_pair import ConvPairConfig
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     entry = run_or_load(ConvPairConfig.for_scale("tiny"), folder)
    ...     loaded = load_result(entry.path)
    >>> loaded.config == entry.config, sorted(loaded.arrays) == sorted(entry.arrays)
    (True, True)
    """
    given = Path(path)
    npz, man = given.with_suffix(".npz"), given.with_suffix(".json")
    if given.suffix not in (".npz", ".json"):
        raise ValueError(f"a cache entry is an .npz file with its .json manifest; got {given}")
    for file in (npz, man):
        if not file.is_file():
            raise FileNotFoundError(
                f"no cache entry file {file} (an entry is an .npz and its .json manifest)"
            )
    manifest = _read_manifest(man)
    if isinstance(manifest, str):
        raise ValueError(f"the cache entry {man} cannot be read: {manifest}")
    registry = experiments()
    cls = registry.get(manifest["experiment"])
    if cls is None:
        raise ValueError(
            f"the cache entry {man.name} is of experiment {manifest['experiment']!r}, "
            f"not one of {sorted(registry)}"
        )
    if manifest["schema_version"] != cls.schema_version:
        raise ValueError(
            f"the cache entry {npz.name} has schema version {manifest['schema_version']}; this svcca reads "
            f"version {cls.schema_version} of {cls.experiment}: run the experiment again"
        )
    read = _read_arrays(npz, manifest)
    if isinstance(read, str):
        raise ValueError(f"the cache entry {npz} cannot be used: {read}")
    arrays, inside = read
    if inside is not None and inside != _canonical(manifest["config"]):
        raise ValueError(
            f"the cache entry {man.name}'s config differs from the one stored with its arrays in "
            f"{npz.name} (an edited manifest?); the arrays were computed with the latter: {inside}"
        )
    try:
        config = config_from_dict(cls, manifest["config"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the cache entry {man.name}'s config cannot be read: {exc}") from None
    return ExperimentResult(config=config, arrays=arrays, manifest=dict(manifest), path=npz, from_cache=True)


class UncheckedCacheWarning(UserWarning):
    """A cache entry was loaded without checking it against its data folder, which is absent.

    That happens with a cache copied from the machine that computed it, and with a mistyped
    ``data_root``.

    Examples
    --------
    >>> from svcca.experiments import UncheckedCacheWarning
    >>> issubclass(UncheckedCacheWarning, UserWarning)
    True
    """


class CacheWriteWarning(UserWarning):
    """The experiment cache could not be written: the result is returned but not kept.

    Examples
    --------
    >>> import warnings
    >>> from svcca.experiments import CacheWriteWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("cache folder not writable", CacheWriteWarning)
    >>> caught[0].category.__name__
    'CacheWriteWarning'
    """


def _clear_non_file(path: Path) -> None:
    """Remove an empty folder standing where an entry will be written."""
    if path.is_dir() and not path.is_symlink():
        with contextlib.suppress(OSError):
            path.rmdir()


def partial_folder(config: ExperimentConfig, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder where :func:`run_or_load` keeps the networks of an unfinished run of ``config``.

    ``<cache>/<experiment>-<key>.partial``, beside the entry the run will write; it exists
    only while a run that trained networks is unfinished (see :func:`run_or_load`).

    Parameters
    ----------
    config : ExperimentConfig
    cache_dir : path, optional
        The cache folder; default :func:`default_cache_dir`.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> from svcca.experiments import partial_folder
    >>> from svcca.experiments.seed_pair import SeedPairConfig
    >>> partial_folder(SeedPairConfig.for_scale("tiny"), "cache").suffix
    '.partial'
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return cache / f"{config.experiment}-{config.key()[:20]}{PARTIAL_SUFFIX}"


def run_or_load(
    config: ExperimentConfig,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
    progress: bool = False,
) -> ExperimentResult:
    """Run an experiment, or load its cached result when an identical run exists.

    Parameters
    ----------
    config : ExperimentConfig
        The experiment and its settings (e.g. ``LearningDynamicsConfig.for_scale("tiny")``).
    cache_dir : path, optional
        Folder of the cache; default :func:`default_cache_dir`, or, when called while an
        experiment runs (one built on another's result), the cache that experiment is
        being run for, so that both results live in one cache.
    force : bool, default False
        Recompute even when a valid cache entry exists.
    progress : bool, default False
        Show tqdm progress bars while running.

    Returns
    -------
    ExperimentResult
        ``from_cache`` says whether it was loaded; ``path`` is None when the entry could
        not be written.

    Warns
    -----
    CacheWriteWarning
        When the cache folder is not writable (said before the experiment starts) or the
        entry could not be written (full disk): the computed result is still returned.

    Notes
    -----
    The entry ``<experiment>-<key>.npz`` is written first and ``<experiment>-<key>.json``
    (the manifest, holding the arrays' sha256) last, both atomically; an entry is used only
    if the manifest matches the config, the experiment's schema version, the svcca
    version and the data folder (:meth:`ExperimentConfig.data_fingerprint`), and the
    checksum matches. Anything else (a damaged manifest included) is
    rebuilt, and the reason is logged. Temp files of writers killed more than an hour ago
    are removed when the cache is opened; entries are created with the process umask.

    A run that is interrupted (Ctrl-C, a crash, a lost machine) keeps the networks it
    trained in ``<experiment>-<key>.partial/`` beside the entry: each network's training
    state is kept at the end of an epoch once a minute has passed since it was last kept,
    and when it is done. The same call again resumes from there and gives the result an
    uninterrupted run gives (bit-identical on the CPU). The folder is removed once the
    entry is written, and cleared first when it was kept by another version of svcca,
    torch or numpy or on another device. ``force=True`` recomputes the entry and resumes
    such a folder too (an interrupted forced run continues); delete the folder to train
    its networks again. Two processes running the same experiment at once do not share
    it: the second keeps nothing. On systems without ``fcntl`` (Windows) nothing is kept.
    Networks trained through :meth:`TrainingConfig.fit` are kept, which is every
    experiment's but ``open_questions``' (whose networks train in seconds); a network
    whose ``freeze`` is a callable (its state lives outside the network) is trained again.

    Examples
    --------
    >>> import tempfile
    >>> from svcca.experiments import book_config, run_or_load
    >>> config = book_config("learning_dynamics.mlp", scale="tiny")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     first = run_or_load(config, folder)
    ...     second = run_or_load(config, folder)
    >>> first.from_cache, second.from_cache, first.path.name == second.path.name
    (False, True, True)
    """
    if not isinstance(config, ExperimentConfig):
        raise TypeError(f"config must be an ExperimentConfig; got {type(config).__name__}")
    if cache_dir is not None:
        if not os.fspath(cache_dir).strip():  # Path("") is the current folder: entries would land there
            raise ValueError(
                f"cache_dir is empty ({cache_dir!r}); pass a folder, or None for the default "
                f"({default_cache_dir()})"
            )
        cache = Path(cache_dir)
    else:
        cache = _RUNNING_IN.get() or default_cache_dir()
    key = config.key()[:20]
    npz = cache / f"{config.experiment}-{key}.npz"
    man = cache / f"{config.experiment}-{key}.json"
    remove_stale_temps(cache)
    data = config.data_fingerprint()  # the data as the run finds it
    if not force:
        loaded = _load(npz, man, config, data)
        if not isinstance(loaded, str):
            arrays, manifest = loaded
            return ExperimentResult(
                config=config, arrays=arrays, manifest=manifest, path=npz, from_cache=True
            )
        if loaded != "absent":
            log.warning("rebuilding cache entry %s: %s", npz.name, loaded)
    # warn now, not after hours of work, when the result could not be kept
    unwritable = probe_writable(cache)
    if unwritable is not None:
        warnings.warn(
            f"the experiment cache is not writable ({unwritable}); {config.experiment} will run but its "
            f"result will not be kept. Set SVCCA_CACHE_DIR or pass cache_dir= to a writable folder",
            CacheWriteWarning,
            stacklevel=2,
        )
    # the networks it trains are kept beside the entry until it is written (a rerun resumes)
    partial = partial_folder(config, cache) if unwritable is None else None
    identity = {
        "experiment": config.experiment,
        "key": config.key(),
        "schema_version": config.schema_version,
        "versions": _versions(),
        "data": data,
        "device": str(getattr(config, "device", None)),  # a GPU run is not finished on the CPU
    }
    with kept_work(partial, identity) as work:
        t0 = time.perf_counter()
        token = _RUNNING_IN.set(cache)
        try:
            arrays = _check_arrays(config.run(progress=progress), config)
        finally:
            _RUNNING_IN.reset(token)
        elapsed = time.perf_counter() - t0
        manifest = {
            "experiment": config.experiment,
            "schema_version": config.schema_version,
            "config": config_to_dict(config),
            "seed": getattr(config, "seed", None),
            "versions": _versions(),
            "data": data,
            "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()},
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "run_seconds": round(elapsed, 3),
            # not part of the entry's identity, but they move the last bits (a GPU, BLAS threads)
            "computed_with": {
                "device": str(getattr(config, "device", None)),
                "num_threads": getattr(config, "num_threads", None),
            },
        }
        try:
            for path in (npz, man):
                _clear_non_file(path)
            # its config goes along inside, so that np.load of the file alone is read right
            _atomic_savez(npz, {**arrays, CONFIG_ARRAY: np.array(_canonical(manifest["config"]))})
            manifest["sha256"] = file_digest(npz)
            atomic_write(man, json.dumps(manifest, indent=2, sort_keys=True).encode())
        except OSError as exc:
            if unwritable is None:  # not said yet
                warnings.warn(
                    f"could not write the cache entry {npz.name} in {cache} ({type(exc).__name__}: {exc}); "
                    f"the result of {config.experiment} is returned but not kept",
                    CacheWriteWarning,
                    stacklevel=2,
                )
            return ExperimentResult(config=config, arrays=arrays, manifest=manifest, path=None)
        finish(work)
    return ExperimentResult(config=config, arrays=arrays, manifest=manifest, path=npz, from_cache=False)


def experiments() -> dict[str, type[ExperimentConfig]]:
    """Every experiment config class of :mod:`svcca.experiments`, by experiment name.

    Importing the package's modules registers nothing globally; this walks them and
    collects the :class:`ExperimentConfig` subclasses they define.

    Returns
    -------
    dict of str -> type
        Config classes by their ``experiment`` name, sorted.

    Examples
    --------
    >>> from svcca.experiments import experiments
    >>> registry = experiments()
    >>> registry["seed_pair"].__name__
    'SeedPairConfig'
    """
    import importlib
    import inspect
    import pkgutil

    from .. import experiments as package

    found: dict[str, type[ExperimentConfig]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, ExperimentConfig)
                and obj is not ExperimentConfig
                and obj.__module__ == module.__name__
                and obj.experiment != "base"
            ):
                found[obj.experiment] = obj
    return dict(sorted(found.items()))
