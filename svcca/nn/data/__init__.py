"""Datasets for the experiments: embedded digits, text corpora, CIFAR-10 and an ImageNet subset.

Everything returns plain torch datasets whose items are ``(input, target)`` pairs:

* images as float32 tensors of shape ``(channels, height, width)`` (batches ``(n, C, H, W)``),
  normalised; targets as int64 class indices;
* text as int64 token ids: inputs ``(seq_len,)`` and next-token targets ``(seq_len,)``.

The **embedded default** is scikit-learn's 8x8 handwritten digits (1797 images, shipped
inside the scikit-learn wheel): the book builds without any download. The larger datasets
are read from the data folder (:func:`data_dir`: ``$SVCCA_DATA``, default ``./data``) only
when a ``data_scripts/`` command has put them there; when they are absent the loaders raise
a ``FileNotFoundError`` that names the command to run. Nothing here downloads anything
except :func:`download_lm_corpus` and :func:`download_file`, which only the ``data_scripts/``
front doors call.

One module per kind of data, every public name re-exported here:
:mod:`~svcca.nn.data.images` (digits, shifts, probe sets, random labels),
:mod:`~svcca.nn.data.cifar` (CIFAR-10, read without unpickling),
:mod:`~svcca.nn.data.imagenet` (the ImageNet subset, prepared and read) and
:mod:`~svcca.nn.data.text` (text corpora and their checked downloads); the
``data_scripts/`` front doors report their errors through :func:`run_data_script`.
"""

from __future__ import annotations

from ._folder import DATA_ENV, data_dir, download_file, extract_archive
from ._scripts import run_data_script
from .cifar import load_cifar10
from .imagenet import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    IMAGENET_SUBSET,
    ImageNetClass,
    load_imagenet_subset,
    prepare_imagenet_subset,
)
from .images import (
    ImageData,
    ImageTensorDataset,
    RandomShift,
    dataset_targets,
    load_digits,
    probe_set,
    random_labels,
    shift_images,
)
from .text import (
    LM_CORPORA,
    STDLIB_CORPUS_FILES,
    TextCorpus,
    download_lm_corpus,
    load_ptb,
    load_stdlib_corpus,
    load_wikitext2,
)

__all__ = [
    "DATA_ENV",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "IMAGENET_SUBSET",
    "LM_CORPORA",
    "STDLIB_CORPUS_FILES",
    "ImageData",
    "ImageNetClass",
    "ImageTensorDataset",
    "RandomShift",
    "TextCorpus",
    "data_dir",
    "dataset_targets",
    "download_file",
    "download_lm_corpus",
    "extract_archive",
    "load_cifar10",
    "load_digits",
    "load_imagenet_subset",
    "load_ptb",
    "load_stdlib_corpus",
    "load_wikitext2",
    "prepare_imagenet_subset",
    "probe_set",
    "random_labels",
    "run_data_script",
    "shift_images",
]
