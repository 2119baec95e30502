from __future__ import annotations

from pathlib import Path

import pytest

from kbgen import load


def write_root_causes(path: Path, count: int) -> None:
    lines = []
    for n in range(1, count + 1):
        lines += [f"RC-{n}:", f"  title: Root cause number {n} of a large product", "  kind: defect", "  status: open",
                  f"  tracker: https://tracker.example.com/KB-{n}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_tens_of_thousands_of_root_causes_load(tmp_path: Path) -> None:
    file = tmp_path / "root-causes.yml"
    write_root_causes(file, 20_000)
    assert file.stat().st_size > load.MAX_FILE_BYTES  # over the per-case limit that used to reject it
    data, lines, problems = load.load_root_causes(file, tmp_path)
    assert problems == []
    assert data is not None and len(data) == 20_000
    assert data["RC-20000"] == {"title": "Root cause number 20000 of a large product", "kind": "defect",
                                "status": "open", "tracker": "https://tracker.example.com/KB-20000"}
    assert lines[("RC-20000",)] == 5 * 19_999 + 1


def test_root_causes_over_the_memory_bound_name_the_file_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "root-causes.yml"
    write_root_causes(file, 50)
    monkeypatch.setattr(load, "MAX_ROOT_CAUSES_BYTES", 1000)
    data, _, [problem] = load.load_root_causes(file, tmp_path)
    assert data is None
    assert (problem.path, problem.line, problem.severity) == ("root-causes.yml", 1, "error")
    assert "root-causes file" in problem.message and "one case" not in problem.message
