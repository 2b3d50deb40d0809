"""The torch side of svcca: datasets, models, training and activation recording.

Data flows one way (data -> model -> activations -> measure; see ``CONTRIBUTING.md``)::

    data = load_digits(image_size=16)                       # svcca.nn.data
    net = ConvNet("six", seed=0)                             # svcca.nn.models
    train(net, data.train, test_data=data.test, seed=0)      # svcca.nn.train
    acts = record(net, data.test)                            # svcca.nn.activations
    svcca.svcca(acts["conv3"].reshape(-1, 32), ...)          # the measures

Importing this package imports torch; the numerical core of ``svcca`` does not need it.
"""

from .activations import ActivationSink, ArraySink, iter_activations, record
from .data import (
    IMAGENET_SUBSET,
    ImageData,
    RandomShift,
    TextCorpus,
    data_dir,
    load_cifar10,
    load_digits,
    load_imagenet_subset,
    load_ptb,
    load_stdlib_corpus,
    load_wikitext2,
    probe_set,
    random_labels,
)
from .models import MLP, ConvNet, LSTMLanguageModel, SmallResNet, build_model, resnet18, resnet50
from .train import (
    TrainHistory,
    checkpoint_schedule,
    evaluate,
    freeze_schedule,
    iter_checkpoints,
    list_checkpoints,
    load_checkpoint,
    steps_per_epoch,
    train,
)
from .utils import (
    as_tensors,
    available_device,
    check_device,
    get_items,
    limit_threads,
    load_state_arrays,
    sample_positions,
    state_arrays,
    take,
    take_positions,
)

__all__ = [
    "IMAGENET_SUBSET",
    "MLP",
    "ActivationSink",
    "ArraySink",
    "ConvNet",
    "ImageData",
    "LSTMLanguageModel",
    "RandomShift",
    "SmallResNet",
    "TextCorpus",
    "TrainHistory",
    "as_tensors",
    "available_device",
    "build_model",
    "check_device",
    "checkpoint_schedule",
    "data_dir",
    "evaluate",
    "freeze_schedule",
    "get_items",
    "iter_activations",
    "iter_checkpoints",
    "limit_threads",
    "list_checkpoints",
    "load_checkpoint",
    "load_state_arrays",
    "load_cifar10",
    "load_digits",
    "load_imagenet_subset",
    "load_ptb",
    "load_stdlib_corpus",
    "load_wikitext2",
    "probe_set",
    "random_labels",
    "record",
    "resnet18",
    "resnet50",
    "sample_positions",
    "state_arrays",
    "steps_per_epoch",
    "take",
    "take_positions",
    "train",
]
