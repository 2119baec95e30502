"""``kbgen export DIR``: the rendered ``Site`` as a plain MkDocs project, with no kbgen plugin in it.

What it is for: the way out. Material for MkDocs reaches end of life in May 2027; its
successor (Zensical) reads ``mkdocs.yml`` but runs no third-party plugins. Because ``render``
returns finished, sanitised pages, a plain `mkdocs build` (or any builder that reads
mkdocs.yml and Material's templates) of the export publishes the same article pages, safe.

The project: ``docs/`` (the site's own pages, then every generated page as front matter plus
its finished HTML, the data files and assets), ``overrides/`` (the site's ``custom_dir``, then
kbgen's templates where the site has none of its own) and an ``mkdocs.yml`` with the site's
settings and ``search`` as the only plugin (lunr: Pagefind needs the plugin's hooks).
"""

from __future__ import annotations

import functools
import shutil
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .render import Site

THEME_KEYS = ("name", "language", "direction", "features", "font", "icon", "logo", "favicon", "palette")
"""Theme settings that are plain data and mean the same to any Material-compatible builder."""
SITE_KEYS = ("site_name", "site_url", "site_description", "site_author", "copyright", "repo_url", "repo_name", "edit_uri")


@dataclass(frozen=True)
class Project:
    """What the export keeps of the site's own mkdocs.yml, as plain data."""

    settings: Mapping[str, Any]  # SITE_KEYS that are set
    theme: Mapping[str, Any]  # THEME_KEYS that are set
    docs_dir: Path | None = None
    custom_dir: Path | None = None
    nav: Sequence[Any] | None = None
    markdown_extensions: Sequence[str] = ()
    mdx_configs: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    extra_css: Sequence[str] = ()
    extra_javascript: Sequence[str] = ()
    inputs: Sequence[Path] = ()  # kbgen's input (the cases folder, root-causes.yml): never copied, even from docs_dir


def is_input(path: Path, inputs: Sequence[Path]) -> bool:
    """Whether ``path`` is one of kbgen's input files or folders (``inputs``, resolved) or inside one.

    MkDocs publishes every file of docs_dir: a cases folder kept inside it would publish each case file as a page of
    its own (internal notes, internal cases, customers) and root-causes.yml as a download."""
    resolved = path.resolve()
    return any(resolved == i or i in resolved.parents for i in inputs)


def not_in_nav(site: Site) -> str:
    """gitignore-style patterns for the generated pages kept out of the nav (articles, lists), few and short."""
    in_nav = {p.url for p in site.pages if p.in_nav}
    patterns: set[str] = set()
    for page in site.pages:
        if page.in_nav:
            continue
        top = page.url.split("/", 1)[0] + "/"
        # a whole folder when no nav page lives in it, else just this page's folder and those below it
        patterns.add(f"/{top}" if not any(u.startswith(top) for u in in_nav) else f"/{page.url}")
    return "".join(f"{p}\n" for p in sorted(patterns))


class ExportError(ValueError):
    """A setting of the site's mkdocs.yml that cannot be written back as YAML."""


class _Dumper(yaml.SafeDumper):
    """Plain YAML, plus what mkdocs.yml names in Python (MkDocs reads it back with PyYAML's full loader): a function by
    ``!!python/name:`` (Material's mermaid fence, ``format: !!python/name:pymdownx.superfences.fence_code_format``),
    and a ``functools.partial`` of one by ``!!python/object/apply:`` (``slugify: !!python/object/apply:...``)."""


def _python_name(dumper: yaml.SafeDumper, obj: object) -> yaml.Node:
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if not module or not name or "<" in name:  # a lambda or a function defined inside another: no name imports it
        raise ExportError(f"{obj!r} has no name that mkdocs.yml could import it by")
    return dumper.represent_scalar(f"tag:yaml.org,2002:python/name:{module}.{name}", "")


def _partial(dumper: yaml.SafeDumper, obj: functools.partial) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:python/object/apply:functools.partial",
                                    {"args": [obj.func, *obj.args], "kwds": dict(obj.keywords)})


def _unknown(dumper: yaml.SafeDumper, obj: object) -> yaml.Node:
    raise ExportError(f"{obj!r} cannot be written back to YAML")


for _kind in (types.FunctionType, types.BuiltinFunctionType, type):
    _Dumper.add_multi_representer(_kind, _python_name)
_Dumper.add_representer(functools.partial, _partial)
_Dumper.add_multi_representer(object, _unknown)


def mkdocs_yml(site: Site, project: Project) -> str:
    extensions: list[Any] = [
        {name: dict(project.mdx_configs[name])} if name in project.mdx_configs else name
        for name in project.markdown_extensions
    ]
    config: dict[str, Any] = {
        **project.settings,
        "docs_dir": "docs",
        "site_dir": "site",
        "use_directory_urls": True,
        "theme": {**project.theme, "custom_dir": "overrides"},
        "plugins": ["search"],
        "not_in_nav": not_in_nav(site),
        "markdown_extensions": extensions,
        "extra_css": [*project.extra_css, *site.css],
        "extra_javascript": [*project.extra_javascript, *site.javascript],
    }
    if project.nav:
        config["nav"] = list(project.nav)
    if project.extra:
        config["extra"] = dict(project.extra)
    head = "# Written by `kbgen export`: a plain MkDocs project, no kbgen plugin. Build it with `mkdocs build`.\n"
    try:
        return head + yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)
    except ExportError as exc:
        raise ExportError(f"mkdocs.yml: a setting cannot be exported: {exc}; write it with a !!python/name: tag") from exc


def page_source(meta: Mapping[str, object], html: str) -> str:
    """Front matter and the finished HTML: Markdown passes block-level HTML through untouched."""
    front = yaml.safe_dump(dict(meta), sort_keys=True, allow_unicode=True, width=10_000)
    return f"---\n{front}---\n\n{html}\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write(site: Site, target: Path, project: Project) -> int:
    """Write the project into ``target`` (which must not hold anything yet); returns how many files it wrote."""
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty")
    config = mkdocs_yml(site, project)  # first: a setting it cannot write leaves no half-written project behind
    docs, overrides = target / "docs", target / "overrides"
    docs.mkdir(parents=True, exist_ok=True)
    overrides.mkdir(parents=True, exist_ok=True)
    count = 0
    own: set[str] = set()
    if project.docs_dir and project.docs_dir.is_dir():
        inputs = [Path(i).resolve() for i in project.inputs]
        for file in sorted(project.docs_dir.rglob("*")):
            if file.is_file() and not is_input(file, inputs):
                rel = file.relative_to(project.docs_dir).as_posix()
                own.add(rel)
                (docs / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, docs / rel)
                count += 1
    if project.custom_dir and project.custom_dir.is_dir():
        shutil.copytree(project.custom_dir, overrides, dirs_exist_ok=True)
    for template in sorted(site.templates.rglob("*")):
        dest = overrides / template.relative_to(site.templates)
        if template.is_file() and not dest.exists():  # the site's own template wins, as in the plugin build
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, dest)
    for page in site.pages:
        if page.path not in own:  # the site's own page wins, as in the plugin build
            _write(docs / page.path, page_source(page.meta, page.html))
            count += 1
    for item in site.data:
        _write(docs / item.path, item.content)
        count += 1
    for asset in site.assets:
        (docs / asset.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(asset.source, docs / asset.path)
        count += 1
    _write(target / "mkdocs.yml", config)
    return count + 1
