"""The pages of the site, one function each, as Markdown + metadata, and the data files.

Pure functions: nothing here knows MkDocs. ``render.render`` calls them, turns each page
into finished, sanitised HTML and returns the whole site. Every string from case text
is escaped here; links are site URLs (``models.article_url``), never ``.md`` paths.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import yaml

from . import chart, editions, markdown, plaintext, safety, words
from .models import Article, Case, Result, RootCause, Settings, TopIssue, article_url, fold_id, redirect_path, source_path
from .rank import issues_to_json, root_cause_json

__all__ = ["Settings"]  # kept importable from here: pages.Settings is what the page functions take

PAGE_SIZE = 100
ERROR_CODE = re.compile(r"`([^`\n]{3,120})`")


@dataclass(frozen=True)
class Part:
    """A finished piece of HTML that a page's Markdown ``source`` holds as a one-line paragraph, ``token``.

    Python-Markdown only passes raw HTML through, slowly (it parses every tag of a block to find its end),
    so an article's sections, banner and facts skip it: ``render`` converts the short source (headings, for
    the table of contents, and lists) and puts each part in its token's place. ``sanitise`` parts hold
    case text; the others are kbgen's own markup built from escaped strings.
    """

    token: str
    html: str
    sanitise: bool = False
    case: bool = False
    """``html`` is one section of case text: sanitised for the page it lands in (``safety.sanitise_case``: its ids
    prefixed, nothing the theme or kbgen's script reads), then put in kbgen's own section wrapper."""

    def finished(self) -> str:
        if self.case:
            return f'<div class="kb-section">\n{safety.sanitise_case(self.html).strip()}\n</div>\n'
        return safety.sanitise(self.html) if self.sanitise else self.html


@dataclass(frozen=True)
class Items:
    """A tight Markdown list that a page's ``source`` holds as a one-line paragraph, ``token``: ``lines`` are its items.

    Each item renders alone, whatever page it is on (a related article's line is the same on every article:
    they are all one folder deep), so ``render`` converts every distinct line once for the whole site and
    builds each page's list from the results instead of running Python-Markdown over 5-50 list items per page.
    """

    token: str
    lines: tuple[str, ...]
    links: tuple[tuple[str, str], ...] = ()
    """Per line, a placeholder its link holds and the page's own URL for it ((“”, “”): none). An article listed on
    pages at different depths (a product's, a component's, a root cause's) links there by different relative URLs;
    with the placeholder its line is the same everywhere and is converted once."""

    @property
    def markdown(self) -> str:
        return "\n".join(self.linked(n, line) for n, line in enumerate(self.lines))

    def linked(self, n: int, text: str) -> str:
        """Line ``n``'s Markdown or converted ``<li>`` with its page's own URL in place of the placeholder (which no
        case text can spell, see :func:`link_placeholder`)."""
        held, url = self.links[n] if self.links else ("", "")
        return text.replace(held, url, 1) if held else text


@dataclass(frozen=True)
class Page:
    """A generated Markdown page: ``path`` is its source path (``kb/<id>/index.md``).

    ``sanitise`` is False only for a page built from escaped strings alone that carries markup the case-text
    sanitiser would drop (the top-issues chart); ``searchable`` pages are what a reader's search finds.
    ``source`` is the Markdown with a token paragraph per ``parts`` and ``lists`` item; ``body`` the same with
    the parts and lists in.
    """

    path: str
    meta: dict[str, object]
    source: str
    in_nav: bool = False
    sanitise: bool = True
    searchable: bool = False
    search_label: bool = False  # the home page's button is a label that opens Material's search: the sanitiser keeps it
    parts: tuple[Part, ...] = ()
    lists: tuple[Items, ...] = ()

    @property
    def with_lists(self) -> str:
        """``source`` with each list back in as Markdown (the parts still tokens)."""
        source = self.source
        for items in self.lists:
            source = source.replace(items.token, items.markdown, 1)
        return source

    @property
    def body(self) -> str:
        """The whole page as Markdown, each part as a raw HTML block (what ``kbgen export`` would show a reader)."""
        body = self.with_lists
        for part in self.parts:
            body = body.replace(part.token, part.finished().strip(), 1)
        return body

    @property
    def markdown(self) -> str:
        front = yaml.safe_dump(self.meta, sort_keys=True, allow_unicode=True, width=10_000)
        return f"---\n{front}---\n\n{self.body}"


def assemble(blocks: Sequence[str | Part | Items]) -> tuple[str, tuple[Part, ...], tuple[Items, ...]]:
    """A page's Markdown source, parts and lists from its blocks in order (a ``Part`` or ``Items`` given with an empty token).

    Each token is a digest of the whole page, so no case text can spell it: a case would have to contain
    the digest of itself.
    """
    text = "\0".join(b if isinstance(b, str) else b.html if isinstance(b, Part) else "\n".join(b.lines) for b in blocks)
    digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    parts: list[Part] = []
    lists: list[Items] = []
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, str):
            lines.append(block)
        elif isinstance(block, Part):
            parts.append(Part(f"kbgenpart{digest}n{len(parts)}", block.html, block.sanitise, block.case))
            lines.append(f"{parts[-1].token}\n")
        else:
            lists.append(Items(f"kbgenpart{digest}l{len(lists)}", block.lines, block.links))
            lines.append(f"{lists[-1].token}\n")
    return "\n".join(lines), tuple(parts), tuple(lists)


@dataclass(frozen=True)
class DataFile:
    path: str
    content: str


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def md_inline(text: str) -> str:
    """Case text for inline Markdown: HTML escaped, link brackets and attribute braces neutralised, code spans kept."""
    return re.sub(r"([\[\]\\{}])", r"\\\1", html.escape(text, quote=False))


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "other"


SLUG_MAX = 64


def unique_slugs(names: Iterable[str]) -> dict[str, str]:
    """A URL slug per name; names that would share one ("Prod" and "prod", or two non-Latin names) get a short hash."""
    by_slug: dict[str, list[str]] = defaultdict(list)
    for name in sorted(set(names)):
        slug = slugify(name)
        if len(slug) > SLUG_MAX:  # a 300-character product name must not make a file name the file system refuses
            slug = f"{slug[: SLUG_MAX - 9].rstrip('-')}-{zlib.crc32(slug.encode('utf-8')):08x}"
        by_slug[slug].append(name)
    out: dict[str, str] = {}
    for slug, group in by_slug.items():
        for name in group:
            out[name] = slug if len(group) == 1 else f"{slug}-{zlib.crc32(name.encode('utf-8')):08x}"[:64]
    return out


def rel(from_dir: str, to: str) -> str:
    """Relative link between two site URLs, e.g. rel("products/x/", "kb/a/") is "../../kb/a/".

    posixpath.relpath's answer for these plain relative URLs, without its two getcwd calls (a build makes
    one link per related article and list item: tens of thousands).
    """
    here = [p for p in from_dir.split("/") if p and p != "."]
    there = [p for p in to.split("/") if p and p != "."]
    common = 0
    for a, b in zip(here, there, strict=False):  # the shorter one ends the common part
        if a != b:
            break
        common += 1
    link = "/".join([".."] * (len(here) - common) + there[common:]) or "."
    return "./" if link == "." else f"{link}/" if to.endswith("/") else link


def errors_in(text: str) -> list[str]:
    """Error strings an agent quoted in code spans: what customers paste into search."""
    return [m.group(1).strip() for m in ERROR_CODE.finditer(text)]


# --- article -------------------------------------------------------------------------------------

KIND_WORDS = {
    "defect": "Known defect",
    "usability": "Known usability problem",
    "documentation": "Documentation gap",
    "configuration": "Configuration problem",
    "third-party": "Caused by a third-party product",
    "by-design": "Works as designed",
}
STATUS_WORDS = {
    "open": "not scheduled yet; use the solution below",
    "investigating": "under investigation; use the solution below meanwhile",
    "fix-planned": "fix planned; use the solution below until it ships",
    "fixed": "fixed",
    "wont-fix": "will not be fixed; use the workaround below",
}
ADMONITION = {"fixed": "success", "wont-fix": "warning", "fix-planned": "info", "investigating": "info", "open": "note"}


def status_line(rc: RootCause) -> tuple[str, str]:
    """The banner a customer reads at a glance: (admonition type, plain-words headline)."""
    if rc.status == "fixed":
        if rc.fixed_in:
            return "success", f"Fixed in {rc.fixed_in}: upgrade to resolve"
        if rc.fixed_on:
            return "success", f"Fixed on {rc.fixed_on.isoformat()}: update to the latest version to resolve"
        return "success", "Fixed: update to the latest version to resolve"
    if rc.kind == "by-design":
        return "note", "Works as designed: use the workaround below"
    return ADMONITION[rc.status], f"{KIND_WORDS[rc.kind]}, {STATUS_WORDS[rc.status]}"


def banner(rc: RootCause, since_fix: int = 0) -> str:
    """The status box; ``since_fix`` cases resolved after a fix shipped turn "fixed" into a plain warning."""
    kind, headline = status_line(rc)
    if since_fix and rc.fixed_on:
        kind = "warning"
        fix = f"fixed in {rc.fixed_in}" if rc.fixed_in else f"fixed on {rc.fixed_on.isoformat()}"
        headline = (f"Marked {fix}, but reported {words.count(since_fix, 'more time')} since "
                    f"{rc.fixed_on.isoformat()}: if upgrading does not help, use the solution below")
    bits = [f"Root cause: {esc(rc.title)}."]
    if rc.tracker:
        bits.append(f'Tracked as <a href="{esc(rc.tracker)}">{esc(rc.id)}</a>.')
    return (
        f'<div class="admonition {kind} kb-status" data-status="{esc(rc.status)}" data-kind="{esc(rc.kind)}">\n'
        f'<p class="admonition-title">{esc(headline)}</p>\n<p>{" ".join(bits)}</p>\n</div>\n'
    )


def _union(values: Iterable[str]) -> list[str]:
    return sorted(set(values), key=lambda v: (v.lower(), v))


def _versions(article: Article) -> list[str]:
    def key(v: str) -> tuple:
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-]", v))

    return sorted({v for c in article.cases for v in c.versions}, key=key)


def solution_html(case: Case) -> str:
    """The solution's HTML as the parse that found the section rendered it (unsanitised; rendered now for a section
    built by hand): what its article shows, once sanitised."""
    s = case.find_section("solution")
    return (s.html or markdown.render(s.body)) if s else ""


def solution_plaintext(html: str) -> str:
    """The plain text of a solution's HTML (``solution_html``) as its page shows it: sanitised, then read as text."""
    return plaintext.from_html(safety.sanitise_case(html))


