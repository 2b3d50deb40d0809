"""The experiments' toolbox: config bases, their checks, the shared steps, typed result data."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from svcca.experiments import (  # noqa: E402
    ConvNetFields,
    ExperimentConfig,
    ExperimentData,
    ExperimentResult,
    NetworkFields,
    book_config,
    book_experiments,
    run_or_load,
    stored,
)
from svcca.experiments._toolbox import (  # noqa: E402
    SeedNetworksData,
    ThreadLimitedConfig,
    TrainingConfig,
    network_key,
)
from svcca.experiments.conv_pair import ConvPairConfig, ConvPairData  # noqa: E402
from svcca.experiments.generalization import GeneralizationConfig  # noqa: E402
from svcca.experiments.seed_pair import SeedPairConfig  # noqa: E402
from svcca.experiments.width import WidthConfig  # noqa: E402
from svcca.nn.models import MLP, ConvNet  # noqa: E402

pytestmark = pytest.mark.torch


# --------------------------------------------------------------------------- cache keys

#: Keys of book configs computed by the code before the toolbox and the shared config bases
#: existed (each experiment declared every field itself): moving fields to a base must not
#: change them. By scale, then experiment.
KEYS_BEFORE = {
    "tiny": {
        # seed_pair: the neuron baselines joined its default methods since (issue 12)
        "seed_pair": "49343dbd6b34f48ff768b8680bebdbc5512f12a7c83df5fef0294a5d39e39de6",
        "conv_pair": "56ed4f82201996bb749279d2dff45176d1d59b3fb4f2260da168a020285949a9",
        "generalization": "d1f35fa8f5687b922ab9982f5ad6c5b30d09214927ff51e2da1091699c858bce",
        # width: the row-shuffled baseline and the all-images check joined it since (issue 12),
        # then control_measures (schema 4: the controls only for the measures chapter 6 reads)
        "width": "942fa3e4a5eb3a2842094c88dcddca11044ac8d2b3b7da794f15e786bb1f9002",
        "open_questions": "e52d1baf7ccdb0461eafb35366d197f214ac4bfc7056c3e8723d7aa648c59df6",
    },
    "default": {
        "learning_dynamics.conv": "9d6230b5adaba06852f32de8e4b35746790f3f02ef6f410ffa8b3b0581cd8ca4",
        "learning_dynamics.resnet": "19524f8282268a6aabee6e33f6026ed947b9fe5a0f2300fd27489c491dc5e5d4",
        # the LSTM's default changed since (2 x 64, Adam 1e-2, 24 epochs): the new preset's key
        "learning_dynamics.lstm": "9213a54db398ac33dab1727d0d99d6ae41d30916674d9f98f165333040e11636",
        "learning_dynamics.mlp": "47367de07b17abce67378f4fd9476a7afb5da762e68f26f2d61f341efbf5dd37",
        # freeze_training: the controls' fields joined it since (issue 12)
        "freeze_training": "2197abbeac68f18cd6caf93c5f7b5d6c1cb27318c2345161aec67804617a8b7e",
        # schema 3 (issue 12): the soft confusion and the class-mean image similarity are stored
        "class_sensitivity": "1f6fd72f8ce04edd27a46c631ca0e78ada0b73f39f87996633827f58bd3635fc",
        # layer_identification: the pooled all-images check joined it since (issue 12)
        "layer_identification": "4f8d69aeabc155da31e1c053d783231bc2c6d0d2ed812e812b3a7c2d608bba01",
    },
}


@pytest.mark.parametrize(("scale", "name"), [(s, n) for s, keys in KEYS_BEFORE.items() for n in sorted(keys)])
def test_cache_keys_are_those_of_the_configs_before_the_bases(scale, name):
    assert book_config(name, scale=scale, seed_offset=0).key() == KEYS_BEFORE[scale][name]


def test_run_settings_are_not_part_of_the_key():
    cfg = SeedPairConfig()
    same = dataclasses.replace(cfg, device="cuda", data_root="data", verify_data=False, num_threads=None)
    assert same.key() == cfg.key()
    assert dataclasses.replace(cfg, lr=0.01).key() != cfg.key()  # negative control


# --------------------------------------------------------------------------- checks, once


@pytest.mark.parametrize("cls", [SeedPairConfig, ConvPairConfig, GeneralizationConfig, WidthConfig])
@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"dataset": "mnist"}, r"dataset must be one of 'digits', 'cifar10'; got 'mnist'"),
        ({"image_size": 0}, r"image_size must be an int >= 1; got 0"),
        ({"epochs": 0}, r"epochs must be an int >= 1; got 0"),
        ({"batch_size": -1}, r"batch_size must be an int >= 1; got -1"),
        ({"lr": 0.0}, r"lr must be a positive finite number; got 0.0"),
        ({"lr": float("nan")}, r"lr must be a positive finite number; got nan"),
        ({"num_threads": 0}, r"num_threads must be None or an int >= 1; got 0"),
    ],
)
def test_every_training_config_checks_the_common_fields_alike(cls, overrides, match):
    with pytest.raises(ValueError, match=match):
        cls(**overrides)


@pytest.mark.parametrize(("field", "value"), [("epochs", 2.5), ("batch_size", True), ("num_threads", "2")])
def test_a_count_of_another_type_is_a_type_error(field, value):
    with pytest.raises(TypeError, match=rf"{field} must be .*an int >= 1; got {value!r}"):
        SeedPairConfig(**{field: value})


@dataclass(frozen=True)
class _Untrained(TrainingConfig):
    experiment: ClassVar[str] = "toolbox_test_untrained"
    min_epochs: ClassVar[int] = 0
    datasets: ClassVar[tuple[str, ...]] = ("digits",)

    seed: int = 0


def test_an_experiment_sets_its_datasets_and_least_epochs():
    assert _Untrained(epochs=0).epochs == 0
    with pytest.raises(ValueError, match=r"dataset must be one of 'digits'; got 'cifar10'"):
        _Untrained(dataset="cifar10")


def test_the_split_seed_is_the_seed():
    assert SeedPairConfig(seed=3).split_seed == 3
    a, b = SeedPairConfig().load_data(), SeedPairConfig(seed=1).load_data()
    assert not torch.equal(a.test.tensors[0], b.test.tensors[0])


# --------------------------------------------------------------------------- the shared steps


def test_build_model_is_the_constructor_the_fields_describe():
    data = SeedPairConfig().load_data()
    net = SeedPairConfig(hidden=(16, 8)).build_model(data, seed=4)
    twin = MLP(64, (16, 8), 10, seed=4)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), twin.state_dict().values()))
    conv = ConvPairConfig(width=0.5).build_model(data, seed=2)
    twin = ConvNet("pilot5", 1, 10, width=0.5, seed=2)
    assert all(torch.equal(a, b) for a, b in zip(conv.state_dict().values(), twin.state_dict().values()))
    wider = WidthConfig(depth=2).build_model(data, seed=0, hidden=(12, 12))
    assert wider.layer_names == ("fc1", "fc2", "logits") and wider.logits.in_features == 12


def test_fit_trains_with_the_configs_settings_reproducibly():
    cfg = SeedPairConfig(hidden=(8,), epochs=1, batch_size=64)
    data = cfg.load_data()
    a, b = (cfg.build_model(data, seed=0) for _ in range(2))
    hist = [cfg.fit(net, data.train, seed=5) for net in (a, b)]
    assert len(hist[0].epoch) == 1
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    untrained = cfg.build_model(data, seed=0)
    assert not torch.equal(untrained.logits.weight, a.logits.weight)  # negative control: it trained


def test_augmentation_follows_augment_shift():
    data = SeedPairConfig().load_data()
    assert SeedPairConfig().augmentation(data) is None
    assert SeedPairConfig(augment_shift=1).augmentation(data) is not None
    assert GeneralizationConfig().augmentation(data) is None  # no augment_shift field


def test_run_limits_threads_and_restores_them(tmp_path):
    seen = {}

    @dataclass(frozen=True)
    class Probe(ThreadLimitedConfig):
        experiment: ClassVar[str] = "toolbox_test_probe"

        def _run(self, progress: bool) -> dict[str, np.ndarray]:
            seen["threads"] = torch.get_num_threads()
            return {"x": np.zeros(1)}

    before = torch.get_num_threads()
    Probe(num_threads=1).run()
    assert seen["threads"] == 1 and torch.get_num_threads() == before


# --------------------------------------------------------------------------- typed result data


def test_result_data_is_the_experiments_typed_data(tmp_path):
    result = run_or_load(ConvPairConfig.for_scale("tiny"), tmp_path)
    data = result.data
    assert isinstance(data, ConvPairData) and data.seeds == (0, 1)
    assert [c.name for c in result.config.claims(result)] == [c.name for c in data.claims()]


def test_an_experiment_without_typed_data_says_so_and_has_no_claims():
    @dataclass(frozen=True)
    class Plain(ExperimentConfig):
        experiment: ClassVar[str] = "toolbox_test_plain"

    result = ExperimentResult(Plain(), {"x": np.zeros(2)})
    with pytest.raises(NotImplementedError, match="experiment 'toolbox_test_plain' has no typed result data"):
        _ = result.data
    assert Plain().claims(result) == []


@dataclass(frozen=True)
class _Toy(ExperimentConfig):
    experiment: ClassVar[str] = "toolbox_test_toy"


@dataclass(frozen=True, eq=False)
class _ToyData(ExperimentData):
    config_class = _Toy

    names: tuple[str, ...] = field(metadata=stored())
    labels: np.ndarray = field(metadata=stored("eval_labels"))
    scale: float = field(metadata=stored(convert=lambda a: 2 * float(a)))
    extra: tuple[int, ...] = field(default=(), metadata=stored())


def test_data_fields_are_read_from_their_arrays_and_keep_their_default_when_absent():
    arrays = {"names": np.array(["a", "b"]), "eval_labels": np.array([1, 0]), "scale": np.array(1.5)}
    data = _ToyData.from_result(arrays)
    assert data.names == ("a", "b") and data.labels.tolist() == [1, 0] and data.scale == 3.0
    assert data.extra == () and isinstance(data.config, _Toy)
    assert _ToyData.from_result({**arrays, "extra": np.array([4, 5])}).extra == (4, 5)
    # the config finds its data class
    assert type(ExperimentResult(_Toy(), arrays).data) is _ToyData


def test_data_names_the_missing_array():
    with pytest.raises(KeyError, match=r"no array 'eval_labels' in this result; available: \['names'\]"):
        _ToyData.from_result({"names": np.array(["a"])})
    data = _ToyData.from_result(
        {"names": np.array(["a"]), "eval_labels": np.zeros(1), "scale": np.array(0.0)}
    )
    assert data["names"].tolist() == ["a"]
    with pytest.raises(KeyError, match="no array 'x' in this result"):
        _ = data["x"]


def test_a_field_of_an_unknown_type_needs_a_converter():
    @dataclass(frozen=True, eq=False)
    class Odd(ExperimentData):
        pairs: list[tuple[int, int]] = field(metadata=stored())

    with pytest.raises(TypeError, match=r"Odd.pairs: no converter for .*pass stored\(convert=...\)"):
        Odd.from_result({"pairs": np.zeros((1, 2))})


def test_seed_networks_data_reads_its_activations_by_network_key():
    arrays = {network_key("trained", s, "fc1"): np.full((3, 2), s) for s in (4, 7, 9)}
    data = SeedNetworksData(None, arrays, ("fc1",), (4, 7, 9), np.ones(3), np.zeros(3))
    assert data.pairs() == [(4, 7), (4, 9), (7, 9)] and not data.has_init
    assert data.acts("fc1", 7).dtype == np.float64 and float(data.acts("fc1", 7)[0, 0]) == 7.0
    with pytest.raises(KeyError, match="state='init'.*init recorded: False"):
        data.acts("fc1", 7, state="init")
    with pytest.raises(ValueError, match="state must be one of 'trained', 'init'; got 'final'"):
        data.acts("fc1", state="final")


def test_network_fields_keep_each_configs_defaults():
    assert isinstance(SeedPairConfig(), NetworkFields) and isinstance(ConvPairConfig(), ConvNetFields)
    assert (SeedPairConfig().hidden, GeneralizationConfig().hidden) == ((128, 128, 128), (256, 256, 256))
    assert (SeedPairConfig().arch, GeneralizationConfig().arch, ConvPairConfig().arch) == (
        "six",
        "tiny10",
        "pilot5",
    )


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        # a width <= 0 built a conv net of one channel per layer, and it trained
        ({"width": -1.0}, ValueError, "width must be a positive finite number; got -1.0"),
        ({"width": 0.0}, ValueError, "width must be a positive finite number"),
        ({"width": float("nan")}, ValueError, "width must be a positive finite number"),
        ({"width": True}, ValueError, "width must be a positive finite number; got True"),
        ({"width": "1"}, ValueError, "width must be a positive finite number; got '1'"),
        # a seed of 1.5 ran as seed 1 under a cache key of its own; -1 failed deep in numpy
        ({"seed": 1.5}, TypeError, "seed must be an int >= 0; got 1.5"),
        ({"seed": -1}, ValueError, "seed must be an int >= 0; got -1"),
        ({"seeds": (0, 1.0)}, TypeError, "each of seeds must be an int >= 0; got 1.0"),
        ({"verify_data": "no"}, TypeError, "verify_data must be True or False; got 'no'"),
    ],
)
def test_training_configs_refuse_bad_network_and_seed_fields(changes, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        ConvPairConfig.for_scale("tiny", **changes)


@pytest.mark.parametrize(
    ("hidden", "error", "message"),
    [
        ((0, 5), ValueError, "each hidden width must be an int >= 1; got 0"),  # an MLP with a 0-unit layer
        ((1.5,), TypeError, "each hidden width must be an int >= 1; got 1.5"),  # built with 1 unit
        ((), TypeError, "hidden must be a non-empty tuple of ints >= 1"),
        (32, TypeError, "hidden must be a non-empty tuple of ints >= 1"),
    ],
)
def test_mlp_configs_refuse_bad_hidden_widths(hidden, error, message):
    from svcca.experiments.seed_pair import SeedPairConfig

    with pytest.raises(error, match=message.replace("(", r"\(")):
        SeedPairConfig.for_scale("tiny", hidden=hidden)


def test_numpy_numbers_are_accepted_where_python_ones_are():
    # np.float32(0.001) was refused as "not a positive finite number"
    cfg = ConvPairConfig.for_scale("tiny", lr=np.float32(1e-3), width=np.float64(0.25), seed=np.int64(0))
    assert cfg.key() == ConvPairConfig.for_scale("tiny", lr=float(np.float32(1e-3))).key()


def _tiny_configs() -> list[type]:
    import importlib
    import pkgutil

    import svcca.experiments as experiments
    from svcca.experiments._toolbox import ThreadLimitedConfig

    found = []
    for info in pkgutil.iter_modules(experiments.__path__):
        module = importlib.import_module(f"svcca.experiments.{info.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, ThreadLimitedConfig)
                and obj.__module__ == module.__name__
                and hasattr(obj, "preset_tiny")
            ):
                found.append(obj)
    return found


def _tiny_configs_with(name: str) -> list[type]:
    return [c for c in _tiny_configs() if name in {f.name for f in dataclasses.fields(c)}]


@pytest.mark.parametrize("config_class", _tiny_configs_with("augment_shift"), ids=lambda c: c.__name__)
def test_a_negative_augment_shift_is_refused_when_the_config_is_made(config_class):
    # it was refused only when the run started (by the random shift), after the data loaded
    with pytest.raises(ValueError, match="augment_shift must be an int >= 0; got -1"):
        dataclasses.replace(config_class.preset_tiny(), augment_shift=-1)


@pytest.mark.parametrize("config_class", _tiny_configs_with("arch"), ids=lambda c: c.__name__)
def test_an_unknown_conv_arch_is_refused_when_the_config_is_made(config_class):
    # it was refused only when the first network was built, after the data loaded
    base = config_class.preset_tiny()
    conv = {"model": "conv"} if hasattr(base, "model") else {}
    with pytest.raises(ValueError, match="arch must be one of 'pilot5', 'six', 'tiny9', 'tiny10'; got 'vgg'"):
        dataclasses.replace(base, arch="vgg", **conv)


@pytest.mark.parametrize(
    ("config_class", "changes"),
    [
        (WidthConfig, {"model": "conv", "widths": (1.0, 2.0), "eval_shift": 0}),
        (GeneralizationConfig, {"model": "conv", "eval_shift": 0}),
        (SeedPairConfig, {"model": "conv"}),
        (ConvPairConfig, {}),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_digits_too_small_for_the_conv_arch_are_refused_when_the_config_is_made(config_class, changes):
    # Tiny-10's valid 3x3 conv had an empty input on 8x8 digits: a failure in the first training step
    with pytest.raises(ValueError, match="arch='tiny10' needs images of at least 9x9 .*; got image_size=8"):
        config_class(**changes, arch="tiny10", image_size=8)
    config_class(**changes, arch="tiny10", image_size=9)
    config_class(**changes, arch="tiny10", image_size=8, dataset="cifar10")  # 32 x 32 images


@pytest.mark.parametrize("name", [name for name in book_experiments()])
def test_every_preset_and_seed_variant_of_the_book_is_accepted(name):
    # the checks refuse bad settings, never one the book runs
    for scale in ("tiny", "default", "full"):
        for offset in range(8):
            book_config(name, scale=scale, seed_offset=offset)


def _wrong_values(hint: Any) -> list[Any]:
    """Values of another type than the annotation (or NaN where it takes numbers)."""
    text = str(hint)
    values: list[Any] = []
    if "int" in text or "float" in text:
        values += ["1", True]
    if "float" in text:
        values += [math.nan]
    if text == "<class 'bool'>":
        values += ["no", 1]
    if text.startswith("<class 'str'>") or text == "str | None":
        values += [3]
    if text.startswith("tuple"):
        values += ["ab", 7]
    return values


@pytest.mark.parametrize("config_class", _tiny_configs(), ids=lambda c: c.__name__)
def test_every_config_field_refuses_a_value_of_another_type_when_made(config_class):
    # a count of "40" used to fail deep in the run ('<' not supported between str and int),
    # a switch of "no" read as true, a NaN or infinite ridge ran under a key of its own
    import typing

    base = config_class.preset_tiny()
    hints = typing.get_type_hints(config_class)
    checked = 0
    for f in dataclasses.fields(config_class):
        for value in _wrong_values(hints[f.name]):
            with pytest.raises((TypeError, ValueError)) as exc:
                dataclasses.replace(base, **{f.name: value})
            assert f.name in str(exc.value) or f.name.rstrip("s") in str(exc.value), (
                f.name,
                value,
                exc.value,
            )
            checked += 1
    assert checked >= 10
    assert "_checking" not in vars(base)  # the check leaves nothing on the config


@pytest.mark.parametrize("config_class", _tiny_configs(), ids=lambda c: c.__name__)
def test_an_int_given_for_a_float_field_is_the_same_config(config_class):
    # width=1 and width=1.0 ran the same experiment under two cache keys
    import typing

    base = config_class.preset_tiny()
    hints = typing.get_type_hints(config_class)
    for f in dataclasses.fields(config_class):
        value = getattr(base, f.name)
        if hints[f.name] in (float, float | None) and isinstance(value, float) and value.is_integer():
            as_int = dataclasses.replace(base, **{f.name: int(value)})
            assert type(getattr(as_int, f.name)) is float and as_int.key() == base.key(), f.name


def test_width_configs_keep_mlp_widths_as_units_and_conv_widths_as_multipliers():
    from svcca.experiments.width import WidthConfig

    mlp = WidthConfig.for_scale("tiny")
    assert dataclasses.replace(mlp, widths=(8.0, 16.0)).widths == (8, 16)
    assert dataclasses.replace(mlp, widths=(8.0, 16.0)).key() == mlp.key()
    full = WidthConfig.for_scale("full")
    assert dataclasses.replace(full, widths=(0.25, 0.5, 1, 2, 4)).key() == full.key()
    with pytest.raises(TypeError, match="widths must be a tuple of number; got"):
        dataclasses.replace(mlp, widths=("8", "16"))


def test_seed_fields_say_what_they_take():
    # seed=None was refused as "must be an int" after seed='0' was told "None or an int";
    # seeds='01' was told "None or an int" although seeds is a tuple
    from svcca.experiments.conv_pair import ConvPairConfig

    for kw, msg in (
        ({"seed": "0"}, "seed must be an int >= 0; got '0'"),
        ({"seed": None}, "seed must be an int >= 0; got None"),
        ({"seeds": "01"}, "seeds must be a tuple of ints >= 0; got '01'"),
    ):
        with pytest.raises(TypeError, match=re.escape(msg)):
            ConvPairConfig(**kw)


def test_seeds_given_as_a_list_make_the_same_hashable_config():
    from svcca.experiments.conv_pair import ConvPairConfig

    a, b = ConvPairConfig(seeds=[0, 1]), ConvPairConfig(seeds=(0, 1))
    assert a == b and hash(a) == hash(b) and a.key() == b.key() and a.seeds == (0, 1)
