"""Root pytest configuration: doctests of the torch side are skipped where torch is absent."""

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("torch") else ["svcca/nn/*", "svcca/experiments/*"]