def summary(case: Case, limit: int = 300, text: str | None = None) -> str:
    """The solution as one line of plain text (code verbatim), cut at a word: meta description and feed summary.

    ``text``: the solution's ``solution_plaintext`` when the caller has it already (a parse per use is most of a page's cost).
    """
    return plaintext.shorten(" ".join((solution_plaintext(solution_html(case)) if text is None else text).split()), limit)


def reply(case: Case, text: str | None = None, title: str | None = None) -> str:
    """What "Copy reply" copies before the link: the title, then every step of the solution, numbered, code verbatim.

    ``text`` and ``title``: the solution's ``solution_plaintext`` and the title's ``plaintext.to_line``, when the caller has them.
    """
    return f"{plaintext.to_line(case.title) if title is None else title}\n\n{solution_plaintext(solution_html(case)) if text is None else text}"


ALSO_REPORTED_LIMIT = 25
"""Phrasings shown per article: enough for search to find it by the common ones, while the page stays small."""


def _most_common(values: Iterable[str], limit: int) -> tuple[list[str], int]:
    counts = Counter(values)
    ranked = sorted(counts, key=lambda v: (-counts[v], v.lower(), v))
    return ranked[:limit], max(0, len(ranked) - limit)


def also_reported(article: Article, limit: int = ALSO_REPORTED_LIMIT) -> tuple[list[str], list[str], int]:
    """Other titles and distinct error strings (the most frequent first), and how many more were left out."""
    titles, more_titles = _most_common((c.title for c in article.cases if c.title != article.best.title), limit)
    own = set(errors_in(article.best.problem + "\n" + article.best.solution + "\n" + article.best.title))
    errs, more_errs = _most_common((e for c in article.cases for e in dict.fromkeys(errors_in(c.title + "\n" + c.problem)) if e not in own), limit)
    return titles, errs, more_titles + more_errs


