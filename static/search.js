/* PRODUCTHEAD: instant search on /search, and "/" to reach the search box from any page.
 *
 * Progressive enhancement only: without this file every search is the plain GET form. A strict
 * CSP (script-src 'self'; style-src 'self') applies, so nothing here writes inline styles, and
 * untrusted text only ever reaches the page through text nodes, never innerHTML.
 */
"use strict";

(() => {
  const DEBOUNCE_MS = 200;
  const FACETS = [["theme", "Themes"], ["year", "Years"], ["source", "Sources"]];
  const FILTERS = [["theme", "Theme"], ["year", "Year"], ["source", "Source"]];
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#39;": "'" };

  // "/" focuses the search box (the page's own on /search) unless the reader is typing.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof Element && (target.closest("input, textarea, select") || target.isContentEditable)) return;
    const box = document.getElementById("search-q") || document.getElementById("header-q");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  const results = document.getElementById("search-results");
  const status = document.getElementById("search-status");
  const form = document.querySelector("form.search-form");
  const box = form && form.querySelector("input[name=q]");
  if (!results || !status || !box) return;

  let timer = 0;
  let controller = null;
  let latest = 0;

  /** Return an element with attributes and children (strings become text nodes). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    node.append(...children.filter((child) => child !== null && child !== undefined && child !== ""));
    return node;
  }

  /** Return the search's parameters as the form would send them, without empty ones. */
  function formParams() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (String(value).trim()) params.set(name, String(value).trim());
    }
    return params;
  }

  /** Return /search with the current parameters changed (null removes one; the page resets). */
  function searchUrl(params, changes) {
    const next = new URLSearchParams(params);
    next.delete("page");
    for (const [name, value] of Object.entries(changes || {})) {
      if (value === null) next.delete(name);
      else next.set(name, String(value));
    }
    const query = next.toString();
    return form.getAttribute("action") + (query ? `?${query}` : "");
  }

  /** Return the API's snippet (escaped HTML whose only tags are <mark>) as text and <mark> nodes. */
  function snippetNodes(html) {
    const text = (part) => part.replace(/&(?:amp|lt|gt|quot|#x27|#39);/g, (entity) => ENTITIES[entity]);
    let marked = false;
    const nodes = [];
    for (const part of html.split(/(<mark>|<\/mark>)/)) {
      if (part === "<mark>" || part === "</mark>") marked = part === "<mark>";
      else if (part) nodes.push(marked ? el("mark", {}, text(part)) : text(part));
    }
    return nodes;
  }

  function dateNode(iso) {
    if (!iso) return el("span", { class: "undated" }, "Date unknown");
    const [year, month, day] = iso.split("-").map(Number);
    return el("time", { datetime: iso }, `${day} ${MONTHS[month - 1]} ${year}`);
  }

  function hitNode(hit, names) {
    const link = hit.kind === "link";
    const byline = link && el("p", { class: "byline" },
      hit.author ? el("span", { class: "author" }, hit.author) : null, hit.author ? " / " : null,
      el("span", { class: "source" }, hit.source || ""), hit.url.includes("#post-") ? " · recent post" : null);
    const chips = hit.themes.length ? el("ul", { class: "chips", "aria-label": "Themes" },
      ...hit.themes.map((slug) => el("li", {}, el("a", {
        class: "chip", href: results.dataset.themes + encodeURIComponent(slug),
      }, names.theme[slug] || slug)))) : null;
    return el("li", { class: `hit hit-${hit.kind}` },
      el("a", { class: "hit-title", href: hit.url }, link ? "" : "The edition: ", hit.title),
      byline || null, hit.snippet ? el("p", { class: "snippet" }, ...snippetNodes(hit.snippet)) : null, chips);
  }

  /** Return the hits grouped by edition, editions in the order of their best hit. */
  function groupNodes(data) {
    const groups = new Map();
    for (const hit of data.hits) {
      if (!groups.has(hit.edition.slug)) groups.set(hit.edition.slug, []);
      groups.get(hit.edition.slug).push(hit);
    }
    return [...groups.values()].map((hits, index) => {
      const edition = hits[0].edition;
      const id = `group-${index + 1}`;
      return el("section", { class: "hit-group", "aria-labelledby": id },
        el("h2", { id }, el("a", { href: hits[0].url.split("#")[0] }, edition.title)),
        el("p", { class: "meta" }, dateNode(edition.date)),
        el("ol", { class: "hits" }, ...hits.map((hit) => hitNode(hit, data.names))));
    });
  }

  function emptyNode(params, filtered) {
    return el("div", { class: "empty" },
      el("p", {}, `Nothing in the archive matches this search${filtered ? " with these filters" : ""}.`),
      el("ul", {}, el("li", {}, "Try fewer or more general words, or check the spelling."),
        filtered ? el("li", {}, el("a", { href: searchUrl(params, { theme: null, year: null, source: null }) },
          "Search without the filters"), ".") : null,
        el("li", {}, "Browse ", el("a", { href: results.dataset.themes }, "the themes"), " or ",
          el("a", { href: results.dataset.editions }, "every edition"), ".")));
  }

  function facetNodes(data, params) {
    const nodes = [];
    for (const [name, label] of FACETS) {
      const byCount = (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
      const pairs = Object.entries(data.facets[name] || {})
        .sort(name === "year" ? (a, b) => (a[0] < b[0] ? 1 : -1) : byCount).slice(0, 12);
      if (!pairs.length) continue;
      const shown = (value) => (data.names[name] || {})[value] || value;
      nodes.push(el("h2", {}, label), el("ul", {}, ...pairs.map(([value, count]) => (
        params.get(name) === value
          ? el("li", {}, el("strong", {}, shown(value)), ` (${count}) `,
            el("a", { href: searchUrl(params, { [name]: null }) }, "remove"))
          : el("li", {}, el("a", { href: searchUrl(params, { [name]: value }) }, shown(value)), ` (${count})`)))));
    }
    return nodes;
  }

  function summaryNodes(data, params) {
    const q = params.get("q");
    const count = el("p", {}, el("strong", {}, String(data.total)),
      ` result${data.total === 1 ? "" : "s"}${q ? ` for “${q}”` : ""}${data.pages > 1 ? `, page 1 of ${data.pages}` : ""}.`);
    const suggestion = data.suggestion && el("p", { class: "suggestion" }, "Did you mean ",
      el("a", { href: searchUrl(params, { q: data.suggestion }) }, data.suggestion), "?");
    return [count, suggestion || null].filter(Boolean);
  }

  function resultNodes(data, params) {
    const active = FILTERS.filter(([name]) => params.get(name));
    const filters = active.length ? el("ul", { class: "active-filters", "aria-label": "Active filters" },
      ...active.map(([name, label]) => el("li", {}, `${label}: ${(data.names[name] || {})[params.get(name)] || params.get(name)} `,
        el("a", { href: searchUrl(params, { [name]: null }), "aria-label": `Remove the ${label.toLowerCase()} filter` }, "remove")))) : null;
    const newest = params.get("sort") === "newest";
    const sort = el("p", { class: "sort" }, "Sort: ",
      newest ? el("a", { href: searchUrl(params, { sort: null }) }, "most relevant") : el("strong", {}, "most relevant"),
      " · ", newest ? el("strong", {}, "newest") : el("a", { href: searchUrl(params, { sort: "newest" }) }, "newest"));
    const pages = data.pages > 1 ? el("nav", { class: "pagination", "aria-label": "Result pages" },
      el("span", {}, `Page 1 of ${data.pages}`), el("a", { rel: "next", href: searchUrl(params, { page: 2 }) }, "Next →")) : null;
    const hits = el("div", { class: "search-hits" },
      ...(data.hits.length ? groupNodes(data) : [emptyNode(params, active.length > 0)]), pages);
    const facets = data.total ? el("aside", { class: "facets", "aria-label": "Narrow the results" }, ...facetNodes(data, params)) : null;
    return [filters, sort, el("div", { class: "search-layout" }, hits, facets)].filter(Boolean);
  }

  function show(statusNodes, resultsNodes) {
    const focusWasInResults = results.contains(document.activeElement);
    status.replaceChildren(...statusNodes);
    results.replaceChildren(...resultsNodes);
    if (focusWasInResults) box.focus(); // the focused link is gone: never leave focus on nothing
  }

  function showError(message) {
    show([el("p", { class: "notice" }, message)], []);
  }

  async function search() {
    const params = formParams();
    const q = params.get("q");
    history.replaceState(history.state, "", searchUrl(params));
    document.title = `${q ? `“${q}” · ` : ""}Search · PRODUCTHEAD`;
    if (controller) controller.abort();
    const ticket = ++latest;
    if (!q && !FILTERS.some(([name]) => params.get(name))) {
      show([], []);
      return;
    }
    controller = new AbortController();
    results.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(`${results.dataset.api}?${params}`, {
        signal: controller.signal, headers: { Accept: "application/json" },
      });
      const data = await response.json().catch(() => ({}));
      if (ticket !== latest) return; // a newer search has been sent: its answer wins
      if (response.ok && data.hits) show(summaryNodes(data, params), resultNodes(data, params));
      else showError(data.error || `Search failed (status ${response.status}); please try again.`);
    } catch (error) {
      if (error.name !== "AbortError" && ticket === latest) {
        showError("Search could not be reached; check your connection and try again.");
      }
    } finally {
      if (ticket === latest) results.removeAttribute("aria-busy");
    }
  }

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, DEBOUNCE_MS);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    search();
  });

  // The keyboard: ArrowDown and ArrowUp move between the box and the results, Escape goes back.
  const resultLinks = () => [...results.querySelectorAll("a.hit-title")];
  box.addEventListener("keydown", (event) => {
    const first = resultLinks()[0];
    if (event.key === "ArrowDown" && first) {
      event.preventDefault();
      first.focus();
    }
  });
  results.addEventListener("keydown", (event) => {
    const links = resultLinks();
    const at = links.indexOf(event.target);
    let next = null;
    if (event.key === "Escape") next = box;
    else if (event.key === "ArrowDown" && at >= 0) next = links[at + 1] || null;
    else if (event.key === "ArrowUp" && at >= 0) next = links[at - 1] || box;
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });
})();
