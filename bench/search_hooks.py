"""kbgen's Pagefind search as plain MkDocs hooks, for a Material site without kbgen's content pipeline.

Not part of the package: ``bench/bench_search.py`` and ``tests/test_search.py`` build such
sites (Pagefind against lunr on the same pages) and copy this file in as their ``hooks.py``.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from kbgen import search

log = get_plugin_logger(__name__)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    files.append(File.generated(config, search.WORKER, abs_src_path=str(search.WORKER_SOURCE)))
    return files


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return search.use_worker(output)


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    return search.use_worker(output_content)


def on_post_build(config: MkDocsConfig) -> None:
    log.info(f"search: {search.index_site(Path(config.site_dir))}")