def article_page(article: Article, related: Sequence[Article], result: Result, settings: Settings, solution_text: str | None = None,
                 title_line: str | None = None) -> Page:
    """``solution_text`` and ``title_line``: the best case's solution as ``solution_plaintext`` made it and its title as
    ``plaintext.to_line`` did, when the caller has them already."""
    best, here = article.best, article.url
    text = solution_plaintext(solution_html(best)) if solution_text is None else solution_text
    products = _union(c.product for c in article.cases)
    versions = _versions(article)
    components = _union(c.component for c in article.cases if c.component)
    tags = _union(t for c in article.cases for t in c.tags)
    out: list[str | Part | Items] = [f"# {md_inline(best.title)}\n"]
    rc = article.root_cause
    if rc:
        # sanitised like the whole page was: the tracker link gets the same rel as any other
        out.append(Part("", banner(rc, result.since_fix.get(article.id, 0)), sanitise=True))
    facts = [("Product", ", ".join(products)), ("Applies to", ", ".join(versions) or "all versions")]
    if components:
        facts.append(("Component", ", ".join(components)))
    count = len(article.cases)
    if count > 1:
        facts.append(("Reported", f"{count} times between {article.first_resolved} and {article.last_resolved}"))
    else:
        facts.append(("Resolved", article.last_resolved.isoformat()))
    out.append(Part("", '<dl class="kb-facts">\n' + "".join(f"<dt>{esc(k)}</dt>\n<dd>{esc(v)}</dd>\n" for k, v in facts) + "</dl>\n"))
    order = {"problem": 0, "environment": 1, "solution": 2, "cause": 3}
    sections = sorted(best.sections, key=lambda s: order.get(s.key, 4))
    for s in sections:
        # The heading stays Markdown (the toc anchors it); the body is the HTML rendered from the
        # parse that found the section, a part sanitised as case text when the page is rendered.
        out.append(f"## {md_inline(s.title.strip())}\n")
        out.append(Part("", s.html or markdown.render(s.body), case=True))
    if settings.team:
        out.append(editions.team_sections(article))
    titles, errs, more = also_reported(article)
    if titles or errs:
        out.append("## Also reported as\n")
        also = [f"- {md_inline(t)}" for t in titles] + [f"- <code>{esc(e)}</code>" for e in errs]
        out.append(Items("", tuple(also + ([f"- and {more} more phrasings"] if more else []))))
    if related:
        out.append("## Related articles\n")
        out.append(Items("", tuple(f"- [{md_inline(r.best.title)}]({rel(here, r.url)})" for r in related)))
    meta: dict[str, object] = {
        "title": esc(best.title),
        "description": esc(summary(best, 160, text)),
        "template": "kb-article.html",
        "kb_id": article.id,
        "kb_reply": reply(best, text, title_line),
        "kb_updated": article.last_resolved.isoformat(),
        "tags": [esc(t) for t in tags],  # themes print tags unescaped
        "search": {"boost": 2},
    }
    if settings.feedback_url:
        sep = "&" if "?" in settings.feedback_url else "?"
        meta["kb_feedback"] = f"{settings.feedback_url}{sep}article={article.id}"
    source, parts, lists = assemble(out)
    return Page(source_path(here), meta, source, searchable=True, parts=parts, lists=lists)


