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

<!-- Replace every TODO line (kbgen check rejects the case while one is left), then run `kbgen check`.
     Environment and Cause are optional: delete them if you have nothing to say. -->

## Problem
TODO: what the customer saw, in their words. Quote the exact error message in `backticks`.

## Environment
- TODO: product and version, operating system

## Solution
1. TODO: the first step.
2. TODO: the next step.

## Cause
TODO: why it happened.

## Internal notes
Never published: ticket links, customer contacts, remarks for colleagues.
"""


SITE_URL_LINE = re.compile(r"^# site_url: .*$", re.MULTILINE)


def init(target: Path, site_name: str, today: date | None = None, site_url: str = "") -> list[Path]:
    """Copy the skeleton into ``target``; refuse to overwrite anything. Without ``site_url`` its line stays a comment."""
    files = sorted(p for p in SKELETON.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    dests = [target / p.relative_to(SKELETON) for p in files]
    for dest in dests:
        if dest.exists():
            raise FileExistsError(str(dest))
    values = {"site_name": site_name.replace('"', "'"), "today": (today or date.today()).isoformat()}
    for src, dest in zip(files, dests, strict=False):
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = src.read_text(encoding="utf-8")
        if site_url:
            text = SITE_URL_LINE.sub(f"site_url: {json.dumps(site_url)}", text)
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
    product = product or "TODO: the product name"
    text = CASE_TEMPLATE.format(id=case_id, title=json.dumps(title), product=json.dumps(product), today=today.isoformat())
    with path.open("x", encoding="utf-8") as out:  # never overwrite a file that is already there
        out.write(text)
    return path
