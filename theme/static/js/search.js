// The search box on every page: asks Pagefind's index (in the site's pagefind/ folder)
// and lists matching posts. Pagefind cannot load from file://, so there the box explains
// how to serve the site instead of failing.
"use strict";

(function () {
  const form = document.querySelector("form.search");
  if (!form) return;
  const input = form.querySelector(".search-input");
  const note = form.querySelector(".search-note");
  const results = form.querySelector(".search-results");
  const siteRoot = new URL(form.dataset.siteRoot, document.baseURI);
  const MAX_RESULTS = 10;
  let pagefind = null;
  let latestQuery = "";

  form.addEventListener("submit", (event) => event.preventDefault());

  if (location.protocol === "file:") {
    const explain = () => { note.hidden = false; };
    input.addEventListener("focus", explain);
    input.addEventListener("input", explain);
    return;
  }

  async function loadPagefind() {
    if (!pagefind) {
      pagefind = await import(new URL("pagefind/pagefind.js", siteRoot).href);
      // Result URLs are relative to the site's root, wherever the site is served from.
      await pagefind.options({ baseUrl: siteRoot.pathname });
    }
    return pagefind;
  }

  // Pagefind's excerpts are escaped text with <mark>; rebuilding them node by node keeps
  // anything else from ever becoming markup.
  function excerptNodes(excerpt) {
    const parsed = new DOMParser().parseFromString(excerpt, "text/html");
    const fragment = document.createDocumentFragment();
    for (const node of parsed.body.childNodes) {
      if (node.nodeName === "MARK") {
        const mark = document.createElement("mark");
        mark.textContent = node.textContent;
        fragment.append(mark);
      } else {
        fragment.append(document.createTextNode(node.textContent));
      }
    }
    return fragment;
  }

  function resultItem(url, heading, excerpt) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = url;
    link.className = "search-hit";
    const title = document.createElement("span");
    title.className = "search-hit-title";
    title.dir = "auto";
    title.textContent = heading;
    const text = document.createElement("span");
    text.className = "search-hit-excerpt";
    text.dir = "auto";
    text.append(excerptNodes(excerpt));
    link.append(title, text);
    item.append(link);
    return item;
  }

  function show(nodes) {
    results.replaceChildren(...nodes);
    results.hidden = nodes.length === 0;
  }

  function message(text) {
    const paragraph = document.createElement("p");
    paragraph.className = "search-message";
    paragraph.textContent = text;
    show([paragraph]);
  }

  async function search(query) {
    latestQuery = query;
    if (!query.trim()) {
      show([]);
      return;
    }
    let found;
    try {
      const engine = await loadPagefind();
      found = await engine.debouncedSearch(query, {}, 250);
    } catch (error) {
      console.warn("search unavailable:", error);
      message(form.dataset.unavailable);
      return;
    }
    if (found === null || query !== latestQuery) return; // a newer query superseded this one
    const items = [];
    for (const result of found.results) {
      const data = await result.data();
      // One hit per post: Pagefind's sub-results follow the post headings' anchors.
      const hits = data.sub_results.length ? data.sub_results : [data];
      for (const hit of hits) {
        // A hit in the thread's title has no post heading: name the thread alone.
        const heading = hit.title ? `${data.meta.title} · ${hit.title}` : data.meta.title;
        items.push(resultItem(hit.url, heading, hit.excerpt));
        if (items.length >= MAX_RESULTS) break;
      }
      if (items.length >= MAX_RESULTS) break;
    }
    if (query !== latestQuery) return;
    if (items.length) {
      const list = document.createElement("ol");
      list.className = "search-hits";
      list.append(...items);
      show([list]);
    } else {
      message(form.dataset.noResults);
    }
  }

  input.addEventListener("input", () => search(input.value));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      input.value = "";
      show([]);
    }
  });
})();
