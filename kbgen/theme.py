"""What kbgen changes in the theme's Jinja environment: what is the same on many pages is rendered once.

Material renders, into every page, parts that do not depend on the page:

- its whole navigation sidebar (``partials/nav.html``), about a third of the time MkDocs spent per
  article. A page outside the navigation (every article) has no active item, so its sidebar differs
  from another's only through the relative links, which are the same for every page of one folder
  that holds no navigation page. Such pages share one rendering; every other page (the home page,
  Browse, a site's own pages in the nav) renders its own.
- the search box (``partials/search.html``): the site's settings and words only, the same on every page.
- its words in the site's language (``partials/language.html``'s ``t(key)``): a macro that builds a
  dictionary of every word on each of its twenty-odd calls per page. Each word is looked up once.

Only Material's own templates are shared: a site that overrides one (``custom_dir``) renders its
override on every page as before. Same bytes either way: only who renders changes.

The plugin calls :func:`share` in ``on_env``; nothing else here knows MkDocs.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Collection
from typing import Any

import jinja2
from markupsafe import Markup

NAV = "partials/nav.html"
SEARCH = "partials/search.html"
LANGUAGE = "partials/language.html"
ORIGINAL = "kbgen-original/"
"""Prefix of a theme's own template, under a name the shared one can render."""


class _Loader(jinja2.BaseLoader):
    """The theme's loader, but each replaced template is kbgen's source, and ``ORIGINAL + name`` the theme's own."""

    def __init__(self, inner: jinja2.BaseLoader) -> None:
        self.inner = inner
        self.replaced: dict[str, str] = {}

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template in self.replaced:
            return self.replaced[template], None, lambda: True
        return self.inner.get_source(environment, template.removeprefix(ORIGINAL))

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


def _replace(env: jinja2.Environment, name: str, source: str, theme_file: Callable[[str], bool]) -> bool:
    """Serve ``source`` for template ``name``, if ``name`` is the theme's own (``theme_file(filename)``); whether it was."""
    assert env.loader is not None
    try:
        _, filename, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        return False
    if filename is None or not theme_file(filename):
        return False
    if not isinstance(env.loader, _Loader):
        env.loader = _Loader(env.loader)
    env.loader.replaced[name] = source
    return True


def folder_key(url: str, nav_urls: Collection[str]) -> str | None:
    """The folder whose pages share a navigation, for a page at ``url`` (``kb/x/``); None for a page that must render its own.

    A page in the navigation has an active item; a page whose own folder holds a navigation page links to it
    differently from its neighbours.
    """
    if url in nav_urls:
        return None
    # links are relative to the page's folder: from kb/x/ a link to T is "../" + T's link from kb/, unless T is in kb/x/
    own = url if url.endswith("/") or not url else f"{posixpath.dirname(url)}/".lstrip("/")
    if not own or any(other.startswith(own) for other in nav_urls):
        return None
    return posixpath.dirname(own.rstrip("/"))


def share(env: jinja2.Environment, nav_urls: Collection[str], theme_file: Callable[[str], bool]) -> list[str]:
    """Render the theme's navigation once per folder of pages outside the navigation, its search box once and each
    of its words once; the templates shared (a site's override of one is left alone)."""
    shared = ((NAV, share_nav(env, nav_urls, theme_file)), (SEARCH, share_search(env, theme_file)), (LANGUAGE, share_words(env, theme_file)))
    return [name for name, done in shared if done]


def share_nav(env: jinja2.Environment, nav_urls: Collection[str], theme_file: Callable[[str], bool]) -> bool:
    """``partials/nav.html`` once per folder of pages outside the navigation."""
    shared: dict[str, Any] = {}

    @jinja2.pass_context
    def kbgen_shared_nav(context: jinja2.runtime.Context) -> Any:
        page = context.get("page")
        url = getattr(page, "url", None)
        key = folder_key(url, nav_urls) if isinstance(url, str) else None
        if key is not None and key in shared:
            return shared[key]
        # what `{% include %}` renders: the template in the including page's context
        html = Markup(env.get_template(ORIGINAL + NAV).render(context.get_all()))
        if key is not None:
            shared[key] = html
        return html

    env.globals["kbgen_shared_nav"] = kbgen_shared_nav
    return _replace(env, NAV, "{{ kbgen_shared_nav() }}", theme_file)


def share_search(env: jinja2.Environment, theme_file: Callable[[str], bool]) -> bool:
    """``partials/search.html`` once: it reads the site's settings and words, nothing of the page."""
    shared: list[Markup] = []

    @jinja2.pass_context
    def kbgen_shared_search(context: jinja2.runtime.Context) -> Markup:
        if not shared:
            shared.append(Markup(env.get_template(ORIGINAL + SEARCH).render(context.get_all())))
        return shared[0]

    env.globals["kbgen_shared_search"] = kbgen_shared_search
    return _replace(env, SEARCH, "{{ kbgen_shared_search() }}", theme_file)


def share_words(env: jinja2.Environment, theme_file: Callable[[str], bool]) -> bool:
    """``partials/language.html``'s ``t(key)``, each key looked up once: its words depend on the site's language only."""
    words: dict[str, Markup] = {}
    theme: list[Any] = []

    @jinja2.pass_context
    def kbgen_word(context: jinja2.runtime.Context, key: str) -> Markup:
        if key not in words:
            if not theme:  # the theme's own module, made as base.html imports it: with the page's context
                theme.append(env.get_template(ORIGINAL + LANGUAGE).make_module(context.get_all()))
            words[key] = Markup(theme[0].t(key))
        return words[key]

    env.globals["kbgen_word"] = kbgen_word
    return _replace(env, LANGUAGE, "{% macro t(key) %}{{ kbgen_word(key) }}{% endmacro %}", theme_file)