def related_articles(articles: Sequence[Article], limit: int = 5) -> dict[str, list[Article]]:
    """Articles that share the root cause, then the component: what a reader tries next (most reported first)."""
    by_rc: dict[str, list[Article]] = defaultdict(list)
    by_comp: dict[tuple[str, str], list[Article]] = defaultdict(list)
    for a in sorted(articles, key=lambda o: (-len(o.cases), o.slug)):
        if a.root_cause:
            by_rc[a.root_cause.id].append(a)
        if a.canonical.component:
            by_comp[(a.canonical.product, a.canonical.component)].append(a)
    out: dict[str, list[Article]] = {}
    for a in articles:
        pools = [by_rc[a.root_cause.id] if a.root_cause else [], by_comp.get((a.canonical.product, a.canonical.component or ""), [])]
        picked: dict[str, Article] = {}
        for pool in pools:  # each pool is sorted once; only its head is read, so this is linear in the articles
            for other in pool[: limit + 1 + len(picked)]:
                if other.id != a.id and len(picked) < limit:
                    picked.setdefault(other.id, other)
        out[a.id] = list(picked.values())
    return out


# --- lists ---------------------------------------------------------------------------------------


def _item(a: Article, here: str) -> str:
    return _item_to(a, rel(here, a.url))


def _item_to(a: Article, url: str) -> str:
    extra = f" · {len(a.cases)} reports" if len(a.cases) > 1 else ""
    return f"- [{md_inline(a.best.title)}]({url}) <small>{md_inline(a.canonical.product)} · {a.last_resolved}{extra}</small>"


