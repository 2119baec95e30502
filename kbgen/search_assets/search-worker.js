/*
 * kbgen search worker: Material for MkDocs' search, answered by Pagefind.
 *
 * Material runs its search in a web worker whose URL it reads from
 * `<script id="__config">` ("search"), and talks to it with four messages:
 * SETUP (the small search_index.json), READY, QUERY (the text in the search
 * box) and RESULT ({items: [[page, ...sections]]}). kbgen points "search" at
 * this file (kbgen.search.use_worker), so Material keeps its own search box,
 * result markup, keyboard handling, "search.highlight" and "search.share",
 * and no second script fights over the result list.
 *
 * Instead of lunr over the whole site (search_index.json: 10 MB at 10,000
 * articles), results come from Pagefind's chunked index (<site>/pagefind/),
 * loaded on the first query: the entry file, the wasm, the index chunks of the
 * query's words, and one fragment per result shown.
 *
 * Everything this worker hands to Material is inserted as HTML by Material
 * (innerHTML): titles are escaped here; Pagefind's excerpts are already
 * escaped text with <mark> around matches (checked again below).
 *
 * This file must stay at <site>/assets/kbgen/search-worker.js: the site root
 * is found relative to it.
 */
"use strict"

const SETUP = 0, READY = 1, QUERY = 2, RESULT = 3
const ROOT = new URL("../../", self.location.href)
const FIRST = 10        /* results whose fragments are fetched before answering */
const MORE = 40         /* total results fetched after the first answer */
const SECTIONS = 3      /* matching sections shown under a result, as Material does */
const WORDS = 16        /* longer queries are pastes (a log line, a traceback): no phrase or all-words search */
const TALLY = 40        /* distinct words of a paste looked up one by one, the last ones first */
const TAIL = 0.5        /* results scoring below this share of the best one are not listed */
const SPAN = 24         /* words in an excerpt */
const DEBOUNCE = 150    /* ms: typing fetches index chunks for the words, not for every prefix */

let pagefind = null     /* Promise of the Pagefind module, on the first query */
let pages = []          /* Material's own documents (pages not excluded from search) */
let latest = 0          /* number of the newest query; older answers are dropped */

function escapeHTML(text) {
  return String(text)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;")
}

/* Pagefind's excerpt is escaped text plus <mark>; anything else is escaped again. */
function safeExcerpt(html) {
  return String(html || "").split(/(<\/?mark>)/).map((part, i) => (
    i % 2 ? part : escapeHTML(part.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e) => (
      { amp: "&", lt: "<", gt: ">", quot: "\"", "#39": "'", "#x27": "'" }[e]
    )))
  )).join("")
}

function load() {
  if (!pagefind)
    pagefind = import(new URL("pagefind/pagefind.js", ROOT).href)
      .then(async pf => {
        await pf.options({ excerptLength: 24 })
        return pf
      })
      .catch(err => {
        pagefind = null
        throw err
      })
  return pagefind
}

/* The words of the query, for Material's "Missing:" line and ?h= highlighting. */
function words(query) {
  return [...new Set(query.toLowerCase().split(/\s+/)
    .map(w => w.replace(/^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$/gu, ""))
    .filter(Boolean))]
}

function terms(query, text) {
  const lower = text.toLowerCase()
  return Object.fromEntries(words(query).map(w => [w, lower.includes(w)]))
}

/* A Pagefind result (after .data()) as Material's group: the page, then sections. */
function pathOf(data) {
  return (data.raw_url || data.url || "").replace(/^\/+/, "")
}

