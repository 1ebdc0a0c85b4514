// The explorer's pages, one per route of the URL's fragment: `#/` the map, `#/area/{code}`,
// `#/workforce`, `#/programmes`, each with its settings as query parameters, so a view can be
// bookmarked and shared.

import { search } from "./api.js";
import { el, failure, fill } from "./ui.js";
import * as map from "./map.js";
import * as area from "./area.js";
import * as workforce from "./workforce.js";
import * as programmes from "./programmes.js";

const main = document.getElementById("main");

function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query) };
}

function navigate(path, params) {
  location.hash = `${path}?${search(params)}`;
}

/** Marks the current page in the header. */
function current(name) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

let drawing = 0;

/**
 * Draws the page the URL names. Each page is built off-screen and shown when complete, and
 * only if no later navigation started meanwhile, so a slow answer never overwrites a newer
 * page.
 */
async function draw() {
  const ticket = ++drawing;
  const { parts, params } = route();
  const page = parts[0] || "map";
  current(page === "area" ? "map" : page);
  const container = el("div");
  if (!main.dataset.page) fill(main, el("p", { class: "body" }, "Loading…"));
  main.setAttribute("aria-busy", "true");
  try {
    if (page === "area" && parts[1]) {
      const code = decodeURIComponent(parts[1]);
      await area.render(container, code, params, (p) => navigate(`/area/${encodeURIComponent(code)}`, p));
    } else if (page === "workforce") {
      await workforce.render(container, params, (p) => navigate("/workforce", p));
    } else if (page === "programmes") {
      await programmes.render(container, params, (p) => navigate("/programmes", p));
    } else if (page === "map") {
      await map.render(container, params, (changes) => navigate("/map", { ...Object.fromEntries(params), ...changes }));
    } else {
      fill(container, el("h1", null, "Page not found"), el("p", null, el("a", { href: "#/" }, "Go to the map")));
    }
  } catch (error) {
    fill(container, el("h1", null, "Sorry, there is a problem"), failure(error));
  }
  if (ticket !== drawing) return;
  const previous = main.dataset.page;
  fill(main, ...container.childNodes);
  main.dataset.page = page;
  main.removeAttribute("aria-busy");
  const heading = main.querySelector("h1");
  document.title = `${heading ? heading.textContent : "Error"} – Social mobility explorer`;
  // After a navigation, focus goes to the new page, as GOV.UK pages start at their heading.
  if (previous) main.focus();
  performance.mark(`explorer:${page}-drawn`);
}

window.addEventListener("hashchange", draw);
draw();