def link_placeholder(articles: Sequence[Article]) -> str:
    """A link target no case text can spell (a digest of every listed article's text), for :class:`Items` links."""
    text = "\0".join(f"{a.id}\0{a.best.title}\0{a.canonical.product}" for a in articles)
    return "kbgenlink" + hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def paginated(base: str, title: str, intro: str, articles: Sequence[Article], link: str | None = None) -> list[Page]:
    """A list of articles split into pages of PAGE_SIZE, so no page grows with the knowledge base. ``link``: the
    :func:`link_placeholder` the list's lines link with (one for the whole site, so that an article's line is the
    same on every list), each page's own relative URL put in after conversion."""
    link = link or link_placeholder(articles)
    chunks = [articles[i : i + PAGE_SIZE] for i in range(0, len(articles), PAGE_SIZE)] or [[]]
    pages = []
    for n, chunk in enumerate(chunks, 1):
        here = base if n == 1 else f"{base}page/{n}/"
        blocks: list[str | Part | Items] = [f"# {md_inline(title)}\n", f"{intro}\n"]
        if chunk:
            held = [f"{link}{a.slug}" for a in chunk]
            blocks.append(Items("", tuple(_item_to(a, h) for a, h in zip(chunk, held, strict=True)),
                                tuple((h, rel(here, a.url)) for a, h in zip(chunk, held, strict=True))))
        if len(chunks) > 1:
            nav = []
            if n > 1:
                prev = base if n == 2 else f"{base}page/{n - 1}/"
                nav.append(f"[← Newer]({rel(here, prev)})")
            nav.append(f"Page {n} of {len(chunks)}")
            if n < len(chunks):
                nav.append(f"[Older →]({rel(here, f'{base}page/{n + 1}/')})")
            blocks.append(" · ".join(nav) + "\n")
        source, parts, lists = assemble(blocks)
        meta: dict[str, object] = {"title": esc(title if n == 1 else f"{title} (page {n})"), "search": {"exclude": True}}
        pages.append(Page(source_path(here), meta, source, parts=parts, lists=lists))
    return pages


def newest(articles: Iterable[Article]) -> list[Article]:
    return sorted(articles, key=lambda a: (-a.last_resolved.toordinal(), a.slug))


def browse_pages(articles: Sequence[Article]) -> list[Page]:
    by_product: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_product[a.canonical.product].append(a)
    product_slugs = unique_slugs(by_product)
    link = link_placeholder(articles)
    pages: list[Page] = []
    lines = ["# Browse\n", "Every article by product and area. Looking for an error message? Use the search.\n"]
    for product in sorted(by_product, key=lambda p: (p.lower(), p)):
        group = by_product[product]
        pslug = product_slugs[product]
        lines.append(f"## [{md_inline(product)}]({rel('browse/', f'products/{pslug}/')})\n")
        comps: dict[str, list[Article]] = defaultdict(list)
        for a in group:
            comps[a.canonical.component or "other"].append(a)
        comp_slugs = unique_slugs(comps)
        for comp in sorted(comps, key=lambda c: (c.lower(), c)):
            cslug = comp_slugs[comp]
            lines.append(f"- [{md_inline(comp)}]({rel('browse/', f'products/{pslug}/{cslug}/')}) ({len(comps[comp])})")
            pages += paginated(f"products/{pslug}/{cslug}/", f"{product}: {comp}", f"Articles about {md_inline(comp)} in {md_inline(product)}, newest first.",
                               newest(comps[comp]), link)
        lines.append("")
        pages += paginated(f"products/{pslug}/", product, f"All {words.count(len(group), 'article')} about {md_inline(product)}, newest first.",
                           newest(group), link)
    pages.append(Page("browse/index.md", {"title": "Browse", "search": {"exclude": True}}, "\n".join(lines), in_nav=True))
    return pages


