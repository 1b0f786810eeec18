// Search: the box on every page (results as you type) and search.html (all results, with
// filters by thread, author and year; the query lives in the URL).
//
// Queries are brought to the form the index holds (scraper/site/arabic.py): the rules come
// from search/rules.js, written by the build from the same Python data, and the steps
// below mirror arabic.search_words (tests/test_search.py runs both on one corpus).
// The index (scraper/site/offline_index.py) is classic scripts loaded shard by shard as a
// query needs them, which works the same over HTTP and from file:// (a copied archive).
// Scraped text only ever reaches the page as text nodes (textContent), never as markup.
"use strict";

const ForumSearchText = (function () {
  const WORD = /[\p{L}\p{N}]+/gu;
  // A word as written: letters, marks (tashkeel, niqqud), digits, joiners.
  const RAW_WORD = /[\p{L}\p{M}\p{N}\u200c-\u200f]+/gu;

  function compile(rules) {
    return {
      remove: new RegExp(rules.remove, "gu"),
      fold: rules.fold,
      // Each prefix with its length in letters: counted once, not for every word.
      prefixes: rules.prefixes.map(([prefix, minRest]) => [prefix, minRest, [...prefix].length]),
      // A word as written -> its search words, for the excerpts: the words of a page of
      // hits repeat (most are common ones), and each was normalized anew before.
      written: new Map(),
    };
  }

  function normalize(rules, text) {
    let folded = "";
    for (const char of text.replace(rules.remove, "")) {
      folded += rules.fold[char] || char;
    }
    return folded.toLowerCase();
  }

  function stripPrefix(rules, word) {
    const length = [...word].length;
    for (const [prefix, minRest, letters = [...prefix].length] of rules.prefixes) {
      if (word.startsWith(prefix) && length - letters >= minRest) {
        return word.slice(prefix.length);
      }
    }
    return word;
  }

  function searchWords(rules, text) {
    return (normalize(rules, text).match(WORD) || []).map((word) => stripPrefix(rules, word));
  }

  function matches(words, terms) {
    return words.some((word) => terms.some((term) => word.startsWith(term)));
  }

  function writtenWords(rules, written) {
    const known = rules.written && rules.written.get(written);
    if (known) return known;
    const words = searchWords(rules, written);
    if (rules.written) {
      if (rules.written.size > 50000) rules.written.clear(); // bounded: a long session
      rules.written.set(written, words);
    }
    return words;
  }

  // The text around the first matching word, as [{text, mark}] pieces.
  function snippet(rules, text, terms, length = 220) {
    const hits = [];
    for (const found of text.matchAll(RAW_WORD)) {
      if (matches(writtenWords(rules, found[0]), terms)) {
        hits.push([found.index, found.index + found[0].length]);
      }
    }
    let start = 0;
    if (hits.length && hits[0][0] > length / 3) {
      start = text.lastIndexOf(" ", hits[0][0] - length / 3) + 1;
    }
    const end = Math.min(text.length, start + length);
    const pieces = [];
    let at = start;
    if (start > 0) pieces.push({ text: "… ", mark: false });
    for (const [from, to] of hits) {
      if (from < start || from >= end) continue;
      pieces.push({ text: text.slice(at, from), mark: false });
      pieces.push({ text: text.slice(from, to), mark: true });
      at = to;
    }
    pieces.push({ text: text.slice(at, Math.max(at, end)), mark: false });
    if (end < text.length) pieces.push({ text: " …", mark: false });
    return pieces;
  }

  return { compile, normalize, stripPrefix, searchWords, matches, snippet };
})();

if (typeof module !== "undefined") module.exports = ForumSearchText; // node, for the tests

