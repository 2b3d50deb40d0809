"""The train-or-load cache: atomic entries, stale and corrupted entries rebuilt."""

from __future__ import annotations

import dataclasses
import json
import logging

import numpy as np
import pytest

from svcca.experiments import ExperimentConfig, current_scale, run_or_load


@dataclasses.dataclass(frozen=True)
class CountingConfig(ExperimentConfig):
    """A toy experiment that records how often it ran."""

    experiment = "counting"
    seed: int = 0
    n: int = 4
    calls: list = dataclasses.field(default_factory=list, compare=False, repr=False, hash=False)

    def run(self, progress: bool = False) -> dict[str, np.ndarray]:
        self.calls.append(1)
        return {"values": np.arange(self.n) * 1.5, "seed": np.array(self.seed)}

    @classmethod
    def preset_tiny(cls) -> CountingConfig:
        return cls(n=2)


def _key_files(tmp_path, config):
    key = config.key()[:20]
    return tmp_path / f"counting-{key}.npz", tmp_path / f"counting-{key}.json"


def test_runs_once_then_loads(tmp_path):
    cfg = dataclasses.replace(CountingConfig(), calls=[])
    first = run_or_load(cfg, tmp_path)
    second = run_or_load(cfg, tmp_path)
    assert not first.from_cache and second.from_cache
    assert len(cfg.calls) == 1
    np.testing.assert_array_equal(second["values"], np.arange(4) * 1.5)
    manifest = second.manifest
    assert manifest["config"]["n"] == 4 and manifest["seed"] == 0
    assert set(manifest["versions"]) >= {"svcca", "numpy", "python"}


def test_config_change_gives_a_new_entry(tmp_path):
    run_or_load(CountingConfig(n=3), tmp_path)
    res = run_or_load(CountingConfig(n=5), tmp_path)
    assert not res.from_cache and res["values"].shape == (5,)


@pytest.mark.parametrize("damage", ["corrupt_arrays", "drop_manifest", "edit_config", "truncate"])
def test_damaged_entry_is_rebuilt_not_used(tmp_path, damage, caplog):
    cfg = dataclasses.replace(CountingConfig(), calls=[])
    run_or_load(cfg, tmp_path)
    npz, man = _key_files(tmp_path, cfg)
    if damage == "corrupt_arrays":
        data = bytearray(npz.read_bytes())
        data[-10] ^= 0xFF
        npz.write_bytes(bytes(data))
    elif damage == "drop_manifest":
        man.unlink()
    elif damage == "edit_config":
        m = json.loads(man.read_text())
        m["config"]["n"] = 99
        man.write_text(json.dumps(m))
    else:
        npz.write_bytes(npz.read_bytes()[:20])
    with caplog.at_level(logging.WARNING, logger="svcca.experiments"):
        res = run_or_load(cfg, tmp_path)
    assert not res.from_cache and len(cfg.calls) == 2
    assert "rebuilding" in caplog.text
    np.testing.assert_array_equal(res["values"], np.arange(4) * 1.5)
    assert run_or_load(cfg, tmp_path).from_cache


def test_no_temp_files_left_behind(tmp_path):
    run_or_load(CountingConfig(), tmp_path)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".npz"]


def test_failed_run_writes_nothing(tmp_path):
    @dataclasses.dataclass(frozen=True)
    class Failing(ExperimentConfig):
        experiment = "failing"

        def run(self, progress: bool = False):
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        run_or_load(Failing(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_scale_presets_and_env(monkeypatch):
    assert CountingConfig.for_scale("tiny").n == 2
    assert CountingConfig.for_scale("default").n == 4
    assert CountingConfig.for_scale("tiny", n=7).n == 7
    monkeypatch.setenv("SVCCA_SCALE", "tiny")
    assert current_scale() == "tiny" and CountingConfig.for_scale().n == 2
    monkeypatch.setenv("SVCCA_SCALE", "huge")
    with pytest.raises(ValueError, match="SVCCA_SCALE must be one of tiny, default, full; got 'huge'"):
        current_scale()


def test_bad_config_and_bad_result(tmp_path):
    with pytest.raises(TypeError, match="config must be an ExperimentConfig"):
        run_or_load({"n": 3}, tmp_path)

    @dataclasses.dataclass(frozen=True)
    class ReturnsList(ExperimentConfig):
        experiment = "returns_list"

        def run(self, progress: bool = False):
            return [1, 2]

    with pytest.raises(TypeError, match="must return a dict of arrays"):
        run_or_load(ReturnsList(), tmp_path)
