"""Helpers that write small knowledge bases for tests: real files, real mkdocs.yml."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

MKDOCS_YML = """\
site_name: Test KB
site_url: https://kb.example.com/
docs_dir: content/pages
site_dir: site
theme:
  name: material
plugins:
  - search
  - kbgen:
      as_of: "{as_of}"
{extra}
markdown_extensions:
  - admonition
  - toc:
      permalink: true
  - pymdownx.highlight
  - pymdownx.superfences
"""


def case_text(
    case_id: str,
    title: str = "Sync stops with `401 Unauthorized`",
    problem: str = "Sync stops after a password change.",
    solution: str = "1. Sign out.\n2. Sign in again.",
    extra_meta: str = "",
    extra_body: str = "",
    product: str = "Acme Sync",
    resolved: str = "2026-03-03",
) -> str:
    meta = f"id: {case_id}\ntitle: {json.dumps(title)}\nproduct: {json.dumps(product)}\nresolved: {resolved}\n" + textwrap.dedent(extra_meta)
    return f"---\n{meta}---\n\n## Problem\n{problem}\n\n## Solution\n{solution}\n{extra_body}"


def write_kb(root: Path, cases: dict[str, str], root_causes: str = "", as_of: str = "2026-11-20", extra: str = "") -> Path:
    """Write mkdocs.yml, content/cases/<name> for each case and root-causes.yml; return mkdocs.yml's path."""
    (root / "content" / "pages").mkdir(parents=True, exist_ok=True)
    (root / "content" / "pages" / "about.md").write_text("# About\n\nTest knowledge base.\n", encoding="utf-8")
    for name, text in cases.items():
        path = root / "content" / "cases" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "content" / "cases").mkdir(parents=True, exist_ok=True)
    (root / "content" / "root-causes.yml").write_text(root_causes, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(MKDOCS_YML.format(as_of=as_of, extra=textwrap.indent(textwrap.dedent(extra), "      ")), encoding="utf-8")
    return config
