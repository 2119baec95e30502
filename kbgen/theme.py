"""What kbgen changes in the theme's Jinja environment: what is the same on many pages is rendered once.

Material renders, into every page, parts that do not depend on the page:

- its whole navigation sidebar (``partials/nav.html``), about a third of the time MkDocs spent per
  article. A page outside the navigation (every article) has no active item, so its sidebar differs
  from another's only through the relative links, which are the same for every page of one folder
  that holds no navigation page. Such pages share one rendering; every other page (the home page,
  Browse, a site's own pages in the nav) renders its own.
- its header (``partials/header.html``): the site's name, logo, palette toggles and search box, the same on every
  page of such a folder but for the page's title, which goes into one rendering in its place.
- its footer (``partials/footer.html``) on a page with no previous or next page (every article): the copyright
  and social links, the same for every page of such a folder.
- the blocks of ``base.html`` that read the site's settings only, through links relative to the page
  (``config``, the JSON Material's scripts read; ``scripts``; ``libs``; ``fonts``): once per such folder.
- the search box (``partials/search.html``): the site's settings and words only, the same on every page.
- its words in the site's language (``partials/language.html``'s ``t(key)``): a macro that builds a
  dictionary of every word on each of its twenty-odd calls per page. Each word is looked up once.

Only Material's own templates are shared: a site that overrides one (``custom_dir``) renders its
override on every page as before. Same bytes either way: only who renders changes.

The plugin calls :func:`share` in ``on_env``; nothing else here knows MkDocs.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

import jinja2
import jinja2.meta
from markupsafe import Markup

NAV = "partials/nav.html"
HEADER = "partials/header.html"
FOOTER = "partials/footer.html"
SEARCH = "partials/search.html"
LANGUAGE = "partials/language.html"
BASE = "base.html"
BLOCKS = ("libs", "fonts", "config", "scripts")
"""Blocks of Material's ``base.html`` that include no other template and read nothing of the page but its folder."""
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


def _theme_source(env: jinja2.Environment, name: str, theme_file: Callable[[str], bool]) -> str | None:
    """The source of template ``name`` if it is the theme's own (``theme_file(filename)``), else None."""
    assert env.loader is not None
    try:
        source, filename, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        return None
    return source if filename is not None and theme_file(filename) else None


def _theme_own(env: jinja2.Environment, name: str, theme_file: Callable[[str], bool], seen: set[str] | None = None) -> bool:
    """Whether template ``name`` and every template it includes or imports by name, and so on, are the theme's own: a
    site's override of one (which could read the page) keeps ``name`` rendered per page. Templates named at run time
    (Material's icons, ``".icons/" ~ icon ~ ".svg"``) are not followed."""
    seen = set() if seen is None else seen
    if name in seen:
        return True
    seen.add(name)
    source = _theme_source(env, name, theme_file)
    if source is None:
        return False
    named = (ref for ref in jinja2.meta.find_referenced_templates(env.parse(source)) if ref is not None)
    return all(_theme_own(env, ref, theme_file, seen) for ref in named)


def _replace(env: jinja2.Environment, name: str, source: str, theme_file: Callable[[str], bool]) -> bool:
    """Serve ``source`` for template ``name``, if ``name`` and all it includes are the theme's own; whether it was."""
    if not _theme_own(env, name, theme_file):
        return False
    _serve(env, name, source)
    return True


def _serve(env: jinja2.Environment, name: str, source: str) -> None:
    """Template ``name`` is ``source`` from now on; the theme's own stays reachable as ``ORIGINAL + name``."""
    assert env.loader is not None
    if not isinstance(env.loader, _Loader):
        env.loader = _Loader(env.loader)
    env.loader.replaced[name] = source


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


def _folder_of(page: Any, nav_urls: Collection[str]) -> str | None:
    """:func:`folder_key` of the page a template renders (None for no page, or one that renders its own)."""
    url = getattr(page, "url", None)
    return folder_key(url, nav_urls) if isinstance(url, str) else None


def share(env: jinja2.Environment, nav_urls: Collection[str], theme_file: Callable[[str], bool]) -> list[str]:
    """Render the theme's navigation, header and footer once per folder of pages outside the navigation, its search
    box once and each of its words once; the templates shared (a site's override of one is left alone)."""
    shared = (
        (NAV, share_per_folder(env, NAV, nav_urls, theme_file)),
        (HEADER, not env.autoescape and share_per_folder(env, HEADER, nav_urls, theme_file, fill=_header_title)),
        (FOOTER, share_per_folder(env, FOOTER, nav_urls, theme_file, alone=_has_neighbours)),
        (SEARCH, share_search(env, theme_file)),
        (LANGUAGE, share_words(env, theme_file)),
        (BASE, share_blocks(env, BLOCKS, nav_urls, theme_file)),
    )
    return [name for name, done in shared if done]


