"""PWCCA against mean CCA when noise directions are added to one side (Morcos, Raghu & Bengio 2018).

Morcos et al. (section 2.2) argue that a layer is part signal and part noise, that mean CCA
counts every canonical correlation alike, the noise's too, and that projection weighting
(PWCCA), which weighs each canonical direction by how much of the layer it accounts for,
is therefore more robust to noise; they showed it on a synthetic toy (their Figure 2), where
both matrices carry noise dimensions. This experiment measures it in two settings, with
the noise on one side only:

* **synthetic**: a representation ``X`` of ``width`` neurons carrying ``n_signals`` shared
  signals (plus a little private noise) is compared with a representation ``Y`` of the
  same signals on ``n_signals`` neurons to which ``k`` pure-noise neurons are appended
  (``synthetic_dims``). Every noise neuron adds one canonical correlation near chance;
  the ground truth (the shared signals) does not change.
* **networks**: the seed-pair networks (three MLPs trained on the digits from different
  seeds, :mod:`svcca.experiments.seed_pair`, loaded from the cache, not trained again):
  one network's layer ``Y`` gets Gaussian noise along ``k`` random orthonormal directions
  of its neuron space (``Y + s Z_k Q_k^T``, ``k`` a fraction of the width,
  ``network_fractions``; ``s`` is ``noise_scale`` times the layer's root-mean-square
  neuron standard deviation), and is compared with the same layer of another network.

Three similarities at every ``k``: mean CCA, PWCCA weighted by the untouched side ``X``
(``"pwcca"``, the paper's weighting of the representation of interest) and PWCCA weighted
by the noisy side (``"pwcca_noisy"``), all from one decomposition per point.

Presets (``PWCCANoiseConfig.for_scale``): ``tiny`` (small synthetic draws, the ``tiny``
seed-pair networks; seconds), ``default`` (the book's seed-pair networks, three synthetic
draws; about half a minute once the seed-pair result is cached) and ``full`` (the
``full`` seed-pair conv nets on CIFAR-10).

Claims: :meth:`PWCCANoiseData.claims`, names ``"pwcca_noise.synthetic.*"`` (mean CCA falls
with the noise neurons; PWCCA weighted by the untouched side loses under a fifth of that and
stays high; weighted by the noisy side it falls like mean CCA) and
``"pwcca_noise.network.*"`` (PWCCA weighted by the untouched network loses less than mean
CCA, in every layer and pair, once a quarter or more of the directions are noisy; weighted
by the noisy network it loses more).

Reading a result::

    from svcca.experiments import book_config, run_or_load

    data = run_or_load(book_config("pwcca_noise")).data
    data.synthetic("pwcca")          # (n_resamples, n_k)
    data.network("cca", "fc2")       # (n_pairs, n_k)

References
----------
A. S. Morcos, M. Raghu, S. Bengio. Insights on representational similarity in neural
networks with canonical correlation. NeurIPS 2018.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .._validation import check_int, check_option, check_rng
from ._cache import ExperimentData, stored
from ._toolbox import ThreadLimitedConfig, check_layers
from .seed_pair import SeedPairConfig

__all__ = [
    "CURVES",
    "PWCCANoiseConfig",
    "PWCCANoiseData",
    "add_noise_directions",
    "noise_similarities",
    "synthetic_views",
    "unpack",
]

#: Similarities measured at every amount of noise: mean CCA, PWCCA weighted by the
#: untouched side, PWCCA weighted by the noisy side.
CURVES = ("cca", "pwcca", "pwcca_noisy")


def _seed_pair(scale: str) -> SeedPairConfig:
    cfg = SeedPairConfig.for_scale(scale)
    assert isinstance(cfg, SeedPairConfig)
    return cfg


def _default_networks() -> SeedPairConfig:
    return _seed_pair("default")


@dataclass(frozen=True)
class PWCCANoiseConfig(ThreadLimitedConfig):
    """Add noise to one side of a comparison; follow mean CCA and PWCCA.

    Parameters
    ----------
    n_samples : int, default 2000
        Synthetic datapoints.
    n_signals : int, default 8
        Shared signals of the synthetic representations.
    width : int, default 64
        Neurons of the synthetic representation ``X``; at least ``n_signals`` plus the
        largest number of noise neurons, so that each noise neuron adds a correlation.
    private_noise : float, default 0.1
        Standard deviation of the independent noise on every synthetic neuron (the signals
        have unit variance).
    synthetic_dims : tuple of int, default (0, 8, 16, 32, 56)
        Noise neurons appended to ``Y``, increasing, starting at 0.
    n_resamples : int, default 3
        Independent synthetic draws.
    networks : SeedPairConfig or None
        The trained networks (:class:`~svcca.experiments.seed_pair.SeedPairConfig`, its
        ``default`` preset); loaded through :func:`~svcca.experiments.run_or_load` from the
        cache this experiment runs in. None: the synthetic part only. A seed variant
        (:meth:`with_seed_offset`) shifts its seeds too.
    layers : tuple of str or None, default None
        Layers of the networks to compare (None: every hidden layer).
    network_fractions : tuple of float, default (0, 0.125, 0.25, 0.5, 1)
        Noise directions as a fraction of the layer's width, increasing, starting at 0.
    noise_scale : float, default 0.5
        Standard deviation of the noise along each noise direction (and of each synthetic
        noise neuron), relative to the root-mean-square standard deviation of the noisy
        side's neurons.
    seed : int, default 0
        Seeds the synthetic draws and the noise.
    num_threads : int or None, default 1
        See :class:`~svcca.experiments.ThreadLimitedConfig`. Not part of the key.
    """

    experiment: ClassVar[str] = "pwcca_noise"
    schema_version: ClassVar[int] = 1

    n_samples: int = 2000
    n_signals: int = 8
    width: int = 64
    private_noise: float = 0.1
    synthetic_dims: tuple[int, ...] = (0, 8, 16, 32, 56)
    n_resamples: int = 3
    networks: SeedPairConfig | None = field(default_factory=_default_networks)
    layers: tuple[str, ...] | None = None
    network_fractions: tuple[float, ...] = (0.0, 0.125, 0.25, 0.5, 1.0)
    noise_scale: float = 0.5
    seed: int = 0
    num_threads: int | None = field(default=1, compare=False)

    def __post_init__(self) -> None:  # noqa: D105 - the checks the Parameters describe
        super().__post_init__()
        for name in ("n_signals", "width", "n_resamples"):
            check_int(getattr(self, name), name)
        check_int(self.n_samples, "n_samples", minimum=2)  # a correlation needs two datapoints
        dims = list(self.synthetic_dims)
        if not dims or dims[0] != 0 or dims != sorted(set(dims)) or any(isinstance(k, bool) for k in dims):
            raise ValueError(
                f"synthetic_dims must be increasing ints starting at 0; got {self.synthetic_dims!r}"
            )
        if self.n_signals + dims[-1] > self.width:
            raise ValueError(
                "width must hold the signals and the most noise neurons (n_signals + max(synthetic_dims)); "
                f"got width={self.width}, n_signals={self.n_signals}, synthetic_dims={self.synthetic_dims!r}"
            )
        fr = [float(f) for f in self.network_fractions]
        if not fr or fr[0] != 0 or fr != sorted(set(fr)) or fr[-1] > 1:
            raise ValueError(
                f"network_fractions must increase from 0 to at most 1; got {self.network_fractions!r}"
            )
        for name in ("private_noise", "noise_scale"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive finite number; got {v!r}")
        if self.networks is not None and not isinstance(self.networks, SeedPairConfig):
            raise TypeError(f"networks must be a SeedPairConfig or None; got {type(self.networks).__name__}")
        layers = self.layers
        if layers is not None and (not layers or len(set(layers)) != len(layers)):  # () compared nothing
            raise ValueError(f"layers must be None or distinct layer names, at least one; got {layers!r}")

    # ---- presets ---------------------------------------------------------------------
    @classmethod
    def preset_tiny(cls) -> PWCCANoiseConfig:
        """Use small synthetic draws and the ``tiny`` seed-pair networks: seconds."""
        return cls(
            n_samples=500, width=24, synthetic_dims=(0, 4, 16), n_resamples=2,
            networks=_seed_pair("tiny"), network_fractions=(0.0, 0.25, 1.0),
        )  # fmt: skip

    @classmethod
    def preset_full(cls) -> PWCCANoiseConfig:
        """Use the ``full`` seed-pair conv nets on CIFAR-10 (positions as datapoints)."""
        return cls(networks=_seed_pair("full"))

    def with_seed_offset(self, offset: int) -> PWCCANoiseConfig:
        """Return a copy with ``offset`` added to its seed and to the networks' seeds."""
        out = super().with_seed_offset(offset)
        assert isinstance(out, PWCCANoiseConfig)
        if self.networks is None or int(offset) == 0:
            return out
        moved = self.networks.with_seed_offset(offset)
        assert isinstance(moved, SeedPairConfig)
        return dataclasses.replace(out, networks=moved)

    # ---- the experiment --------------------------------------------------------------
    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        """Run the synthetic draws, then the networks; see :func:`unpack` for the arrays."""
        out: dict[str, np.ndarray] = {"curves": np.array(CURVES)}
        dims = np.array(self.synthetic_dims, dtype=np.int64)
        syn = np.zeros((len(CURVES), self.n_resamples, len(dims)))
        for d in range(self.n_resamples):
            X, Y, noise = synthetic_views(
                self.n_samples,
                self.n_signals,
                self.width,
                int(dims[-1]),
                private_noise=self.private_noise,
                noise_scale=self.noise_scale,
                rng=np.random.default_rng([self.seed, 0, d]),
            )
            for ki, k in enumerate(dims):
                syn[:, d, ki] = noise_similarities(X, np.hstack([Y, noise[:, :k]]))
        out["synthetic_dims"] = dims
        out["synthetic_similarity"] = syn
        if self.networks is not None:
            out.update(self._networks())
        return out

    def _networks(self) -> dict[str, np.ndarray]:
        from ._cache import run_or_load
        from .seed_pair import unpack as unpack_pairs

        assert self.networks is not None
        cfg = self.networks
        if self.layers is not None:  # a fresh network's layers: a misnamed layer costs no training
            fresh = cfg.build_model(cfg.load_data(), cfg.seeds[0], device="cpu")
            check_layers("layers", self.layers, fresh.layer_names)
        nets = unpack_pairs(run_or_load(cfg))
        layers = tuple(nets.layers[:-1]) if self.layers is None else tuple(self.layers)
        check_layers("layers", layers, nets.layers)
        pairs = nets.pairs()
        fr = np.array(self.network_fractions, dtype=np.float64)
        sims = np.zeros((len(CURVES), len(layers), len(pairs), len(fr)))
        ks = np.zeros((len(layers), len(fr)), dtype=np.int64)
        for li, layer in enumerate(layers):
            p = nets.width(layer)
            ks[li] = np.round(fr * p).astype(np.int64)
            for pi, (a, b) in enumerate(pairs):
                X, Y = nets.acts(layer, a), nets.acts(layer, b)
                rng = np.random.default_rng([self.seed, 1, li, pi])
                # one draw of noise per pair; k takes its first k directions
                Q = np.linalg.qr(rng.standard_normal((p, p)))[0]
                Z = rng.standard_normal((len(Y), p))
                for ki, k in enumerate(ks[li]):
                    Yk = add_noise_directions(Y, int(k), scale=self.noise_scale, directions=Q, noise=Z)
                    sims[:, li, pi, ki] = noise_similarities(X, Yk)
        return {
            "layers": np.array(layers),
            "pairs": np.array(pairs, dtype=np.int64).reshape(-1, 2),
            "network_fractions": fr,
            "network_dims": ks,
            "network_similarity": sims,
            "test_accuracy": np.asarray(nets.test_accuracy, dtype=np.float64),
            "networks_key": np.array(self.networks.key() if self.networks is not None else ""),
        }