(function () {
  if (typeof document === "undefined") return;
  const boxForm = document.querySelector("form.search");
  const pageForm = document.querySelector("form.search-page");
  const anyForm = pageForm || boxForm;
  if (!anyForm) return;
  const siteRoot = new URL(anyForm.dataset.siteRoot, document.baseURI);
  const FILTERS = ["thread", "author", "year"];
  const BOX_RESULTS = 8;
  const PAGE_RESULTS = 50;
  // search.html shows this many hits as soon as their posts files are in, then the rest:
  // each hit is likely in its own file, and the first screen need not wait for 50. Five
  // fill a 1280x900 window (two a phone's): six files are one round of the six connections
  // a browser opens to a host over HTTP/1.1; ten were two.
  const FIRST_SCREEN = 6;
  let enginePromise = null;

  function loadScript(path) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(path, siteRoot).href;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`${path} did not load`));
      document.head.append(script);
    });
  }

  // A file of the offline index (scraper/site/offline_index.py), a classic script under
  // search/offline/ that registers itself in window.FORUM_MIRROR_SHARDS; each loads once.
  const shards = new Map();
  function shard(name) {
    if (!shards.has(name)) {
      const loaded = loadScript(`search/offline/${name}.js`).then(() => window.FORUM_MIRROR_SHARDS[name]);
      loaded.catch(() => shards.delete(name));
      shards.set(name, loaded);
    }
    return shards.get(name);
  }

  async function loadRules() {
    if (!window.FORUM_MIRROR_SEARCH_RULES) await loadScript("search/rules.js");
    return ForumSearchText.compile(window.FORUM_MIRROR_SEARCH_RULES);
  }

  // The index: the manifest search/offline-index.js, then only the shards a query needs.
  async function indexEngine(rulesLoaded) {
    const [rules] = await Promise.all([
      rulesLoaded,
      window.FORUM_MIRROR_INDEX || loadScript("search/offline-index.js"),
    ]);
    const index = window.FORUM_MIRROR_INDEX;
    const words = new Set(index.words);
    const prefixes = new Set(index.prefixes);

    const keyName = (key) => [...key].map((char) => char.codePointAt(0).toString(16)).join("-");

    // [post, count, ...] with each post as the difference from the one before, into `into`.
    function addPostings(into, list) {
      const { counts, posts } = into;
      let post = 0;
      for (let at = 0; at < list.length; at += 2) {
        post += list[at];
        if (!counts[post]) posts.push(post);
        counts[post] += list[at + 1];
      }
    }

    // The posts with a word that starts with `term` (each once), and `counts[post]`: how
    // many of its words do. An array by post number, not a Map: a common word has tens of
    // thousands of posts at 100,000, and a Map's sets and gets were most of the time a
    // typed query spent in this script.
    async function termCounts(term) {
      const counts = { counts: new Uint32Array(index.numbers), posts: [] };
      const letters = [...term];
      for (let length = letters.length; length > 0; length--) {
        const key = letters.slice(0, length).join("");
        if (!words.has(key)) continue;
        const found = await shard(`terms/w-${keyName(key)}`);
        for (const [word, list] of Object.entries(found)) {
          if (word.startsWith(term)) addPostings(counts, list);
        }
        return counts;
      }
      // Shorter than the keys under it: the prefix's own file has the sums.
      if (prefixes.has(term)) addPostings(counts, await shard(`terms/p-${keyName(term)}`));
      return counts;
    }

    // Each thread in the order of its first post number: a post's thread is the last that
    // starts at or before it (each has a range of numbers: offline_index.py), and its posts
    // file is in that thread's folder.
    const byFirst = index.threads.slice().sort((a, b) => a[2] - b[2]);
    function threadOf(number) {
      let low = 0;
      let high = byFirst.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (byFirst[middle][2] <= number) low = middle; else high = middle - 1;
      }
      return byFirst[low];
    }

    let meta = null;
    async function filterMeta() {
      if (!meta) {
        meta = shard("filters").then((filters) => {
          // Each post's author and year by its number; numbers of no post stay -1.
          const authors = new Int32Array(index.numbers).fill(-1);
          const years = new Int32Array(index.numbers).fill(-1);
          index.threads.forEach((thread, at) => {
            const first = thread[2];
            authors.set(filters.author[at], first);
            const runs = filters.year[at];
            let post = first;
            for (let run = 0; run < runs.length; run += 2) {
              years.fill(runs[run], post, post + runs[run + 1]);
              post += runs[run + 1];
            }
          });
          return {
            thread: (post) => threadOf(post)[0],
            author: (post) => filters.authors[authors[post]],
            year: (post) => (years[post] < 0 ? "" : filters.years[years[post]]),
          };
        });
        meta.catch(() => { meta = null; });
      }
      return meta;
    }

    async function post(number) {
      const [title, , first, fileId] = threadOf(number);
      const local = number - first;
      const rows = await shard(`posts/${fileId}/${Math.floor(local / index.postsPerFile)}`);
      const [url, author, date, text, when] = rows[local % index.postsPerFile];
      return { thread: title, url: new URL(url, siteRoot).href, author, date, when, text };
    }

    return {
      rules,
      // How many posts hold all `terms` and pass `filters`; `show(from, to)` loads what the
      // best of them display (the first PAGE_RESULTS, best first).
      async search(terms, filters) {
        const wanted = FILTERS.filter((name) => filters[name]);
        const [counts, values] = await Promise.all([
          Promise.all(terms.map(termCounts)),
          wanted.length ? filterMeta() : null,
        ]);
        const passes = (number) => wanted.every((name) => values[name](number) === filters[name]);
        // The best PAGE_RESULTS hits in order, without sorting every hit: a common word has
        // tens of thousands at 100,000 posts. Best is the highest score, then the first post.
        const best = [];
        let total = 0;
        function offer(number, score) {
          total++;
          let at = best.length;
          while (at > 0 && (best[at - 1].score < score || (best[at - 1].score === score && best[at - 1].number > number))) at--;
          if (at === PAGE_RESULTS) return;
          best.splice(at, 0, { number, score });
          if (best.length > PAGE_RESULTS) best.pop();
        }
        if (counts.length) {
          // Every term must match: walk the fewest candidates.
          const fewest = counts.reduce((a, b) => (b.posts.length < a.posts.length ? b : a));
          for (const number of fewest.posts) {
            let score = 0;
            for (const each of counts) {
              const count = each.counts[number];
              if (!count) { score = 0; break; }
              score += count;
            }
            if (score && passes(number)) offer(number, score);
          }
        } else {
          for (const [, , first, , posts] of byFirst) {
            for (let number = first; number < first + posts; number++) {
              if (passes(number)) offer(number, 0);
            }
          }
        }
        return {
          total,
          show: (from, to) => Promise.all(best.slice(from, to).map((hit) => post(hit.number))),
        };
      },
      filters: postCounts,
    };
  }

  // How many posts have each thread, author and year, for search.html's lists: a small
  // file counted by the build, so that the browser need not walk every post.
  const postCounts = () => shard("counts");

  function engine() {
    if (!enginePromise) {
      // The rules load while the manifest does: one wait for both, not one after the other.
      enginePromise = indexEngine(loadRules());
      enginePromise.catch(() => { enginePromise = null; });
    }
    return enginePromise;
  }

  function formatDate(iso) {
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) return "";
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: "medium" }).format(date);
    } catch (error) {
      return iso.slice(0, 10);
    }
  }

  function span(className, text) {
    const node = document.createElement("span");
    node.className = className;
    node.dir = "auto";
    node.textContent = text;
    return node;
  }

  function resultItem(hit, rules, terms) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = hit.url;
    link.className = "search-hit";
    const meta = document.createElement("span");
    meta.className = "search-hit-meta";
    const author = document.createElement("bdi");
    author.className = "search-hit-author";
    author.textContent = hit.author;
    meta.append(author);
    if (hit.date) {
      const time = document.createElement("time");
      time.dateTime = hit.date;
      time.title = hit.date;  // the exact time on hover, as on the thread's pages
      time.textContent = hit.when || formatDate(hit.date);
      meta.append(" · ", time);
    }
    const excerpt = span("search-hit-excerpt", "");
    for (const piece of ForumSearchText.snippet(rules, hit.text || "", terms)) {
      if (piece.mark) {
        const mark = document.createElement("mark");
        mark.textContent = piece.text;
        excerpt.append(mark);
      } else {
        excerpt.append(document.createTextNode(piece.text));
      }
    }
    link.append(span("search-hit-title", hit.thread), meta, excerpt);
    item.append(link);
    return item;
  }

  function message(className, text) {
    const paragraph = document.createElement("p");
    paragraph.className = className;
    paragraph.textContent = text;
    return paragraph;
  }

  // The box on every page: the first hits as you type; Enter opens search.html.
  function setUpBox(form) {
    const input = form.querySelector(".search-input");
    const results = form.querySelector(".search-results");
    let latest = 0;
    const show = (nodes) => {
      results.replaceChildren(...nodes);
      results.hidden = nodes.length === 0;
    };

    async function search(query) {
      const ticket = ++latest;
      let found;
      let search;
      try {
        search = await engine();
        const terms = ForumSearchText.searchWords(search.rules, query);
        if (!terms.length) {
          if (ticket === latest) show([]);
          return;
        }
        found = await search.search(terms, {});
        const hits = await found.show(0, BOX_RESULTS);
        if (ticket !== latest) return; // a newer query superseded this one
        const list = document.createElement("ol");
        list.className = "search-hits";
        list.append(...hits.map((hit) => resultItem(hit, search.rules, terms)));
        const more = document.createElement("a");
        more.className = "search-more";
        more.href = `${form.action}?q=${encodeURIComponent(query)}`;
        more.textContent = form.dataset.allResults;
        show(hits.length ? [list, more] : [message("search-message", form.dataset.noResults)]);
      } catch (error) {
        console.warn("search unavailable:", error);
        if (ticket === latest) show([message("search-message", form.dataset.unavailable)]);
      }
    }

    input.addEventListener("focus", () => { engine().catch(() => {}); }, { once: true });
    input.addEventListener("input", () => search(input.value));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        input.value = "";
        show([]);
      }
    });
  }

  // search.html: query and filters from the URL, results below, the URL kept in step.
  function setUpPage(form) {
    const input = form.querySelector(".search-page-input");
    const status = document.querySelector(".search-status");
    const results = document.querySelector(".search-page-results");
    const selects = Object.fromEntries(FILTERS.map((name) => [name, form.querySelector(`select[data-filter="${name}"]`)]));
    const params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    let latest = 0;

    // Until the filter lists are filled, the URL's filters: the first query need not wait
    // for every thread, author and year of the archive to be counted.
    let filled = false;
    function wanted() {
      return Object.fromEntries(FILTERS.map((name) => [name, filled ? selects[name].value : params.get(name) || ""]));
    }

    function remember() {
      const url = new URLSearchParams();
      if (input.value) url.set("q", input.value);
      for (const [name, value] of Object.entries(wanted())) if (value) url.set(name, value);
      const query = url.toString();
      history.replaceState(null, "", query ? `?${query}` : location.pathname);
    }

    async function fillFilters(search) {
      const counts = await search.filters();
      // One collator for every comparison: localeCompare sets one up per call, which for
      // 2,000 authors held the page's only thread for most of a second (benchmarks/search.py).
      const compare = new Intl.Collator().compare;
      for (const name of FILTERS) {
        const select = selects[name];
        const values = Object.keys(counts[name] || {}).sort((a, b) => (name === "year" ? compare(b, a) : compare(a, b)));
        select.append(...values.map((value) => {
          const option = document.createElement("option");
          option.value = value;
          option.textContent = `${value} (${counts[name][value]})`;
          return option;
        }));
        if (params.get(name)) select.value = params.get(name);
      }
    }

    // Resolves once the first screen is shown (or the query answered with nothing); the
    // hits past it come later.
    async function run() {
      const ticket = ++latest;
      try {
        const search = await engine();
        const terms = ForumSearchText.searchWords(search.rules, input.value);
        const filters = wanted();
        if (!terms.length && !Object.values(filters).some(Boolean)) {
          status.textContent = "";
          results.replaceChildren();
          return;
        }
        const found = await search.search(terms, filters);
        const item = (hit) => resultItem(hit, search.rules, terms);
        // The rest is asked for once the first screen is shown: before, its files would
        // wait for the browser's few connections beside the first screen's.
        const firstHits = await found.show(0, FIRST_SCREEN);
        if (ticket !== latest) return;
        status.textContent = found.total ? `${form.dataset.resultsLabel} ${found.total}` : form.dataset.noResults;
        results.replaceChildren(...firstHits.map(item));
        found.show(FIRST_SCREEN, PAGE_RESULTS).then(
          (restHits) => { if (ticket === latest) results.append(...restHits.map(item)); },
          (error) => console.warn("search results past the first screen:", error));
      } catch (error) {
        console.warn("search unavailable:", error);
        if (ticket === latest) status.textContent = form.dataset.unavailable;
      }
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      remember();
      run();
    });
    input.addEventListener("input", () => { remember(); run(); });
    for (const select of Object.values(selects)) {
      select.addEventListener("change", () => { remember(); run(); });
    }
    engine()
      .then(async (search) => {
        // The lists of every thread, author and year (a file of its own and DOM work in
        // proportion to the archive) once the first screen is shown, not beside it.
        await run();
        await fillFilters(search);
        filled = true;
        // A filter of the URL that no post has is not in its list, so it does not apply.
        const dropped = FILTERS.some((name) => (params.get(name) || "") !== selects[name].value);
        return dropped ? run() : null;
      })
      .catch((error) => {
        console.warn("search unavailable:", error);
        status.textContent = form.dataset.unavailable;
      });
  }

  if (boxForm) setUpBox(boxForm);
  if (pageForm) setUpPage(pageForm);
})();