function group(query, data, score) {
  const where = pathOf(data)
  const title = data.meta && data.meta.title ? data.meta.title : where
  const items = [{
    location: where,
    title: escapeHTML(title),
    text: excerpt(data.content, query, data.excerpt),
    score,
    terms: terms(query, `${title} ${data.content || ""}`)
  }]
  const sections = (data.sub_results || [])
    .filter(sub => sub.url && sub.url.includes("#") && /<mark>/.test(sub.excerpt || ""))
    .filter(sub => sub.title !== title)
    .slice(0, SECTIONS)
  sections.forEach((sub, i) => {
    const hash = sub.url.slice(sub.url.indexOf("#"))
    items.push({
      location: where + hash,
      title: escapeHTML(sub.title),
      text: safeExcerpt(sub.excerpt),
      score: score - 0.5 - i / 100,
      terms: {}
    })
  })
  return items
}

/* Material's own documents: every query word in the title or text. */
function matchPages(query) {
  const ws = words(query)
  if (!ws.length)
    return []
  return pages
    .filter(doc => !doc.location.includes("#"))
    .filter(doc => {
      const hay = `${doc.title} ${doc.text}`.toLowerCase()
      return ws.every(w => hay.includes(w))
    })
    .slice(0, FIRST)
}

function answer(items) {
  self.postMessage({ type: RESULT, data: { items } })
}

/* Results of one Pagefind search, or none. */
async function find(pf, text) {
  const found = await pf.search(text)
  return (found && found.results) || []
}

/* The words of a query as Pagefind splits them (letters, digits, "_"), lower case, each once. */
function tokens(text) {
  return [...new Set(text.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter(w => w.length > 1))]
}

/* Pagefind's results down to TAIL times the best score: the rest only share a common word. */
function cut(results) {
  const best = results.length ? Math.max(...results.map(r => r.score || 0)) : 0
  return results.filter(r => (r.score || 0) >= TAIL * best)
}

/*
 * Rank for pasted error messages. A short query: pages with the exact phrase
 * first, then pages with every word (Pagefind's ranking, its tail cut). When no
 * page has every word (a message whose variable part differs: a path, a font
 * name, an address) or the query is a paste (a whole log line, a traceback):
 * each word is looked up alone and a page scores the rarity-weighted share of
 * the words it has (a word on every page counts nearly nothing), the tail cut.
 * A paste's last words go first: logs and tracebacks end with the error. All
 * of this reads the same index chunks, so no extra download of the index.
 */
async function rank(pf, text) {
  const ws = text.replace(/"/g, " ").split(/\s+/).filter(Boolean)
  if (ws.length <= WORDS) {
    const phrase = ws.length > 1 ? await find(pf, `"${ws.join(" ")}"`) : []
    const all = cut(await find(pf, ws.join(" ")))
    const found = unique([...ordered(phrase, r => [1, r.score || 0]), ...ordered(all, r => [0, r.score || 0])])
    if (found.length)
      return found.slice(0, MORE)
  }
  const words = tokens(text)
  const found = []
  for (const w of words.slice(-TALLY))
    found.push(await find(pf, w))
  const pages = new Set(found.flatMap(rs => rs.map(r => r.id))).size
  const tally = new Map()
  for (const rs of found) {
    const weight = Math.log(1 + pages / Math.max(rs.length, 1))
    for (const r of rs)
      tally.set(r.id, (tally.get(r.id) || 0) + weight)
  }
  const ranked = ordered(unique(found.flat()), r => [tally.get(r.id), r.score || 0])
  const best = ranked.length ? ranked[0].key[0] : 0
  return ranked.filter(k => k.key[0] >= TAIL * best).slice(0, MORE)
}

/*
 * Results with their sort key (higher first), in a fixed order: equal keys by
 * Pagefind's page id (a hash of the page), never by the order Pagefind read its
 * files in, which differs from one file system to another.
 */
function ordered(results, key) {
  return results.map(r => ({ r, key: key(r) }))
    .sort((a, b) => compareKeys(b.key, a.key) || (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0))
}

function compareKeys(a, b) {
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i])
      return a[i] - b[i]
  return 0
}

/* How many of the query's words a result's title holds: among equal results, the one whose title names the problem first. */
function titleHits(query, data) {
  const title = new Set(tokens(data.meta && data.meta.title ? data.meta.title : ""))
  return tokens(query).filter(w => title.has(w)).length
}

