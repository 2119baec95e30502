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
const WORDS = 16        /* a pasted log is searched by its first words, not by every chunk */
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
    text: safeExcerpt(data.excerpt),
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

function unique(results) {
  const seen = new Set()
  return results.filter(r => !seen.has(r.id) && seen.add(r.id))
}

/*
 * Rank for pasted error messages: pages with the exact phrase first, then pages
 * with every word (Pagefind's own ranking), then, if that is not a screenful,
 * pages with most of the words, so a message whose variable part differs
 * (a path, a font name, an address) still finds its article. All three read the
 * same index chunks, so the fallback costs no extra download of the index.
 */
async function rank(pf, text) {
  const ws = text.replace(/"/g, " ").split(/\s+/).filter(Boolean).slice(0, WORDS)
  const phrase = ws.length > 1 ? await find(pf, `"${ws.join(" ")}"`) : []
  let results = unique([...phrase, ...await find(pf, ws.join(" "))])
  if (results.length < FIRST && ws.length > 1) {
    const tally = new Map()
    for (const w of ws)
      for (const r of await find(pf, w)) {
        const t = tally.get(r.id) || { r, n: 0, score: 0 }
        t.n += 1
        t.score += r.score
        tally.set(r.id, t)
      }
    const some = [...tally.values()]
      .sort((a, b) => b.n - a.n || b.score - a.score)
      .map(t => t.r)
    results = unique([...results, ...some])
  }
  return results.slice(0, MORE)
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
  const first = await Promise.all(results.slice(0, FIRST).map(r => r.data()))
  if (id !== latest)
    return
  answer(build(first))
  if (results.length > FIRST) {
    const more = await Promise.all(results.slice(FIRST).map(r => r.data()))
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