def home_page(result: Result, settings: Settings, limit: int = 10) -> Page:
    products = sorted({a.canonical.product for a in result.articles}, key=lambda p: (p.lower(), p))
    product_slugs = unique_slugs(products)
    lines = [
        f"# {md_inline(settings.site_name)}\n",
        "Search by the error message you see, or browse by product.\n",
        '<label class="md-button md-button--primary kb-search-button" for="__search">Search the knowledge base</label>\n',
        "## Products\n",
        *[f"- [{md_inline(p)}](products/{product_slugs[p]}/)" for p in products],
        "",
        "## Newest articles\n",
        *[_item(a, "") for a in newest(result.articles)[:limit]],
        "",
        "See also the [top issues](top-issues/) and [known issues](known-issues/).\n"
        if settings.top_issues != "off" else "See also the [known issues](known-issues/).\n",
    ]
    return Page("index.md", {"title": "Home", "search": {"exclude": True}}, "\n".join(lines), in_nav=True, search_label=True)


KNOWN_ISSUE_ARTICLES = 10


def known_issues_pages(result: Result, team: bool = False) -> list[Page]:
    """Every root cause with its status and its most reported articles; a root cause with more gets its own pages."""
    by_rc: dict[str, list[Article]] = defaultdict(list)
    for a in result.articles:
        if a.root_cause:
            by_rc[a.root_cause.id].append(a)
    lines = ["# Known issues\n", "Every known root cause, where its fix stands, and the articles it causes.\n"]
    pages: list[Page] = []
    order = {s: i for i, s in enumerate(("open", "investigating", "fix-planned", "wont-fix", "fixed"))}
    rc_slugs = unique_slugs(result.root_causes)
    link = link_placeholder(result.articles)
    public = {c.root_cause for c in result.cases if c.public}
    # naming them would reveal internal cases, except to the team
    internal_only = set() if team else {c.root_cause for c in result.cases if not c.public} - public
    for rc in sorted(result.root_causes.values(), key=lambda r: (order[r.status], fold_id(r.id))):
        if rc.id in internal_only:
            continue
        arts = sorted(by_rc.get(rc.id, []), key=lambda a: (-len(a.cases), a.slug))
        _, headline = status_line(rc)
        lines.append(f"## {md_inline(rc.id)}: {md_inline(rc.title)}\n")
        track = f' · <a href="{esc(rc.tracker)}">tracker</a>' if rc.tracker else ""
        lines.append(f"<p class=\"kb-rc\"><strong>{esc(headline)}</strong> · kind: {esc(rc.kind)} · status: {esc(rc.status)}{track}</p>\n")
        cases = sum(len(a.cases) for a in arts)
        lines.append(f"{words.count(len(arts), 'article')}, {words.count(cases, 'case')}.\n" if arts else "No public articles.\n")
        lines += [f"- [{md_inline(a.best.title)}]({rel('known-issues/', a.url)}) ({words.count(len(a.cases), 'case')})" for a in arts[:KNOWN_ISSUE_ARTICLES]]
        if len(arts) > KNOWN_ISSUE_ARTICLES:
            base = f"known-issues/{rc_slugs[rc.id]}/"
            lines.append(f"- [All {len(arts)} articles]({rel('known-issues/', base)})")
            pages += paginated(base, f"{rc.id}: {rc.title}", f"Articles caused by {esc(rc.id)}, newest first.", newest(arts), link)
        lines.append("")
    pages.append(Page("known-issues/index.md", {"title": "Known issues", "search": {"exclude": True}}, "\n".join(lines), in_nav=True))
    return pages


