"""kbgen's Pagefind search as plain MkDocs hooks, for a Material site without kbgen's content pipeline.

The tests and ``bench/bench_search.py`` build such sites; a one-line hooks file imports these::

    from kbgen.search_hooks import on_files, on_post_build, on_post_page, on_post_template
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from . import search

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
