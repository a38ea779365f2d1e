// cocowiki viewer: lays out the data embedded in this file; it fetches nothing.
//
// Routes (the URL hash, so every view has a link that works from file://):
//   #/page/<id>                      a wiki page
//   #/source/<path>:<start>-<end>    a cited source file, the cited lines highlighted
//   #/source/<path>                  a source file from the top
// Text from pages, symbols and sources is always put in with textContent; the only HTML
// inserted as HTML is each page's body, rendered and escaped at build time.
"use strict";

(() => {
  const data = JSON.parse(document.getElementById("wiki-data").textContent);
  const pages = new Map(data.pages.map((page) => [page.id, page]));
  const main = document.getElementById("main");
  const tree = document.getElementById("tree");
  const searchInput = document.getElementById("search");
  const searchResults = document.getElementById("search-results");
  const rootId = pages.has(data.root) ? data.root : data.pages.length ? data.pages[0].id : null;

  // -- small helpers ------------------------------------------------------------------
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== null && value !== undefined) node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) {
        node.append(typeof child === "string" ? document.createTextNode(child) : child);
      }
    }
    return node;
  }
  const pageRoute = (id) => `#/page/${encodeURIComponent(id)}`;
  const sourceRoute = (path, start, end) =>
    `#/source/${path.split("/").map(encodeURIComponent).join("/")}` +
    (start ? `:${start}-${end || start}` : "");
  const hasSource = (path) => Boolean(data.sources[path] && data.sources[path].text != null);
  const fileToPage = new Map();
  for (const page of data.pages) {
    for (const file of page.files) if (!fileToPage.has(file.path)) fileToPage.set(file.path, page.id);
  }

  // -- header and banner --------------------------------------------------------------
  function showHeader() {
    const repo = data.repository || {};
    const bits = [];
    if (repo.revision) bits.push(`revision ${String(repo.revision).slice(0, 12)}${repo.dirty ? " (dirty)" : ""}`);
    if (data.tool && data.tool.version) bits.push(`${data.tool.name || "cocowiki"} ${data.tool.version}`);
    const verified = data.pages.filter((page) => page.status === "verified").length;
    bits.push(`${verified}/${data.pages.length} pages verified`);
    document.getElementById("meta").textContent = bits.join(" · ");
    document.getElementById("brand").href = rootId ? pageRoute(rootId) : "#/";
    const banner = document.getElementById("banner");
    let message = null;
    if (!data.mermaid.available) message = data.mermaid.message;
    else if (!window.mermaid) message = "Diagrams are shown as Mermaid source: mermaid did not load in this browser.";
    if (message) {
      banner.textContent = message;
      banner.hidden = false;
    }
  }

  // -- the module tree ----------------------------------------------------------------
  const treeLinks = new Map();
  function buildTree() {
    const seen = new Set();
    const tops = [];
    if (rootId) tops.push(rootId);
    for (const page of data.pages) {
      if (page.id !== rootId && (!page.parent || !pages.has(page.parent))) tops.push(page.id);
    }
    function item(id, depth) {
      const page = pages.get(id);
      if (!page || seen.has(id)) return null;
      seen.add(id);
      const children = page.children.map((child) => item(child, depth + 1)).filter(Boolean);
      const toggle = el("button", { class: children.length ? "toggle" : "toggle leaf", type: "button", "aria-label": "expand or collapse" }, children.length ? "▾" : "");
      const link = el("a", { href: pageRoute(id), title: statusText(page) },
        el("span", { class: `dot ${statusClass(page)}`, "aria-hidden": "true" }), " ", page.title);
      treeLinks.set(id, link);
      const li = el("li", { class: children.length && depth >= 1 ? "collapsed" : null, "data-page": id },
        el("div", { class: "node" }, toggle, link));
      if (children.length) {
        li.append(el("ul", {}, ...children));
        toggle.addEventListener("click", () => {
          li.classList.toggle("collapsed");
          toggle.textContent = li.classList.contains("collapsed") ? "▸" : "▾";
        });
        if (li.classList.contains("collapsed")) toggle.textContent = "▸";
      }
      return li;
    }
    const items = tops.map((id) => item(id, 0)).filter(Boolean);
    // Pages reachable only through a cycle of parents still get an entry.
    for (const page of data.pages) if (!seen.has(page.id)) items.push(item(page.id, 0));
    tree.replaceChildren(el("ul", {}, ...items));
  }
  function markCurrent(id) {
    for (const link of tree.querySelectorAll("a.current")) link.classList.remove("current");
    const link = treeLinks.get(id);
    if (!link) return;
    link.classList.add("current");
    for (let li = link.closest("li"); li; li = li.parentElement.closest("li")) {
      if (li.classList.contains("collapsed")) {
        li.classList.remove("collapsed");
        li.querySelector(".toggle").textContent = "▾";
      }
    }
    link.scrollIntoView({ block: "nearest" });
  }
  const statusClass = (page) => (page.status === "verified" ? "verified" : "unverified");
  const statusText = (page) =>
    page.status === "verified" ? "verified: every citation checked against the source"
      : `unverified${page.problems.length ? `: ${page.problems.length} problem(s)` : ""}`;

  // -- a page -------------------------------------------------------------------------
  function ancestors(page) {
    const chain = [];
    const seen = new Set([page.id]);
    for (let id = page.parent; id && pages.has(id) && !seen.has(id); id = pages.get(id).parent) {
      seen.add(id);
      chain.unshift(pages.get(id));
    }
    return chain;
  }
  function showPage(id) {
    const page = pages.get(id);
    if (!page) {
      main.replaceChildren(el("h1", {}, "No such page"),
        el("p", {}, `This wiki has no page “${id}”. `, rootId ? el("a", { href: pageRoute(rootId) }, "Go to the overview.") : null));
      return;
    }
    const crumbs = el("div", { class: "breadcrumbs" });
    ancestors(page).forEach((parent, index) => {
      if (index) crumbs.append(" / ");
      crumbs.append(el("a", { href: pageRoute(parent.id) }, parent.title));
    });
    const head = el("div", { class: "page-head" }, el("h1", {}, page.title),
      el("span", { class: `badge ${statusClass(page)}`, title: statusText(page) }, page.status));
    const parts = [crumbs, head];
    if (page.problems.length) {
      parts.push(el("div", { class: "problems" }, el("strong", {}, "This page is not verified:"),
        el("ul", {}, ...page.problems.map((problem) => el("li", {}, problem)))));
    } else if (page.status !== "verified") {
      parts.push(el("div", { class: "problems" }, "This page has not been verified against the source."));
    }
    const gaps = page.gaps || [];
    if (gaps.length) {
      parts.push(el("details", { class: "gaps" },
        el("summary", {}, `Known gaps (${gaps.length}): what this page's evidence does not cover`),
        el("ul", {}, ...gaps.map((gap) => el("li", {}, gap)))));
    }
    const article = el("article", { class: "article" });
    article.innerHTML = page.html;
    parts.push(article, related(page));
    main.replaceChildren(...parts);
    main.scrollTop = 0;
    document.title = `${page.title} · ${data.title}`;
    markCurrent(page.id);
    renderDiagrams(article);
  }
  function related(page) {
    const box = el("section", { class: "related" });
    const children = page.children.filter((child) => pages.has(child));
    if (children.length) {
      box.append(el("h2", {}, "Child pages"), el("ul", {},
        ...children.map((child) => el("li", {}, el("a", { href: pageRoute(child) }, pages.get(child).title)))));
    }
    if (page.files.length) {
      box.append(el("h2", {}, "Source files"), el("ul", {}, ...page.files.map((file) => {
        const label = `${file.path} (${file.lines} lines)`;
        return el("li", {}, hasSource(file.path) ? el("a", { href: sourceRoute(file.path) }, label) : label);
      })));
    }
    return box;
  }

  // -- diagrams -----------------------------------------------------------------------
  let diagramCount = 0;
  let generation = 0;
  if (window.mermaid) {
    const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark ? "dark" : "default" });
  }
  async function renderDiagrams(container) {
    const mine = ++generation;
    main.dataset.state = "rendering";
    const blocks = [...container.querySelectorAll("pre.mermaid-source")];
    if (window.mermaid) {
      for (const block of blocks) {
        const id = `cw-diagram-${++diagramCount}`;
        const source = block.textContent;
        try {
          const { svg } = await window.mermaid.render(id, source);
          if (mine !== generation) return;
          const figure = el("figure", { class: "diagram" });
          figure.innerHTML = svg;
          block.replaceWith(figure);
        } catch (error) {
          document.getElementById(`d${id}`)?.remove();
          if (mine !== generation) return;
          block.before(el("p", { class: "diagram-error" }, `This diagram does not render: ${error && error.message ? error.message : error}`));
        }
      }
    }
    if (mine === generation) main.dataset.state = "ready";
  }

  // -- a source file ------------------------------------------------------------------
  function showSource(path, start, end) {
    generation++;
    const source = data.sources[path];
    const range = start ? (start === end ? `line ${start}` : `lines ${start}–${end}`) : "";
    const head = el("div", { class: "source-head" }, el("h1", {}, path), el("span", { class: "range" }, range));
    const owner = fileToPage.get(path);
    if (owner) head.append(el("a", { href: pageRoute(owner) }, `page: ${pages.get(owner).title}`));
    document.title = `${path} · ${data.title}`;
    markCurrent(null);
    if (!source || source.text == null) {
      const why = source ? source.omitted : "not embedded: no page cites this file";
      main.replaceChildren(head, el("p", { class: "source-note" }, `${path}: ${why}. Open it in your editor${range ? ` at ${range}` : ""}.`));
      main.dataset.state = "ready";
      return;
    }
    const lines = source.text.split(/\r\n|\n|\r/);
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    const code = el("div", { class: "code", role: "table", "aria-label": path });
    const fragment = document.createDocumentFragment();
    let first = null;
    lines.forEach((text, index) => {
      const number = index + 1;
      const highlighted = start && number >= start && number <= end;
      const row = el("div", { class: highlighted ? "line hl" : "line", "data-line": String(number) },
        el("span", { class: "ln" }, String(number)), el("span", { class: "lc" }, text));
      if (highlighted && !first) first = row;
      fragment.append(row);
    });
    code.append(fragment);
    const parts = [head];
    if (start && end > lines.length) {
      parts.push(el("p", { class: "source-note" }, `The cited lines go past the end of the file (${lines.length} lines): the file changed after the page was written.`));
    }
    parts.push(code);
    main.replaceChildren(...parts);
    main.scrollTop = 0;
    if (first) first.scrollIntoView({ block: "center" });
    main.dataset.state = "ready";
  }

  // -- search -------------------------------------------------------------------------
  const [cName, cKind, cQualified, cPath, cStart, cEnd, cSignature] =
    ["name", "kind", "qualified_name", "path", "start", "end", "signature"].map((c) => data.symbols.columns.indexOf(c));
  const symbols = data.symbols.rows.map((row) => ({
    name: row[cName], kind: row[cKind], qualified: row[cQualified], path: row[cPath],
    start: row[cStart], end: row[cEnd], signature: row[cSignature],
    key: `${row[cQualified]} ${row[cName]}`.toLowerCase(), lname: String(row[cName]).toLowerCase(),
  }));
  const searchable = data.pages.map((page) => ({
    page, title: `${page.title} ${page.id}`.toLowerCase(), text: page.text.toLowerCase(),
  }));
  function searchSymbols(terms, limit) {
    const found = [];
    for (const symbol of symbols) {
      if (!terms.every((term) => symbol.key.includes(term))) continue;
      const term = terms[0];
      const rank = symbol.lname === term ? 0 : symbol.lname.startsWith(term) ? 1 : symbol.lname.includes(term) ? 2 : 3;
      found.push([rank + (symbol.kind === "module" ? 0.5 : 0), symbol.name.length, symbol]);
    }
    found.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2].qualified.localeCompare(b[2].qualified));
    return found.slice(0, limit).map((entry) => entry[2]);
  }
  function searchPages(terms, limit) {
    const found = [];
    for (const entry of searchable) {
      const inTitle = terms.filter((term) => entry.title.includes(term)).length;
      if (!terms.every((term) => entry.title.includes(term) || entry.text.includes(term))) continue;
      found.push([-inTitle, entry]);
    }
    found.sort((a, b) => a[0] - b[0] || a[1].page.title.localeCompare(b[1].page.title));
    return found.slice(0, limit).map((item) => item[1]);
  }
  function snippet(entry, terms) {
    const at = Math.max(0, ...terms.map((term) => entry.text.indexOf(term)));
    const from = Math.max(0, at - 60);
    return (from ? "…" : "") + entry.page.text.slice(from, at + 100) + "…";
  }
  function symbolHref(symbol) {
    if (hasSource(symbol.path)) return sourceRoute(symbol.path, symbol.start, symbol.end);
    const owner = fileToPage.get(symbol.path);
    return owner ? pageRoute(owner) : null;
  }
  function runSearch() {
    const terms = searchInput.value.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) {
      searchResults.hidden = true;
      return;
    }
    const found = searchSymbols(terms, 25);
    const pageHits = searchPages(terms, 15);
    const box = [];
    if (found.length) {
      box.push(el("h3", {}, "Symbols"));
      for (const symbol of found) {
        const href = symbolHref(symbol);
        const where = el("span", { class: "where" }, `${symbol.path}:${symbol.start}-${symbol.end}  ${symbol.signature || symbol.qualified}`);
        const label = [el("strong", {}, symbol.name), el("span", { class: "kind" }, symbol.kind), where];
        box.push(href ? el("a", { href, class: "symbol-result", role: "option" }, ...label)
          : el("div", { class: "result symbol-result" }, ...label));
      }
    }
    if (pageHits.length) {
      box.push(el("h3", {}, "Pages"));
      for (const entry of pageHits) {
        box.push(el("a", { href: pageRoute(entry.page.id), class: "page-result", role: "option" },
          el("strong", {}, entry.page.title), el("span", { class: "snippet" }, snippet(entry, terms))));
      }
    }
    if (!box.length) box.push(el("div", { class: "empty" }, `Nothing matches “${searchInput.value}”.`));
    searchResults.replaceChildren(...box);
    searchResults.hidden = false;
  }
  function closeSearch() {
    searchResults.hidden = true;
  }
  searchInput.addEventListener("input", runSearch);
  searchInput.addEventListener("focus", runSearch);
  searchInput.addEventListener("keydown", (event) => {
    const links = [...searchResults.querySelectorAll("a")];
    const active = searchResults.querySelector("a.active");
    let index = links.indexOf(active);
    if (event.key === "Escape") {
      closeSearch();
      searchInput.blur();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!links.length) return;
      index = event.key === "ArrowDown" ? (index + 1) % links.length : (index - 1 + links.length) % links.length;
      active?.classList.remove("active");
      links[index].classList.add("active");
      links[index].scrollIntoView({ block: "nearest" });
    } else if (event.key === "Enter" && links.length) {
      location.hash = (active || links[0]).getAttribute("href");
      closeSearch();
    }
  });
  searchResults.addEventListener("click", (event) => {
    if (event.target.closest("a")) closeSearch();
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".search")) closeSearch();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== searchInput) {
      event.preventDefault();
      searchInput.focus();
    }
  });

  // -- routing ------------------------------------------------------------------------
  function route() {
    const hash = location.hash.replace(/^#/, "");
    const source = /^\/source\/(.+?)(?::(\d+)-(\d+))?$/.exec(hash);
    if (source) {
      const start = source[2] ? Number(source[2]) : 0;
      showSource(decodeURIComponent(source[1]), start, source[3] ? Math.max(start, Number(source[3])) : 0);
      return;
    }
    const page = /^\/page\/(.+)$/.exec(hash);
    if (page) {
      showPage(decodeURIComponent(page[1]));
      return;
    }
    if (rootId) {
      location.replace(pageRoute(rootId));
    } else {
      main.replaceChildren(el("p", {}, "This wiki has no pages yet."));
      main.dataset.state = "ready";
    }
  }

  showHeader();
  buildTree();
  window.addEventListener("hashchange", route);
  route();
})();