# --- top issues ----------------------------------------------------------------------------------


def _money(value: float, currency: str) -> str:
    return f"{value:,.0f} {currency}".strip()


def _trend(issue: TopIssue) -> str:
    """rank.trend's word (as in the JSON) with the numbers a reader wants, as HTML."""
    word = issue.trend
    if word == "new":
        return "new"
    was = f"<small>was {issue.previous_cases}</small>"
    if word == "flat":  # counts this small move by chance: saying "up" would mislead
        return f"no clear change {was}"
    arrow = {"up": "▲", "down": "▼"}[word]
    return f"{arrow} {issue.cases - issue.previous_cases:+d} {was}"


def _rc_cell(issue: TopIssue, settings: Settings) -> str:
    rc = issue.article.root_cause
    if rc is None:
        return '<span class="kb-none">none yet</span>'
    status = [esc(rc.kind), f"fixed in {esc(rc.fixed_in)}" if rc.fixed_in else esc(rc.status)]
    if rc.tracker:
        status.append(f'<a href="{esc(rc.tracker)}">tracker</a>')
    return f"<strong>{esc(rc.id)}</strong> {esc(rc.title)}<br><small>{' · '.join(status)}</small>"


FLAG_WORDS = {
    "fixed-but-recurring": "Fixed, yet cases keep arriving after the fix",
    "no-root-cause": "No root cause: nobody has triaged it",
}


def _problem_cell(issue: TopIssue, settings: Settings) -> str:
    flags = "".join(f'<span class="kb-flag kb-flag--{esc(f)}">{esc(FLAG_WORDS.get(f, f))}</span>' for f in issue.flags)
    return f'<a href="{esc(rel("top-issues/", issue.article.url))}">{esc(issue.article.best.title)}</a>{flags}'


@dataclass(frozen=True)
class Column:
    """One column of the top-issues table. ``key`` names it, so an edition can leave columns out by key."""

    key: str
    head: str
    cell: Callable[[TopIssue, Settings], str]
    kind: str = ""  # "num": narrow, right-aligned, labelled inline on a phone; "rc": under the problem on a phone


TOP_COLUMNS: tuple[Column, ...] = (
    Column("rank", "#", lambda i, s: str(i.rank), "rank"),
    Column("problem", "Problem", _problem_cell, "problem"),
    Column("cases", "Cases", lambda i, s: f"{i.cases} <small>{i.share:.0%}, cum. {i.cumulative_share:.0%}</small>", "num"),
    Column("customers", "Customers, agent hours",
           lambda i, s: f"{i.customers} <small>{i.agent_hours:.1f} h, {esc(_money(i.cost, s.currency))}</small>", "num"),
    Column("days", "Days to resolve", lambda i, s: "—" if i.median_days_to_resolve is None else f"{i.median_days_to_resolve:g}", "num"),
    Column("trend", "Trend", lambda i, s: _trend(i), "num"),
    Column("root_cause", "Root cause", _rc_cell, "rc"),
)


TEAM_COLUMNS = frozenset({"customers"})
"""Columns for the team, not the public: shown only with ``public_top_issues: full`` and in the team's edition."""


def top_issues_table(shown: Sequence[TopIssue], settings: Settings, columns: Sequence[Column] = TOP_COLUMNS) -> str:
    """The table as HTML: one row per issue, cells labelled for the phone layout (kbgen.css turns rows into cards)."""
    head = "".join(f'<th scope="col" class="kb-col-{c.kind or c.key}">{esc(c.head)}</th>' for c in columns)
    rows = [
        "<tr>" + "".join(f'<td class="kb-col-{c.kind or c.key}" data-label="{esc(c.head)}">{c.cell(i, settings)}</td>' for c in columns) + "</tr>"
        for i in shown
    ]
    return "\n".join(['<div class="kb-top" tabindex="0">', '<table class="kb-top-table">', f"<thead><tr>{head}</tr></thead>", "<tbody>",
                      *rows, "</tbody>", "</table>", "</div>"])


