"""Seeded fixtures with known truth, shared by the test suite.

Fixtures are named after their truth (``independent_views``: no shared signal;
``shared_latent_views``: ``k`` shared directions, so exactly ``k`` correlations near 1).
Tolerances are named by dtype.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg

# named tolerances: float64 results agree with an independent float64 computation to
# ~1e-10; float32 computations to ~1e-4
TOL64 = 1e-10
TOL32 = 1e-4

REFERENCE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference_activations"


def principal_cosines(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Independent oracle: canonical correlations as the cosines of the principal angles
    between the centred column spaces (scipy.linalg.subspace_angles), descending."""
    X = np.asarray(X)
    Y = np.asarray(Y)
    X = X - X.mean(axis=0)
    Y = Y - Y.mean(axis=0)
    angles = scipy.linalg.subspace_angles(X, Y)
    return np.sort(np.cos(angles))[::-1]


def pwcca_alpha_oracle(h: np.ndarray, Xc: np.ndarray, rho: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """PWCCA weights of the canonical variates ``h`` (columns, any norm) against the centred
    neurons ``Xc``, a tie's basis (a run of ``rho`` within ``tol``) rotated to the one whose
    projections are orthogonal: the eigenvectors of ``P^T P`` here, not an SVD of ``P``."""
    P = Xc.T @ (h / np.linalg.norm(h, axis=0))
    k, start = len(rho), 0
    for i in range(1, k + 1):
        if i == k or abs(rho[i - 1] - rho[i]) > tol:
            if i - start > 1:
                # largest first, as an SVD orders them
                R = np.linalg.eigh(P[:, start:i].T @ P[:, start:i])[1][:, ::-1]
                P[:, start:i] = P[:, start:i] @ R
            start = i
    alpha = np.abs(P).sum(0)
    return alpha / alpha.sum()


def fourier_resample(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Independent oracle for Fourier resizing of conv activations ``(n, h, w, c)``: scipy's
    band-limited resampling along each spatial axis."""
    import scipy.signal

    return scipy.signal.resample(scipy.signal.resample(x, size[0], axis=1), size[1], axis=2)


def make_shared_latent_views(
    rng: np.random.Generator, n: int, p: int, q: int, k: int, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """X (n x p) and Y (n x q) that share ``k`` latent directions, the rest independent.

    Latent ``j`` carries independent noise of sd ``noise * (j + 1)`` on each side, so its
    population correlation is ``1 / (1 + (noise * (j + 1))^2)`` (0.99, 0.96, 0.92 for the
    default): distinct, so the canonical directions are well defined. The other
    correlations are sampling noise, near 0.
    """
    latent = rng.standard_normal((n, k))
    sd = noise * np.arange(1, k + 1)
    X = np.hstack([latent + sd * rng.standard_normal((n, k)), rng.standard_normal((n, p - k))])
    Y = np.hstack([latent + sd * rng.standard_normal((n, k)), rng.standard_normal((n, q - k))])
    X = X @ rng.standard_normal((p, p)) + rng.standard_normal(p)  # mix and offset the neurons
    Y = Y @ rng.standard_normal((q, q)) + rng.standard_normal(q)
    return X, Y


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture
def independent_views(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two independent Gaussian layers, 400 samples x (12, 9) features: no shared signal."""
    return rng.standard_normal((400, 12)), rng.standard_normal((400, 9))


@pytest.fixture
def shared_latent_views(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """600 samples x (10, 8) features sharing exactly 3 latent directions."""
    return make_shared_latent_views(rng, 600, 10, 8, 3)


@pytest.fixture
def rank_deficient_ill_conditioned(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """X of condition number 1e8 on its 20-dim span plus 2 exactly dependent columns;
    Y shares 4 directions with X: classic covariance -> pinv -> eigh pipelines fail here."""
    n, p = 400, 20
    Q = np.linalg.qr(rng.standard_normal((p, p)))[0]
    X = rng.standard_normal((n, p)) @ np.diag(np.logspace(0, -8, p)) @ Q
    X = np.hstack([X, X[:, :3] @ rng.standard_normal((3, 2))])
    Y = np.hstack([X[:, :6] @ rng.standard_normal((6, 4)), rng.standard_normal((n, 5))])
    return X, Y


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The shared real-network activations; tests using it skip when it is absent."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference activations not found at {REFERENCE_DIR}")
    return REFERENCE_DIR


# --------------------------------------------------------------------------- experiment tests


@pytest.fixture(scope="module")
def tiny_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One experiment cache per test module, so each tiny run happens once per module."""
    module = request.module.__name__.rpartition(".")[2].removeprefix("test_")
    return tmp_path_factory.mktemp(f"{module}_cache")


def write_fake_cifar10(root: Path, per_batch: int = 4) -> dict[str, np.ndarray]:
    """CIFAR-10's on-disk format under ``root``: pickled dicts of uint8 rows (3072 = 3 x 32 x 32,
    channel-major), five training batches, a test batch and the label names.

    Returns the rows and labels written, by batch name (labels as ``<name>_labels``).
    """
    import pickle

    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    written = {}
    for name in [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]:
        rows = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=per_batch)]
        with open(folder / name, "wb") as fh:
            pickle.dump({"batch_label": name.encode(), "labels": labels, "data": rows, "filenames": []}, fh)
        written[name] = rows
        written[name + "_labels"] = np.array(labels)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": names, "num_cases_per_batch": per_batch, "num_vis": 3072}, fh)
    return written


def assert_figures_render(names: list[str], out: Path, cache_dir: Path) -> None:
    """``svcca figures`` knows every name and draws each at the tiny scale into a non-trivial PNG."""
    from svcca import figures

    assert set(names) <= set(figures.names())
    written = figures.save_figures(names, out, fmt="png", scale="tiny", cache_dir=cache_dir)
    assert [p.name for p in written] == [f"{name}.png" for name in names]
    assert all(p.stat().st_size > 1000 for p in written)


@pytest.fixture(scope="module")
def tiny_result(request: pytest.FixtureRequest, tiny_cache: Path):
    """The test module's tiny preset (its ``TINY`` config), run or loaded once per module."""
    from svcca.experiments import run_or_load

    return run_or_load(request.module.TINY, tiny_cache)


class PickleTrap:
    """An object whose unpickling creates the file ``path``: a loader that never unpickles
    leaves no file behind."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def raises_exact(message: str, exc: type[Exception] = ValueError):
    """``pytest.raises`` for an error whose message contains ``message`` literally (no regex)."""
    return pytest.raises(exc, match=re.escape(message))


def offset_feature_layers(offset: float, spread: float, seed: int = 1) -> tuple[np.ndarray, ...]:
    """float32 layers whose X takes the SVD path (a duplicated neuron) and holds one nearly
    constant neuron, ``offset +- spread``, beside 58 neurons with weak directions."""
    rng = np.random.default_rng(seed)
    n, p = 3000, 60
    latent = rng.standard_normal((n, 20))
    X = latent @ rng.standard_normal((20, p)) + 0.05 * rng.standard_normal((n, p))
    X[:, 1] = X[:, 0]
    X[:, 2] = offset + spread * rng.standard_normal(n)
    Y = latent @ rng.standard_normal((20, 40)) + 0.5 * rng.standard_normal((n, 40))
    return X.astype(np.float32), Y.astype(np.float32)