# --------------------------------------------------------------------------- the pieces


def synthetic_views(
    n_samples: int,
    n_signals: int,
    width: int,
    n_noise: int,
    *,
    private_noise: float = 0.1,
    noise_scale: float = 0.5,
    rng: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two representations of the same signals, and noise neurons to append to the second.

    ``X`` mixes ``n_signals`` unit-variance signals into ``width`` neurons (random Gaussian
    mixing), ``Y`` rotates them into ``n_signals`` neurons (a random orthogonal mixing),
    each neuron with independent private noise of standard deviation ``private_noise``.
    ``noise`` holds ``n_noise`` independent neurons whose standard deviation is
    ``noise_scale`` times the root mean square standard deviation of ``Y``'s neurons.

    Parameters
    ----------
    n_samples, n_signals, width, n_noise : int
    private_noise : float, default 0.1
    noise_scale : float, default 0.5
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : numpy.ndarray of shape (n_samples, width)
    Y : numpy.ndarray of shape (n_samples, n_signals)
    noise : numpy.ndarray of shape (n_samples, n_noise)

    Examples
    --------
    >>> import numpy as np, svcca
    >>> from svcca.experiments.pwcca_noise import synthetic_views
    >>> X, Y, noise = synthetic_views(2000, 4, 32, 8, rng=0)
    >>> X.shape, Y.shape, noise.shape
    ((2000, 32), (2000, 4), (2000, 8))
    >>> bool(svcca.cca(X, Y).rho.min() > 0.95)     # the shared signals
    True
    """
    rng = check_rng(rng)
    S = rng.standard_normal((n_samples, n_signals))
    X = S @ rng.standard_normal((n_signals, width)) + private_noise * rng.standard_normal((n_samples, width))
    Y = S @ np.linalg.qr(rng.standard_normal((n_signals, n_signals)))[0]
    Y = Y + private_noise * rng.standard_normal(Y.shape)
    s = float(np.sqrt(Y.var(axis=0).mean()))
    return X, Y, noise_scale * s * rng.standard_normal((n_samples, n_noise))


def add_noise_directions(
    Y: np.ndarray,
    k: int,
    *,
    scale: float = 0.5,
    rng: Any = None,
    directions: np.ndarray | None = None,
    noise: np.ndarray | None = None,
) -> np.ndarray:
    """``Y`` with Gaussian noise along ``k`` random orthonormal directions of its neuron space.

    ``Y + s Z Q^T`` with ``Q`` the first ``k`` columns of a random orthogonal matrix, ``Z``
    standard normal of shape ``(n_samples, k)`` and ``s`` = ``scale`` times the root mean
    square standard deviation of ``Y``'s neurons. The width stays the same; every neuron
    gets a share of the noise (no neuron is special).

    Parameters
    ----------
    Y : array of shape (n_samples, n_features)
    k : int
        Noise directions, ``0 <= k <= n_features``.
    scale : float, default 0.5
    rng : None, int or numpy.random.Generator
        Draws ``Q`` and ``Z`` when they are not given.
    directions : array of shape (n_features, >= k), optional
        Orthonormal columns to use as ``Q`` (the first ``k``).
    noise : array of shape (n_samples, >= k), optional
        Standard normal draws to use as ``Z`` (the first ``k`` columns).

    Returns
    -------
    numpy.ndarray of shape (n_samples, n_features)
        A new float64 array (a copy of ``Y`` for ``k = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.pwcca_noise import add_noise_directions
    >>> Y = np.random.default_rng(0).standard_normal((1000, 6))
    >>> bool(np.array_equal(add_noise_directions(Y, 0, rng=1), Y))
    True
    >>> D = add_noise_directions(Y, 2, scale=1.0, rng=1) - Y
    >>> int(np.linalg.matrix_rank(D))       # the noise lives in 2 directions
    2
    """
    Y = np.asarray(Y, dtype=np.float64)
    p = Y.shape[1]
    k = int(check_int(k, "k", minimum=0) or 0)
    if k > p:
        raise ValueError(f"k must be at most the number of features ({p}); got k={k}")
    if k == 0:
        return Y.copy()
    gen = check_rng(rng) if directions is None or noise is None else None
    Q = np.linalg.qr(gen.standard_normal((p, p)))[0] if directions is None else np.asarray(directions)  # type: ignore[union-attr]
    Z = gen.standard_normal((len(Y), k)) if noise is None else np.asarray(noise)  # type: ignore[union-attr]
    s = float(np.sqrt(Y.var(axis=0).mean()))
    return Y + (scale * s) * Z[:, :k] @ Q[:, :k].T


def noise_similarities(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Mean CCA, PWCCA weighted by ``X`` and PWCCA weighted by ``Y`` (:data:`CURVES`).

    One decomposition: :func:`svcca.pwcca` with ``side="symmetric"`` gives both sides'
    weights.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.pwcca_noise import noise_similarities, synthetic_views
    >>> X, Y, noise = synthetic_views(2000, 4, 32, 8, rng=0)
    >>> mean, pw_x, pw_y = noise_similarities(X, np.hstack([Y, noise]))
    >>> bool(mean < 0.6 < 0.95 < pw_x)
    True
    """
    import svcca

    res = svcca.pwcca(X, Y, side="symmetric", warn=False)
    rho = np.asarray(res.rho, dtype=np.float64)
    return np.array(
        [
            float(res.mean),
            float(np.sum(np.asarray(res.x_alpha) * rho)),
            float(np.sum(np.asarray(res.y_alpha) * rho)),
        ]
    )


# --------------------------------------------------------------------------- unpacking


def _int_pairs(pairs: np.ndarray) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in pairs]


@dataclass(frozen=True, eq=False)
class PWCCANoiseData(ExperimentData):
    """Mean CCA and PWCCA as noise directions are added to one side, synthetic and in trained networks.

    Attributes
    ----------
    synthetic_dims : numpy.ndarray of shape (n_k,)
        Noise neurons appended in the synthetic draws.
    layers : tuple of str
        Compared layers of the networks (empty without networks).
    pairs : list of (int, int)
        Pairs of seeds; the second network of each pair gets the noise (none without networks).
    network_fractions : numpy.ndarray of shape (n_k,)
        Noise directions as a fraction of each layer's width (none without networks).
    """

    config_class = PWCCANoiseConfig

    synthetic_dims: np.ndarray = field(metadata=stored())
    layers: tuple[str, ...] = field(default=(), metadata=stored())
    pairs: list[tuple[int, int]] = field(default_factory=list, metadata=stored(convert=_int_pairs))
    network_fractions: np.ndarray = field(default_factory=lambda: np.zeros(0), metadata=stored())

    def _curve(self, curve: str) -> int:
        if curve not in CURVES:
            raise KeyError(f"unknown curve {curve!r}; curves: {CURVES}")
        return CURVES.index(curve)

    def synthetic(self, curve: str) -> np.ndarray:
        """Similarity in every synthetic draw at every number of noise neurons, ``(n_resamples, n_k)``."""
        return np.asarray(self.arrays["synthetic_similarity"][self._curve(curve)])

    def network(self, curve: str, layer: str | None = None) -> np.ndarray:
        """Similarity of every pair of networks at every amount of noise, ``(n_pairs, n_k)``.

        ``layer`` defaults to the middle compared layer.
        """
        if not self.layers:
            raise KeyError("this result has no networks (networks=None)")
        layer = self.layers[len(self.layers) // 2] if layer is None else layer
        if layer not in self.layers:
            raise KeyError(f"layer {layer!r} was not compared; layers: {self.layers}")
        return np.asarray(self.arrays["network_similarity"][self._curve(curve), self.layers.index(layer)])

    def network_dims(self, layer: str) -> np.ndarray:
        """Noise directions at each point of ``layer``'s curve."""
        check_option(layer, "layer", self.layers)
        return np.asarray(self.arrays["network_dims"][self.layers.index(layer)])

    def loss(self, curve: str, layer: str | None = None) -> np.ndarray:
        """How much similarity the noise costs: noise-free minus noisy value, ``(n_pairs, n_k)``."""
        s = self.network(curve, layer)
        return s[:, :1] - s

    def synthetic_loss(self, curve: str) -> np.ndarray:
        """Synthetic counterpart of :meth:`loss`, ``(n_resamples, n_k)``."""
        s = self.synthetic(curve)
        return s[:, :1] - s

    def claims(self) -> list[Any]:
        """State the claims chapter 6 makes (a list of :class:`~svcca.experiments.Claim`).

        Names are ``"pwcca_noise.synthetic.*"`` and, with networks, ``"pwcca_noise.network.*"``;
        the bounds are the ``default`` preset's.
        """
        from ._claims import Claim, claim_details

        p = "pwcca_noise."
        k_max = int(self.synthetic_dims[-1])
        mean_loss = self.synthetic_loss("cca")[:, -1]
        k_some = self.synthetic_dims > 0
        pw_ratio = (self.synthetic_loss("pwcca")[:, k_some] / self.synthetic_loss("cca")[:, k_some]).max(
            axis=1
        )
        pw_low = self.synthetic("pwcca").min(axis=1)
        noisy_loss = self.synthetic_loss("pwcca_noisy")[:, -1]
        draws = [f"draw {i}" for i in range(len(mean_loss))]
        claims = [
            Claim(
                p + "synthetic.mean_cca_falls",
                f"with {k_max} noise neurons mean CCA falls by more than 0.5 (every draw; smallest fall)",
                float(mean_loss.min()),
                ">",
                0.5,
                claim_details(draws, mean_loss),
            ),
            Claim(
                p + "synthetic.pwcca_loses_little",
                "PWCCA weighted by the untouched representation loses less than a fifth of what mean "
                "CCA loses, at every number of noise neurons (every draw; largest ratio)",
                float(pw_ratio.max()),
                "<",
                0.2,
                claim_details(draws, pw_ratio),
            ),
            Claim(
                p + "synthetic.pwcca_stays_high",
                "PWCCA weighted by the untouched representation stays above 0.85 at every number of "
                "noise neurons (every draw; lowest value)",
                float(pw_low.min()),
                ">",
                0.85,
                claim_details(draws, pw_low),
            ),
            Claim(
                p + "synthetic.noisy_weights_fall",
                f"weighted by the noisy representation, PWCCA falls by more than 0.3 with {k_max} "
                "noise neurons (every draw; smallest fall)",
                float(noisy_loss.min()),
                ">",
                0.3,
                claim_details(draws, noisy_loss),
            ),
        ]
        if not self.layers:
            return claims
        fr = self.network_fractions
        many = fr >= 0.25
        ratio = {
            L: float((self.loss("pwcca", L)[:, many] / self.loss("cca", L)[:, many]).max())
            for L in self.layers
        }
        excess = {
            L: float((self.loss("pwcca_noisy", L)[:, 1:] - self.loss("cca", L)[:, 1:]).min())
            for L in self.layers
        }
        lead_all = {
            L: float((self.loss("cca", L)[:, -1] - self.loss("pwcca", L)[:, -1]).mean()) for L in self.layers
        }
        return claims + [
            Claim(
                p + "network.pwcca_loses_less",
                "with a quarter or more of a layer's directions noisy, PWCCA weighted by the untouched "
                "network loses less than 0.8 times what mean CCA loses, in every layer and pair of "
                "seeds (largest ratio)",
                max(ratio.values()),
                "<",
                0.8,
                ratio,
            ),
            Claim(
                p + "network.pwcca_lead_all_noisy",
                "with every direction noisy, PWCCA weighted by the untouched network loses at least "
                "0.03 less than mean CCA (mean over pairs; smallest over layers)",
                min(lead_all.values()),
                ">",
                0.03,
                lead_all,
            ),
            Claim(
                p + "network.noisy_weights_lose_more",
                "weighted by the noisy network, PWCCA loses more than mean CCA at every amount of "
                "noise, in every layer and pair (smallest excess)",
                min(excess.values()),
                ">",
                0.0,
                excess,
            ),
        ]


#: Named access to the arrays of a PWCCA-noise run: :meth:`PWCCANoiseData.from_result`.
unpack = PWCCANoiseData.from_result