function unique(results) {
  const seen = new Set()
  return results.filter(k => {
    const id = (k.r || k).id
    return !seen.has(id) && seen.add(id)
  })
}

/*
 * The excerpt: the SPAN words of the page that hold most of the query's words
 * (then the longest run of them), so a pasted message shows where it matched,
 * also in a merged case's title under "Also reported as". Built from the page
 * text and escaped here; Pagefind's own excerpt when no query word is found.
 */
function excerpt(content, query, fallback) {
  const want = new Set(tokens(query))
  const re = /[\p{L}\p{N}_]+/gu
  const toks = []
  for (const m of String(content || "").matchAll(re))
    toks.push({ s: m.index, e: m.index + m[0].length, hit: want.has(m[0].toLowerCase()) })
  let start = -1, top = 0
  for (let i = 0; i < toks.length; i++) {
    if (!toks[i].hit)
      continue
    const seen = new Set()
    let run = 0, longest = 0
    for (let j = i; j < Math.min(toks.length, i + SPAN); j++) {
      run = toks[j].hit ? run + 1 : 0
      longest = Math.max(longest, run)
      if (toks[j].hit)
        seen.add(content.slice(toks[j].s, toks[j].e).toLowerCase())
    }
    const score = seen.size * SPAN + longest
    if (score > top) {
      top = score
      start = i
    }
  }
  if (start < 0)
    return safeExcerpt(fallback)
  const from = Math.max(0, start - 3), to = Math.min(toks.length, from + SPAN)
  let html = from > 0 ? "… " : ""
  let pos = toks[from].s
  for (let j = from; j < to; j++) {
    const word = escapeHTML(content.slice(toks[j].s, toks[j].e))
    html += escapeHTML(content.slice(pos, toks[j].s)) + (toks[j].hit ? `<mark>${word}</mark>` : word)
    pos = toks[j].e
  }
  return html + (to < toks.length ? " …" : "")
}

async function run(query, id) {
  const text = query.trim()
  if (!text)
    return answer([])
  const pf = await load()
  if (id !== latest)
    return
  const results = await rank(pf, text)
  if (id !== latest)
    return
  const build = datas => {
    const groups = datas.map((data, i) => group(text, data, results.length - i + FIRST))
    const shown = new Set(groups.map(([page]) => page.location))
    const extra = matchPages(text).filter(doc => !shown.has(doc.location))
    return [...groups, ...extra.map((doc, i) => [{
      location: doc.location,
      title: doc.title,  /* Material's own index holds HTML, rendered as Material's worker does */
      text: doc.text,
      score: FIRST - i,
      terms: terms(text, `${doc.title} ${doc.text}`)
    }])]
  }
  const loaded = await Promise.all(results.slice(0, FIRST).map(k => k.r.data()))
  if (id !== latest)
    return
  const first = loaded.map((data, i) => ({ data, i, key: results[i].key, hits: titleHits(text, data) }))
    .sort((a, b) => compareKeys(b.key, a.key) || b.hits - a.hits || a.i - b.i)
    .map(t => t.data)
  answer(build(first))
  if (results.length > FIRST) {
    const more = await Promise.all(results.slice(FIRST).map(k => k.r.data()))
    if (id === latest)
      answer(build([...first, ...more]))
  }
}

self.addEventListener("message", ev => {
  const message = ev.data || {}
  switch (message.type) {
    case SETUP:
      pages = (message.data && message.data.docs) || []
      self.postMessage({ type: READY })
      break
    case QUERY: {
      const id = ++latest
      const query = String(message.data || "")
      const go = () => run(query, id).catch(err => {
        if (id === latest)
          answer([])
        console.error("kbgen search:", err)
      })
      if (query.trim())
        setTimeout(() => id === latest && go(), DEBOUNCE)
      else
        go()
      break
    }
  }
})
