"""Root pytest configuration: where torch is absent, its side is skipped, not failed.

The numerical core needs only numpy and scipy (``pip install svcca``); the networks, the
experiments and the figures drawn from them need torch (``pip install 'svcca[torch]'``).
Without torch, the doctests of ``svcca.nn`` and ``svcca.experiments`` are not collected,
and tests marked ``torch`` or doctests that import torch or run an experiment are skipped.
"""

import importlib.util
import re

import pytest

HAS_TORCH = importlib.util.find_spec("torch") is not None

collect_ignore_glob = [] if HAS_TORCH else ["svcca/nn/*", "svcca/experiments/*"]

_NEEDS_TORCH = re.compile(r"\bimport torch\b|\btorch\.|svcca\.experiments\b")


def _doctest_needs_torch(item: pytest.Item) -> bool:
    dtest = getattr(item, "dtest", None)
    return dtest is not None and any(_NEEDS_TORCH.search(ex.source) for ex in dtest.examples)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip what needs torch when it is not installed."""
    if HAS_TORCH:
        return
    skip = pytest.mark.skip(reason="needs torch: pip install 'svcca[torch]'")
    for item in items:
        if item.get_closest_marker("torch") is not None or _doctest_needs_torch(item):
            item.add_marker(skip)
