"""The corpora of the book, one module each; the corpora beyond the digit datasets behind one registry
(chapters 1-7).

``speechocean762``  226 speakers (children and adults) reading English, digit strings included; the
                    voices the general model learns from and is tested on (:mod:`.speechocean762`).
``hu-nonspeech``    G. Hu's 100 non-speech environmental noises; split by file into training,
                    validation and test noise (:mod:`.hu_nonspeech`).
``speech-commands-noise``  the six background recordings of Speech Commands (``<data home>/noise``);
                    a cross-corpus *test* set: the general model never trains on them.

The digit corpora have their own modules too, but are not in the registry: :mod:`.fsdd` (Free Spoken
Digit Dataset, 6 speakers) and :mod:`.audiomnist` (60 speakers, with the metadata cleaning) hold each
corpus's source, archive layout and speaker metadata, and :mod:`digitdenoise.data` is the layer that
reads them as digit datasets (``data.ensure_dataset``, ``data.load_clips``, splits; ``digitdenoise fetch
fsdd`` goes through it). The registry's corpora are read from the data home and downloaded into it file
by file, with checksums, only when a file is missing; a digit corpus is downloaded once, as its release
archive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..config import check_choice
from . import audiomnist, fsdd, hu_nonspeech, speechocean762

# name -> (module, what it is)
REGISTRY: dict[str, tuple[object, str]] = {
    "speechocean762": (speechocean762, speechocean762.DESCRIPTION),
    "hu-nonspeech": (hu_nonspeech, hu_nonspeech.DESCRIPTION),
}


def names() -> tuple[str, ...]:
    """The corpora of the registry (chapter 4)."""
    return tuple(REGISTRY)


def ensure(name: str, data_home: str | Path | None = None, *, download: bool = True, progress: bool = False) -> Path:
    """Make sure corpus ``name`` is complete in the data home (download what is missing) and return its
    folder (chapter 4; ``digitdenoise fetch``)."""
    check_choice("corpus", name, names())
    module = REGISTRY[name][0]
    ensure_fn: Callable = getattr(module, "ensure")
    return ensure_fn(data_home, download=download, progress=progress)


__all__ = ["REGISTRY", "audiomnist", "ensure", "fsdd", "hu_nonspeech", "names", "speechocean762"]
