// Building blocks of the pages, after GOV.UK Design System components: elements, tables
// with a CSV download, warning text, error summaries and form controls.

/** An element with attributes (`class`, `data-*`, `aria-*`, event handlers as `on*`) and children. */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  setAttributes(node, attributes);
  append(node, children);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element, as `el` makes HTML ones. */
export function svg(tag, attributes, ...children) {
  const node = document.createElementNS(SVG, tag);
  setAttributes(node, attributes);
  append(node, children);
  return node;
}

function setAttributes(node, attributes) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A number for people to read: thousands separated, at most `digits` decimals. */
export function number(value, digits = 2) {
  if (value === null || value === undefined) return null;
  return value.toLocaleString("en-GB", { maximumFractionDigits: digits });
}

/** A fraction (0 to 1) as a percentage. */
export function percent(value, digits = 1) {
  if (value === null || value === undefined) return null;
  return `${(value * 100).toLocaleString("en-GB", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })}%`;
}

/** A code in words: `COLD_SPOT` reads "Cold spot". */
export function words(code) {
  if (!code) return "";
  const text = code.toLowerCase().replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Why a figure is withheld, as GOV.UK statistics put it beside the `[c]` symbol. */
export const WITHHELD = {
  SUPPRESSED_SMALL_COUNT: "the count is below the disclosure threshold after perturbation",
  SUPPRESSED_SMALL_GROUP: "the group is too small to publish any of its figures",
};

/** A withheld figure: `[c]`, with its reason for screen readers and on hover. */
export function withheld(reason) {
  const why = WITHHELD[reason] || "withheld by disclosure control";
  return el("abbr", { title: `Confidential: ${why}`, "data-withheld": reason || "" }, "[c]");
}

/**
 * A table: `columns` are `{ label, numeric }`, `rows` arrays of cells (text, nodes, or
 * `{ value, attributes }`). The first cell of each row is its header.
 */
export function table({ caption, columns, rows, id }) {
  const head = el(
    "thead",
    null,
    el("tr", null, columns.map((c) => el("th", { scope: "col", class: c.numeric ? "numeric" : null }, c.label))),
  );
  const body = el(
    "tbody",
    null,
    rows.map((row) =>
      el(
        "tr",
        null,
        row.map((cell, i) => {
          const tag = i === 0 ? "th" : "td";
          const plain = cell === null || cell === undefined || typeof cell !== "object" || cell instanceof Node;
          const content = plain ? cell : cell.value;
          const attributes = {
            scope: i === 0 ? "row" : null,
            class: columns[i] && columns[i].numeric ? "numeric" : null,
            ...(plain ? {} : cell.attributes),
          };
          return el(tag, attributes, content === null || content === undefined ? "[x]" : content);
        }),
      ),
    ),
  );
  return el("div", { class: "table-wrap" }, el("table", { class: "table", id }, el("caption", null, caption), head, body));
}

/** A link to a persisted query's CSV answer. */
export function download(url, what) {
  return el("p", { class: "downloads" }, el("a", { href: url, download: "", "data-csv": "" }, `Download ${what} (CSV)`));
}

/** A chart's table alternative, folded under the chart. */
export function tableAlternative(tableNode, summaryText = "Show the data as a table") {
  return el("details", null, el("summary", null, summaryText), tableNode);
}

/** GOV.UK warning text. */
export function warning(text) {
  return el(
    "div",
    { class: "warning", role: "note" },
    el("span", { class: "warning__icon", "aria-hidden": "true" }, "!"),
    el("strong", null, el("span", { class: "visually-hidden" }, "Warning: "), text),
  );
}

/** The banner every page shows over synthetic figures. */
export function syntheticBanner(what) {
  return el(
    "div",
    { "data-synthetic-banner": "" },
    warning(`${what} synthetic demo data: invented, not published figures. They say nothing about real places, employers or people.`),
  );
}

/** An error summary for a failed request. */
export function failure(error) {
  return el(
    "div",
    { class: "error-summary", role: "alert", "data-error": error.code || "" },
    el("h2", null, "There is a problem"),
    el("p", null, error.message || String(error)),
  );
}

/** A labelled `<select>`; `onchange` gets the chosen value. */
export function select({ id, label, options, value, onchange }) {
  return el(
    "div",
    { class: "form-group" },
    el("label", { class: "label", for: id }, label),
    el(
      "select",
      { id, name: id, onchange: (event) => onchange(event.target.value) },
      options.map((o) => el("option", { value: o.value, selected: o.value === value }, o.label)),
    ),
  );
}

/** A summary list: `[term, description]` pairs. */
export function summaryList(pairs) {
  return el(
    "dl",
    { class: "summary-list" },
    pairs.map(([term, description]) => el("div", null, el("dt", null, term), el("dd", null, description ?? "[x]"))),
  );
}

/** The source line under a figure. */
export function source(text, licence) {
  return el("p", { class: "hint" }, `Source: ${text || "not stated"}`, licence ? `. Licence: ${licence}.` : "");
}

/** Replaces a node's children, flattening lists and leaving out empty ones, as `el` does. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
}
