"""What kbgen changes in the theme's Jinja environment: the navigation rendered once per folder, not once per page.

Material renders its whole navigation sidebar (``partials/nav.html``) into every page, and
it was about a third of the time MkDocs spent per article. A page outside the navigation
(every article) has no active item, so its sidebar differs from another's only through the
relative links, which are the same for every page of one folder that holds no navigation
page. Such pages share one rendering; every other page (the home page, Browse, a site's own
pages in the nav) is rendered as before. Same bytes either way: only who renders changes.

The plugin calls :func:`share_nav` in ``on_env``; nothing else here knows MkDocs.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Collection
from typing import Any

import jinja2
from markupsafe import Markup

NAV = "partials/nav.html"
ORIGINAL = "kbgen-original/" + NAV
"""The theme's own navigation template, under a name the shared one can include."""
SHARED = "{{ kbgen_shared_nav() }}"


class _Loader(jinja2.BaseLoader):
    """The theme's loader, but ``NAV`` is the shared navigation and ``ORIGINAL`` the theme's own."""

    def __init__(self, inner: jinja2.BaseLoader) -> None:
        self.inner = inner

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template == NAV:
            return SHARED, None, lambda: True
        return self.inner.get_source(environment, NAV if template == ORIGINAL else template)

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


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


def share_nav(env: jinja2.Environment, nav_urls: Collection[str], theme_nav: Callable[[str], bool]) -> bool:
    """Render ``partials/nav.html`` once per folder of pages outside the navigation; False (and nothing changed)
    when the navigation template is not the theme's own (``theme_nav(filename)``), e.g. a site's override."""
    assert env.loader is not None
    try:
        _, filename, _ = env.loader.get_source(env, NAV)
    except jinja2.TemplateNotFound:
        return False
    if filename is None or not theme_nav(filename):
        return False
    shared: dict[str, Any] = {}
    env.loader = _Loader(env.loader)

    @jinja2.pass_context
    def kbgen_shared_nav(context: jinja2.runtime.Context) -> Any:
        page = context.get("page")
        url = getattr(page, "url", None)
        key = folder_key(url, nav_urls) if isinstance(url, str) else None
        if key is not None and key in shared:
            return shared[key]
        # what `{% include %}` renders: the template in the including page's context
        html = Markup(env.get_template(ORIGINAL).render(context.get_all()))
        if key is not None:
            shared[key] = html
        return html

    env.globals["kbgen_shared_nav"] = kbgen_shared_nav
    return True