PLACEHOLDER = "\x1fkbgen-page-title\x1f"
"""What a shared header is rendered with as the page's title; each page's own title takes its place."""


def _header_title(page: Any) -> str:
    """The title Material's header shows: ``{% if page.meta and page.meta.title %}{{ page.meta.title }}{% else %}{{ page.title }}``
    (MkDocs does not escape what a template prints)."""
    meta = getattr(page, "meta", None)
    title = meta.get("title") if isinstance(meta, Mapping) and meta else None
    return str(title if title else page.title)


class _Titled:
    """A page whose title reads as :data:`PLACEHOLDER`; everything else is the page's."""

    def __init__(self, page: Any) -> None:
        self._page = page
        self.title = PLACEHOLDER
        self.meta = {**(getattr(page, "meta", None) or {}), "title": PLACEHOLDER}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page, name)


def _has_neighbours(page: Any) -> bool:
    """A page in a sequence (previous / next links in the footer) renders its own footer."""
    return bool(getattr(page, "previous_page", None) or getattr(page, "next_page", None))


def share_per_folder(env: jinja2.Environment, name: str, nav_urls: Collection[str], theme_file: Callable[[str], bool], *,
                     fill: Callable[[Any], str] | None = None, alone: Callable[[Any], bool] | None = None) -> bool:
    """Template ``name`` rendered once per folder of pages outside the navigation (see :func:`folder_key`).

    ``fill(page)``: the one page-specific text in it, rendered as :data:`PLACEHOLDER` once and put in per page; a
    rendering in which the placeholder is not found exactly once is not shared. ``alone(page)``: a page that
    renders its own.
    """
    shared: dict[str, tuple[str, str] | None] = {}  # folder -> the rendering around the placeholder; None: not shareable

    def own(context: jinja2.runtime.Context, page: Any = None) -> str:
        # what `{% include %}` renders: the template in the including page's context
        values = context.get_all() if page is None else {**context.get_all(), "page": page}
        return env.get_template(ORIGINAL + name).render(values)

    @jinja2.pass_context
    def kbgen_shared(context: jinja2.runtime.Context) -> Markup:
        page = context.get("page")
        key = None if alone and alone(page) else _folder_of(page, nav_urls)
        if key is None:
            return Markup(own(context))
        if key not in shared:
            if fill is None:
                shared[key] = (own(context), "")
            else:
                parts = own(context, _Titled(page)).split(PLACEHOLDER)
                shared[key] = (parts[0], parts[1]) if len(parts) == 2 else None
        around = shared[key]
        if around is None:
            return Markup(own(context))
        return Markup(around[0] + fill(page) + around[1] if fill else around[0])

    function = f"kbgen_shared_{name.removeprefix('partials/').removesuffix('.html')}"
    env.globals[function] = kbgen_shared
    return _replace(env, name, f"{{{{ {function}() }}}}", theme_file)


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"({{%-?\s*block\s+{name}\s*-?%}})(.*?)({{%-?\s*endblock\b[^%]*%}})", re.DOTALL)


def share_blocks(env: jinja2.Environment, names: Collection[str], nav_urls: Collection[str], theme_file: Callable[[str], bool]) -> bool:
    """Blocks ``names`` of the theme's own ``base.html`` rendered once per folder of pages outside the navigation.

    ``base.html`` is served with each such block's body replaced by a call that renders the theme's own body in the
    page's context, or takes the rendering of an earlier page of the folder. A site's template that overrides a
    block still does (``{{ super() }}`` in it gets the same bytes). A block is left as it is if it includes or
    imports another template (a site could override that one to read the page) or holds a block of its own.
    """
    source = _theme_source(env, BASE, theme_file)
    if source is None:
        return False
    done: list[str] = []
    for name in names:
        found = list(_block(name).finditer(source))
        if len(found) != 1 or re.search(r"{%-?\s*block\b", found[0].group(2)):
            continue
        if list(jinja2.meta.find_referenced_templates(env.parse(found[0].group(2)))):
            continue
        source = source.replace(found[0].group(0), f'{found[0].group(1)}{{{{ kbgen_shared_block("{name}") }}}}{found[0].group(3)}', 1)
        done.append(name)
    if not done:
        return False
    shared: dict[tuple[str, str], Markup] = {}

    @jinja2.pass_context
    def kbgen_shared_block(context: jinja2.runtime.Context, name: str) -> Markup:
        key = _folder_of(context.get("page"), nav_urls)
        if key is not None and (name, key) in shared:
            return shared[name, key]
        html = Markup("".join(env.get_template(ORIGINAL + BASE).blocks[name](context)))
        if key is not None:
            shared[name, key] = html
        return html

    env.globals["kbgen_shared_block"] = kbgen_shared_block
    _serve(env, BASE, source)
    return True


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
