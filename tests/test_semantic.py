"""kbgen's numpy run of all-MiniLM-L6-v2 gives sentence-transformers' own vectors (no PyTorch in the test suite)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kbgen import semantic

REFERENCE = Path(__file__).parent / "data" / "semantic_reference.json"

pytestmark = pytest.mark.skipif(not semantic.available(), reason=f"the model package is not installed: {semantic.INSTALL}")


def test_vectors_equal_sentence_transformers_for_short_long_unicode_and_truncated_texts() -> None:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    expected = np.array(data["vectors"], dtype=np.float32)
    together = semantic.encode(data["texts"])  # one call: batched by length, padded
    alone = np.vstack([semantic.encode([t]) for t in data["texts"]])  # no padding at all
    for got in (together, alone):
        cosines = (got * expected).sum(axis=1)
        assert cosines.min() > 0.9999, list(zip(data["texts"], cosines.round(6), strict=True))
        assert np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)


def test_meaning_places_a_paraphrase_near_its_article_and_far_from_others() -> None:
    query, latency, password = semantic.encode(
        ["made our API noticeably slower", "The gateway adds latency to every call", "Sync stops after a password change"])
    assert query @ latency > query @ password + 0.2


def test_cached_vectors_are_reused_and_only_changed_texts_are_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["Invoice PDF shows the wrong currency", "Sync stops after a password change", "Tray icon turns red"]
    first = semantic.encode_cached(texts, tmp_path)
    seen: list[list[str]] = []
    real = semantic.Model.encode

    def counting(self: semantic.Model, batch: list[str], progress: semantic.Progress | None = None) -> np.ndarray:
        seen.append(list(batch))
        return real(self, batch, progress)

    monkeypatch.setattr(semantic.Model, "encode", counting)
    told: list[tuple[str, int, int]] = []
    again = semantic.encode_cached([*texts[:2], "Tray icon turns grey"], tmp_path, lambda *a: told.append(a))
    assert seen == [["Tray icon turns grey"]] and told == [("embedding", 1, 1)]  # one edit: one text embedded, and said so
    assert np.array_equal(again[:2], first[:2])
    assert again[2] @ semantic.encode(["Tray icon turns grey"])[0] > 0.9999
    store = next(tmp_path.glob("vectors-*.npz"))
    for damage in (b"damaged", store.read_bytes()[:1000]):  # not an archive; an archive cut short
        store.write_bytes(damage)
        assert np.allclose(semantic.encode_cached(texts, tmp_path), first, atol=1e-6)  # embedded again
