"""``kbgen init`` and ``kbgen new``: files an author starts from."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

SKELETON = Path(__file__).parent / "skeleton"
CASE_TEMPLATE = """---
id: {id}
title: {title}
product: {product}
resolved: {today}
opened: {today}
versions: []
component:
tags: []
handle_minutes: 0
customer:
root_cause:
---

## Problem
What the customer saw, in their words. Quote the exact error message in `backticks`.

## Environment
- Product and version, operating system

## Solution
1. The first step.
2. The next step.

## Cause
Why it happened.

## Internal notes
Never published: ticket links, customer contacts, remarks for colleagues.
"""


def init(target: Path, site_name: str, today: date | None = None) -> list[Path]:
    """Copy the skeleton into ``target``; refuse to overwrite anything."""
    files = sorted(p for p in SKELETON.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    dests = [target / p.relative_to(SKELETON) for p in files]
    for dest in dests:
        if dest.exists():
            raise FileExistsError(str(dest))
    values = {"site_name": site_name.replace('"', "'"), "today": (today or date.today()).isoformat()}
    for src, dest in zip(files, dests, strict=False):
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = src.read_text(encoding="utf-8")
        dest.write_text(re.sub(r"\{(site_name|today)\}", lambda m: values[m.group(1)], text), encoding="utf-8")
    return dests


def next_id(cases_dir: Path, today: date) -> str:
    """CASE-<year>-<n>: one more than the highest id of this year's form in the cases folder."""
    pattern = re.compile(rf"^id:\s*['\"]?CASE-{today.year}-(\d+)", re.MULTILINE | re.IGNORECASE)
    highest = 0
    if cases_dir.is_dir():
        for path in cases_dir.rglob("*.md"):
            m = pattern.search(path.read_text(encoding="utf-8", errors="replace")[:2000])
            if m:
                highest = max(highest, int(m.group(1)))
    return f"CASE-{today.year}-{highest + 1:04d}"


def new_case(cases_dir: Path, folder: Path, title: str, product: str, today: date) -> Path:
    case_id = next_id(cases_dir, today)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{case_id}.md"
    title = title or "TODO: the problem as the customer would search for it"
    text = CASE_TEMPLATE.format(id=case_id, title=json.dumps(title), product=json.dumps(product or "TODO"), today=today.isoformat())
    with path.open("x", encoding="utf-8") as out:  # never overwrite a file that is already there
        out.write(text)
    return path
