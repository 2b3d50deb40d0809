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


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_cache_dir_is_refused_not_read_as_the_current_folder(tmp_path, monkeypatch, empty):
    # --cache-dir "" wrote entries into whatever folder the command ran in
    monkeypatch.chdir(tmp_path)
    cfg = dataclasses.replace(CountingConfig(), calls=[])
    with pytest.raises(
        ValueError, match=r"cache_dir is empty \('\s*'\); pass a folder, or None for the default"
    ):
        run_or_load(cfg, empty)
    assert not cfg.calls and not list(tmp_path.iterdir())


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


# --------------------------------------------------------------------------- issue 10: items 7, 8, temp files


def _edited(**fields):
    def edit(manifest: bytes) -> bytes:
        return json.dumps({**json.loads(manifest), **fields}).encode()

    return edit


@pytest.mark.parametrize(
    "damage",
    [
        lambda m: b"\xff\xfe not utf-8",
        lambda m: b"[]",
        lambda m: b"null",
        _edited(versions=[]),
        _edited(versions=None),
        _edited(sha256=12),
        _edited(config=["n", 4]),
    ],
    ids=["invalid_utf8", "list", "null", "versions_list", "versions_null", "sha256_int", "config_list"],
)
def test_a_corrupted_manifest_is_rebuilt_never_a_crash(tmp_path, damage, caplog):
    cfg = dataclasses.replace(CountingConfig(), calls=[])
    run_or_load(cfg, tmp_path)
    _, man = _key_files(tmp_path, cfg)
    man.write_bytes(damage(man.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="svcca.experiments"):
        res = run_or_load(cfg, tmp_path)
    assert not res.from_cache and len(cfg.calls) == 2 and "rebuilding" in caplog.text
    assert run_or_load(cfg, tmp_path).from_cache


@pytest.mark.parametrize("which", ["npz", "json"])
def test_an_entry_path_that_is_a_folder_is_rebuilt(tmp_path, which):
    cfg = dataclasses.replace(CountingConfig(), calls=[])
    npz, man = _key_files(tmp_path, cfg)
    (npz if which == "npz" else man).mkdir()
    res = run_or_load(cfg, tmp_path)
    assert not res.from_cache and res.path == npz
    assert run_or_load(cfg, tmp_path).from_cache and len(cfg.calls) == 1


def test_an_unwritable_cache_warns_before_the_run_and_returns_the_result(tmp_path):
    from svcca.experiments import CacheWriteWarning

    (tmp_path / "a_file").write_text("not a folder")
    events = []

    @dataclasses.dataclass(frozen=True)
    class Recording(CountingConfig):
        def run(self, progress: bool = False):
            events.append("run")
            return super().run(progress)

    cfg = Recording(calls=[])
    with pytest.warns(
        CacheWriteWarning, match="not writable.*will run but its result will not be kept"
    ) as rec:
        res = run_or_load(cfg, tmp_path / "a_file" / "cache")
    assert len(rec) == 1 and events == ["run"]  # warned once, before the run
    assert res.path is None and not res.from_cache
    np.testing.assert_array_equal(res["values"], np.arange(4) * 1.5)


def test_a_failed_write_after_the_run_returns_the_result_and_warns(tmp_path, monkeypatch):
    import errno

    from svcca.experiments import CacheWriteWarning, _cache

    def disk_full(path, arrays):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(_cache, "_atomic_savez", disk_full)
    cfg = dataclasses.replace(CountingConfig(), calls=[])
    with pytest.warns(CacheWriteWarning, match="No space left on device.*returned but not kept"):
        res = run_or_load(cfg, tmp_path)
    assert res.path is None and res["values"].shape == (4,)
    assert list(tmp_path.iterdir()) == []


def test_stale_temp_files_are_removed_and_fresh_or_foreign_ones_kept(tmp_path):
    import os

    stale = tmp_path / ".svcca-tmp-counting-x.npz.0a1b2c.tmp"
    fresh = tmp_path / ".svcca-tmp-counting-y.npz.3d4e5f.tmp"
    foreign = tmp_path / "notes.tmp"
    for p in (stale, fresh, foreign):
        p.write_bytes(b"half written")
    os.utime(stale, (0, 0))
    os.utime(foreign, (0, 0))
    run_or_load(CountingConfig(), tmp_path)
    assert not stale.exists() and fresh.exists() and foreign.exists()


def test_cache_files_follow_the_umask(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        run_or_load(CountingConfig(), tmp_path)
    finally:
        os.umask(old)
    modes = {p.suffix: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {".npz": 0o644, ".json": 0o644}


@pytest.mark.torch
@pytest.mark.parametrize("dataset", ["imagenet", "ptb unverified", "cifar10 unverified"])
def test_a_changed_data_folder_recomputes_instead_of_loading(tmp_path, dataset, caplog):
    # data that is not checksum-verified (an ImageNet subset, a corpus, CIFAR with
    # verify_data=False) can change under the same config: the entry remembers what it read
    from svcca.experiments import TrainingConfig

    name = dataset.split()[0]

    @dataclasses.dataclass(frozen=True)
    class Reads(TrainingConfig):
        experiment = "reads"
        datasets = ("digits", "cifar10", "imagenet", "ptb")
        seed: int = 0
        calls: list = dataclasses.field(default_factory=list, compare=False, repr=False, hash=False)

        def _run(self, progress: bool = False) -> dict[str, np.ndarray]:
            self.calls.append(1)
            return {"values": np.arange(3.0)}

    root = tmp_path / "data"
    folder = {"imagenet": root, "ptb": root / "ptb", "cifar10": root / "cifar-10-batches-py"}[name]
    (folder / "n03345487").mkdir(parents=True)
    (folder / "n03345487" / "img0.JPEG").write_bytes(b"0")
    cfg = Reads(dataset=name, data_root=str(root), verify_data=not dataset.endswith("unverified"), calls=[])
    cache = tmp_path / "cache"
    assert not run_or_load(cfg, cache).from_cache
    assert run_or_load(cfg, cache).from_cache  # unchanged: loaded
    (folder / "n03345487" / "img1.JPEG").write_bytes(b"1")  # the user adds an image
    with caplog.at_level(logging.WARNING, logger="svcca.experiments"):
        again = run_or_load(cfg, cache)
    assert not again.from_cache and len(cfg.calls) == 2
    assert "the data folder changed" in caplog.text
    assert run_or_load(cfg, cache).from_cache
    # a config whose data folder is absent (a copied cache, or a mistyped data_root) loads the
    # entry it keys to, but says so: the entry cannot be checked against the data
    from svcca.experiments import UncheckedCacheWarning

    typo = dataclasses.replace(cfg, data_root=str(tmp_path / "no_such_folder"))
    with pytest.warns(UncheckedCacheWarning, match="no_such_folder.*is absent here"):
        assert run_or_load(typo, cache).from_cache
    # the digits (shipped with scikit-learn) and verified CIFAR-10 have no fingerprint
    assert Reads().data_fingerprint() is None
    assert Reads(dataset="cifar10", data_root=str(root)).data_fingerprint() is None
    assert Reads(dataset="ptb", data_root=str(root)).data_fingerprint() is None


@pytest.mark.torch
def test_a_cache_copied_without_its_data_folder_still_loads(tmp_path):
    # computed on a GPU machine, the figures drawn on a laptop without the ImageNet subset
    from svcca.experiments import TrainingConfig

    @dataclasses.dataclass(frozen=True)
    class Reads(TrainingConfig):
        experiment = "reads_elsewhere"
        datasets = ("digits", "imagenet")
        seed: int = 0

        def _run(self, progress: bool = False) -> dict[str, np.ndarray]:
            return {"values": np.arange(3.0)}

    folder = tmp_path / "subset"
    (folder / "n03345487").mkdir(parents=True)
    (folder / "n03345487" / "img0.JPEG").write_bytes(b"0")
    cfg = Reads(dataset="imagenet", data_root=str(folder))
    assert not run_or_load(cfg, tmp_path / "cache").from_cache
    import shutil

    from svcca.experiments import UncheckedCacheWarning

    shutil.rmtree(folder)  # the data stayed behind: loaded, and said to be unchecked
    with pytest.warns(UncheckedCacheWarning, match="subset.*is absent here"):
        assert run_or_load(cfg, tmp_path / "cache").from_cache


@dataclasses.dataclass(frozen=True)
class NamedArraysConfig(ExperimentConfig):
    """A toy experiment whose arrays have the names it is given."""

    experiment = "named"
    names: tuple = ("values",)

    def run(self, progress: bool = False) -> dict[str, np.ndarray]:
        return {name: np.arange(3.0) + i for i, name in enumerate(self.names)}


def test_arrays_named_like_savez_arguments_are_kept(tmp_path):
    # np.savez(fh, **arrays) took "allow_pickle" for its own argument (the cached result
    # then lacked that array) and raised on "file" after the whole run
    cfg = NamedArraysConfig(names=("file", "allow_pickle", "arr_0", "values"))
    first = run_or_load(cfg, tmp_path)
    again = run_or_load(cfg, tmp_path)
    assert again.from_cache
    assert sorted(again.arrays) == sorted(first.arrays) == sorted(cfg.names)
    for name in cfg.names:
        np.testing.assert_array_equal(again[name], first[name])


def test_the_checked_file_is_the_loaded_file(tmp_path, monkeypatch):
    """Another process renaming its entry over this one between the checksum and the load
    must not slip its arrays in unchecked."""
    from svcca.experiments import _cache

    cfg = NamedArraysConfig()
    run_or_load(cfg, tmp_path)
    npz = next(tmp_path.glob("named-*.npz"))
    other = tmp_path / "other"
    run_or_load(NamedArraysConfig(names=("intruder",)), other)
    intruder = next(other.glob("named-*.npz"))
    real_digest = _cache.file_digest

    def digest_then_swap(target):
        out = real_digest(target)
        intruder.replace(npz)  # a concurrent writer's rename
        return out

    monkeypatch.setattr(_cache, "file_digest", digest_then_swap)
    res = run_or_load(cfg, tmp_path)
    assert res.from_cache and sorted(res.arrays) == ["values"]


@dataclasses.dataclass(frozen=True)
class AnyFieldConfig(ExperimentConfig):
    """A toy experiment with one field of any value."""

    experiment = "anyfield"
    value: object = 0.5

    def run(self, progress: bool = False) -> dict[str, np.ndarray]:
        return {"values": np.arange(3.0)}


def test_config_values_that_are_equal_give_one_key_and_load(tmp_path):
    # a numpy bool is a bool (it raised "not JSON-serialisable"); numpy ints are ints
    assert AnyFieldConfig(value=np.bool_(True)).key() == AnyFieldConfig(value=True).key()
    assert AnyFieldConfig(value=np.int64(3)).key() == AnyFieldConfig(value=3).key()
    assert AnyFieldConfig(value={"a": 1, "b": 2}).key() == AnyFieldConfig(value={"b": 2, "a": 1}).key()
    # a NaN setting never equals itself: its entry was rebuilt on every call
    cfg = AnyFieldConfig(value=float("nan"))
    run_or_load(cfg, tmp_path)
    assert run_or_load(cfg, tmp_path).from_cache


# --------------------------------------------------------------------------- an entry by its file


@pytest.fixture
def seed_pair_entry(tmp_path):
    pytest.importorskip("torch")
    from svcca.experiments.seed_pair import SeedPairConfig

    cfg = dataclasses.replace(SeedPairConfig.for_scale("tiny"), epochs=1, n_eval=150)
    return cfg, run_or_load(cfg, tmp_path)


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_load_result_reads_an_entry_with_its_own_config(seed_pair_entry, suffix):
    from svcca.experiments import load_result

    cfg, entry = seed_pair_entry
    loaded = load_result(entry.path.with_suffix(suffix))
    assert loaded.config == cfg and loaded.config != type(cfg)()  # not the experiment's default
    assert loaded.from_cache and loaded.path == entry.path
    assert sorted(loaded.arrays) == sorted(entry.arrays)
    for k in entry.arrays:
        np.testing.assert_array_equal(loaded.arrays[k], entry.arrays[k])
    assert loaded.data.config == cfg


def test_np_load_of_an_entry_is_read_with_the_entrys_config(seed_pair_entry):
    # a bare dict of np.load(entry) was read with the default config: its data object then
    # rebuilt 11,673 fit images where the run used 1,800
    from svcca.experiments.seed_pair import SeedPairData

    cfg, entry = seed_pair_entry
    with np.load(entry.path) as raw:
        arrays = {k: raw[k] for k in raw.files}
    data = SeedPairData.from_result(arrays)
    assert data.config == cfg
    assert "__config__" not in data.arrays and "__config__" not in entry.arrays
    assert SeedPairData.from_result(arrays, type(cfg)()).config == type(cfg)()  # an explicit one wins


def test_load_result_refuses_what_it_cannot_read_right(seed_pair_entry, tmp_path):
    from svcca.experiments import load_result

    cfg, entry = seed_pair_entry
    man = entry.path.with_suffix(".json")
    with pytest.raises(ValueError, match=r"\.npz file with its \.json"):
        load_result(entry.path.with_suffix(".txt"))
    with pytest.raises(FileNotFoundError, match="no cache entry file"):
        load_result(tmp_path / "absent.npz")
    manifest = json.loads(man.read_text())
    for change, match in (
        ({"schema_version": manifest["schema_version"] + 1}, "schema version"),
        ({"experiment": "nonesuch"}, "not one of"),
        (
            {"config": {**manifest["config"], "no_such_field": 1}},
            "differs from the one stored with its arrays",
        ),
        ({"sha256": "0" * 64}, "checksum mismatch"),
    ):
        man.write_text(json.dumps({**manifest, **change}))
        with pytest.raises(ValueError, match=match):
            load_result(entry.path)
    man.write_text("{")
    with pytest.raises(ValueError, match="manifest unreadable"):
        load_result(entry.path)


def test_config_from_dict_round_trips_every_book_config():
    pytest.importorskip("torch")
    from svcca.experiments import book_config, book_experiments, config_from_dict, config_to_dict

    for name in book_experiments():
        for scale in ("tiny", "default", "full"):
            cfg = book_config(name, scale=scale)
            back = config_from_dict(type(cfg), config_to_dict(cfg))
            assert config_to_dict(back) == config_to_dict(cfg) and back.key() == cfg.key(), (name, scale)


def test_a_run_may_not_return_the_name_the_cache_keeps_for_its_config(tmp_path):
    @dataclasses.dataclass(frozen=True)
    class Greedy(ExperimentConfig):
        experiment = "greedy"

        def run(self, progress: bool = False) -> dict[str, np.ndarray]:
            return {"__config__": np.zeros(1)}

    with pytest.raises(ValueError, match="__config__"):
        run_or_load(Greedy(), tmp_path)


def test_load_result_refuses_a_manifest_whose_config_differs_from_the_arrays(seed_pair_entry):
    # an edited manifest's seeds were returned with arrays computed for other seeds
    from svcca.experiments import load_result
    from svcca.experiments.seed_pair import SeedPairData

    cfg, entry = seed_pair_entry
    man = entry.path.with_suffix(".json")
    manifest = json.loads(man.read_text())
    man.write_text(json.dumps({**manifest, "config": {**manifest["config"], "seeds": [5, 6]}}))
    with pytest.raises(ValueError, match=r"config differs from the one stored with its arrays"):
        load_result(entry.path)
    man.write_text(json.dumps({**manifest, "config": {**manifest["config"], "seeds": "01"}}))
    with pytest.raises(ValueError, match="config"):  # a damaged value: a ValueError, as documented
        load_result(entry.path)
    with np.load(entry.path) as raw:
        arrays = {k: raw[k] for k in raw.files}
    arrays["__config__"] = np.array("{not json")
    with pytest.raises(ValueError, match=r"cannot be read as a SeedPairConfig .*pass config= explicitly"):
        SeedPairData.from_result(arrays)


def test_loading_an_entry_of_the_digits_does_not_import_torch(seed_pair_entry):
    """A chapter that only reads a cached result paid 2.5-3.5 s for importing torch (the
    version check, the data folder and the config's architecture check imported it)."""
    import subprocess
    import sys
    import textwrap

    cfg, entry = seed_pair_entry
    code = textwrap.dedent(
        f"""
        import dataclasses, sys
        from svcca.experiments import run_or_load
        from svcca.experiments.seed_pair import SeedPairConfig, unpack
        cfg = dataclasses.replace(SeedPairConfig.for_scale("tiny"), epochs=1, n_eval=150)
        data = unpack(run_or_load(cfg, {str(entry.path.parent)!r}))
        assert data.seeds and cfg.arch, cfg
        assert "torch" not in sys.modules, "torch was imported"
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