def top_issues_page(result: Result, settings: Settings) -> Page:
    top = result.top
    shown = top.issues[: settings.top_count]
    lines = ["# Top issues\n"]
    days = words.count(top.window_days, "day")
    if not shown:
        lines.append(f"No cases in the {days} to {top.as_of}.\n")
    else:
        share = shown[-1].cumulative_share
        problems = "The top problem" if len(shown) == 1 else f"The top {len(shown)} problems"
        lines.append(
            f'<p class="kb-headline">{problems} caused <strong>{share:.0%}</strong> of the '
            f"{words.count(top.total_cases, 'case')} in the {days} to {top.as_of}.</p>\n"
        )
        lines.append(f'<figure class="kb-pareto">\n{chart.pareto_svg(top, settings.top_count, settings.currency)}\n</figure>\n')
        columns = [c for c in TOP_COLUMNS if settings.top_issues == "full" or c.key not in TEAM_COLUMNS]
        lines += [top_issues_table(shown, settings, columns), ""]
    lines.append(
        f"Cases are counted in the {days} up to and including {top.as_of}; the trend compares them with the "
        f"{days} before, and says up or down only when chance is an unlikely explanation (p < 0.05). "
        "Days to resolve is the median from opened to resolved. "
        "The full ranking is in [api/top-issues.json](../api/top-issues.json).\n"
    )
    meta: dict[str, object] = {"title": "Top issues", "search": {"exclude": True}, "hide": ["toc"]}
    # Built from escaped strings only; it holds the chart's SVG, which the case-text sanitiser would drop.
    return Page("top-issues/index.md", meta, "\n".join(lines), in_nav=True, sanitise=False)


# --- data ----------------------------------------------------------------------------------------


def article_json(a: Article, settings: Settings) -> dict[str, object]:
    return {
        "id": a.id,
        "title": a.best.title,
        "url": f"{settings.site_url}{a.url}",
        "product": a.canonical.product,
        "products": _union(c.product for c in a.cases),
        "versions": _versions(a),
        "component": a.canonical.component,
        "tags": _union(t for c in a.cases for t in c.tags),
        "root_cause": root_cause_json(a.root_cause),
        "merged": list(a.merged_ids),
        "cases": [c.id for c in a.cases],
        "case_count": len(a.cases),
        "first_resolved": a.first_resolved.isoformat(),
        "last_resolved": a.last_resolved.isoformat(),
    }


def dumps(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def api_files(result: Result, settings: Settings) -> list[DataFile]:
    articles = {"as_of": result.as_of.isoformat(), "articles": [article_json(a, settings) for a in result.articles]}
    files = [DataFile("api/articles.json", dumps(articles))]
    if settings.top_issues != "off":
        top = issues_to_json(result.top, settings.site_url, team_fields=settings.top_issues == "full")
        files.append(DataFile("api/top-issues.json", dumps(top)))
    return files


def redirect_html(article: Article, from_id: str, settings: Settings) -> str:
    """A merged case's old URL: meta refresh and a plain link (relative, so any host works), rel=canonical."""
    here = esc(rel(article_url(from_id), article.url))
    canonical = esc(f"{settings.site_url}{article.url}") if settings.site_url else here
    title = esc(article.best.title)
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>Moved: {title}</title>\n<link rel=\"canonical\" href=\"{canonical}\">\n"
        f"<meta http-equiv=\"refresh\" content=\"0; url={here}\">\n<meta name=\"robots\" content=\"noindex\">\n</head>\n<body>\n"
        f"<p>{esc(from_id)} was merged into <a href=\"{here}\">{title}</a>.</p>\n</body>\n</html>\n"
    )


def _marked(page: str, settings: Settings) -> str:
    return editions.mark_page(page) if settings.team else page


def redirects(result: Result, settings: Settings) -> list[DataFile]:
    """Every merged case id keeps its URL: ``kb/<id>/`` redirects to its article."""
    return [
        DataFile(redirect_path(case_id), _marked(redirect_html(a, case_id, settings), settings))
        for a in result.articles
        for case_id in a.merged_ids
    ]
