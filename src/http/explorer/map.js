// The cold-spot map: every area of a level, coloured by its class or group in the social
// mobility index of a period, or by one indicator's value; a legend, the hovered or focused
// area's figures, a link to each area's page, and the same figures as a table and a CSV.

/* global d3, topojson */

import { query, allPages, file, csvUrl } from "./api.js";
import { el, svg, table, download, tableAlternative, syntheticBanner, select, number, words, fill } from "./ui.js";
import { paint } from "./charts.js";

/** Where each level's outlines come from and how an outline names its area. */
export const LEVELS = {
  LOCAL_AUTHORITY: {
    label: "Local authority districts",
    outlines: "/explorer/boundaries/lad-2021-buc.json",
    edition: "Local Authority Districts (May 2021), generalised",
    key: (p) => p.LAD21CD,
    name: (p) => p.LAD21NM,
  },
  LOCAL_AREA: {
    label: "Local areas of the Commission's 2025 indices",
    outlines: "/explorer/boundaries/smc-local-areas-2025.json",
    edition: "the Social Mobility Commission's 205 local areas (2025)",
    // The outlines carry names only; the API knows each area by the Commission's short
    // name too, the name in capitals with `_` for spaces. Both are compared by their
    // letters and digits alone, so punctuation cannot break the join.
    key: (p) => squash(p.Newname),
    name: (p) => p.Newname,
    byAlternativeCode: true,
  },
  ITL2: {
    label: "ITL2 areas",
    outlines: "/explorer/boundaries/itl2-2021-buc.json",
    edition: "International Territorial Level 2 (January 2021), generalised",
    key: (p) => p.ITL221CD,
    name: (p) => p.ITL221NM,
  },
};

/** A name or code reduced to its letters and digits, in capitals. */
function squash(name) {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, "");
}

/** Colours by class and group: blue for better prospects, orange for poorer. */
const CLASSES = {
  HOT_SPOT: "#12436D",
  NEITHER: "#BFC9D9",
  COLD_SPOT: "#F46A25",
};
const QUINTILES = ["#12436D", "#2073BC", "#9FC5E8", "#F9B286", "#F46A25"];
const Z_BANDS = {
  MOST_FAVOURABLE: "#0B2A44",
  FAVOURABLE: "#12436D",
  UPPER_MIDDLING: "#6BACE6",
  MIDDLING: "#D9DEE6",
  LOWER_MIDDLING: "#F9B286",
  UNFAVOURABLE: "#F46A25",
  MOST_UNFAVOURABLE: "#A33A0B",
};
const VALUES = ["#DEEBF7", "#9ECAE1", "#4292C6", "#2171B5", "#08306B"];
const NO_DATA = "#ffffff";

/**
 * The periods the index of `level` can be computed for, each with how many real and
 * synthetic indicators have values at that level then, and the one to show first: the
 * period most real indicators cover (the latest of equals), or, with none real, the most
 * synthetic ones.
 */
export async function indexPeriods(level) {
  const { indicators } = await query("indicators", {});
  const periods = new Map();
  for (const indicator of indicators) {
    if (!indicator.levels.includes(level)) continue;
    for (const period of indicator.periods) {
      const counts = periods.get(period) || { period, real: 0, synthetic: 0 };
      counts[indicator.synthetic ? "synthetic" : "real"] += 1;
      periods.set(period, counts);
    }
  }
  const list = [...periods.values()].sort((a, b) => a.period.localeCompare(b.period));
  let best = null;
  for (const p of list) {
    const better =
      !best ||
      (p.real > 0 ? p.real >= best.real : best.real === 0 && p.synthetic >= best.synthetic);
    if (better) best = p;
  }
  return { list, best: best && best.period };
}

const WIDTH = 600;
const HEIGHT = 800;
const drawings = new Map();

/**
 * Each outline of a level with its SVG path, projected once per page life. Started as soon as
 * the level is known, so the projection runs while the figures are still on their way.
 */
function shapes(levelName) {
  if (!drawings.has(levelName)) {
    const drawing = file(LEVELS[levelName].outlines).then((topology) => {
      const features = topojson.feature(topology, Object.values(topology.objects)[0]).features;
      // Fitted to the outlines' box (its corners and the ends of the central meridian),
      // not to every outline: the same fit, without projecting everything twice.
      const [west, south, east, north] = topojson.bbox(topology);
      const box = {
        type: "MultiPoint",
        coordinates: [[west, south], [east, south], [west, north], [east, north], [-2, south], [-2, north]],
      };
      const projection = d3.geoTransverseMercator().rotate([2, 0]).fitExtent([[4, 4], [WIDTH - 4, HEIGHT - 4]], box);
      const path = d3.geoPath(projection).digits(1);
      return features.map((feature) => ({ properties: feature.properties, d: path(feature) }));
    });
    drawing.catch(() => drawings.delete(levelName));
    drawings.set(levelName, drawing);
  }
  return drawings.get(levelName);
}

/** The map page's settings from the URL, with defaults filled in. */
async function settings(params) {
  const level = LEVELS[params.get("level")] ? params.get("level") : "LOCAL_AUTHORITY";
  const periods = await indexPeriods(level);
  const period = periods.list.some((p) => p.period === params.get("period")) ? params.get("period") : periods.best;
  const method = params.get("method") === "Z_BANDS" ? "Z_BANDS" : "QUINTILES";
  const colour = ["class", "group", "indicator"].includes(params.get("colour")) ? params.get("colour") : "class";
  return { level, period, method, colour, indicator: params.get("indicator"), periods };
}

/** Each area's key in the outlines, by the area's code, when they differ. */
async function outlineKeys(level) {
  if (!LEVELS[level].byAlternativeCode) return null;
  const nodes = await allPages("map-areas", { level }, (d) => d.areas);
  const keys = new Map();
  for (const node of nodes) {
    for (const alternative of node.alternativeCodes) keys.set(squash(alternative.code), node.code);
  }
  return keys;
}

/** The figures to colour by, keyed by area code: `{ name, colour, label, figures }`. */
async function colouring(s) {
  if (s.colour === "indicator" && s.indicator) {
    const data = await query("indicator-values", { indicator: s.indicator, period: s.period, level: s.level });
    const values = data.indicatorValues.nodes;
    const sorted = values.map((v) => v.value).sort((a, b) => a - b);
    const cut = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    const breaks = [0.2, 0.4, 0.6, 0.8].map(cut);
    const bin = (v) => breaks.filter((b) => v >= b).length;
    const unit = values[0] ? values[0].indicator.unit : "";
    const legend = VALUES.map((colour, i) => ({
      colour,
      label:
        sorted.length === 0
          ? ""
          : `${number(i === 0 ? sorted[0] : breaks[i - 1])} to ${number(i === 4 ? sorted[sorted.length - 1] : breaks[i])}`,
    }));
    const byCode = new Map(
      values.map((v) => [
        v.areaCode,
        {
          name: v.area.name,
          colour: VALUES[bin(v.value)],
          label: `${number(v.value)} ${unit}`,
          lines: [
            `Value: ${number(v.value)} ${unit}`,
            v.lower !== null && v.upper !== null ? `Interval: ${number(v.lower)} to ${number(v.upper)}` : null,
            v.publishedGroup ? `Published group: ${v.publishedGroup}` : null,
          ],
        },
      ]),
    );
    const synthetic = values.some((v) => v.indicator.synthetic);
    const columns = [{ label: "Area" }, { label: "Code" }, { label: "Value", numeric: true }, { label: "Interval" }, { label: "Sample size", numeric: true }];
    const rows = values.map((v) => [
      el("a", { href: `#/area/${encodeURIComponent(v.areaCode)}` }, v.area.name),
      v.areaCode,
      number(v.value),
      v.lower !== null && v.upper !== null ? `${number(v.lower)} to ${number(v.upper)}` : "[x]",
      v.sampleSize === null ? "[x]" : number(v.sampleSize, 0),
    ]);
    return {
      byCode,
      legend,
      synthetic,
      title: `${s.indicator}, ${s.period}`,
      table: { columns, rows },
      csv: csvUrl("indicator-values", { indicator: s.indicator, period: s.period, level: s.level }),
      csvWhat: "these indicator values",
    };
  }
  const data = await query("cold-spot-map", { period: s.period, level: s.level, method: s.method });
  const index = data.socialMobilityIndex;
  const byGroup = s.colour === "group";
  const groupOf = (n) => (s.method === "Z_BANDS" ? n.zBand : n.quintile);
  const colourOf = (n) => {
    if (!byGroup) return CLASSES[n.classification];
    return s.method === "Z_BANDS" ? Z_BANDS[n.zBand] : QUINTILES[n.quintile - 1];
  };
  const groupLabel = (n) => (s.method === "Z_BANDS" ? words(n.zBand) : `Quintile ${n.quintile}`);
  const byCode = new Map(
    index.nodes.map((n) => [
      n.areaCode,
      {
        name: n.area.name,
        colour: colourOf(n),
        classification: n.classification,
        label: `${words(n.classification)}, rank ${n.rank} of ${index.nodes.length}`,
        lines: [
          `Class: ${words(n.classification)}`,
          `${s.method === "Z_BANDS" ? "Band" : "Quintile"}: ${groupOf(n) === null ? "[x]" : groupLabel(n)}`,
          `Rank: ${n.rank} of ${index.nodes.length}`,
          `Score: ${number(n.score, 3)} (from ${n.indicatorsUsed} indicators)`,
        ],
      },
    ]),
  );
  const count = (test) => index.nodes.filter(test).length;
  const legend = !byGroup
    ? Object.entries(CLASSES).map(([c, colour]) => ({ colour, label: `${words(c)} (${count((n) => n.classification === c)})` }))
    : s.method === "Z_BANDS"
      ? Object.entries(Z_BANDS).map(([b, colour]) => ({ colour, label: `${words(b)} (${count((n) => n.zBand === b)})` }))
      : QUINTILES.map((colour, i) => ({
          colour,
          label: `Quintile ${i + 1}${i === 0 ? ", best prospects" : i === 4 ? ", poorest" : ""} (${count((n) => n.quintile === i + 1)})`,
        }));
  const columns = [
    { label: "Area" },
    { label: "Code" },
    { label: "Rank", numeric: true },
    { label: "Score", numeric: true },
    { label: s.method === "Z_BANDS" ? "Band" : "Quintile" },
    { label: "Class" },
  ];
  const rows = index.nodes.map((n) => [
    el("a", { href: `#/area/${encodeURIComponent(n.areaCode)}` }, n.area.name),
    n.areaCode,
    n.rank,
    number(n.score, 3),
    groupOf(n) === null ? "[x]" : groupLabel(n),
    { value: words(n.classification), attributes: { "data-classification": n.classification } },
  ]);
  return {
    byCode,
    legend,
    synthetic: index.method.synthetic,
    title: `Social mobility index, ${s.period}`,
    table: { columns, rows },
    csv: csvUrl("cold-spot-map", { period: s.period, level: s.level, method: s.method }),
    csvWhat: "this index",
  };
}

function controls(s, indicators, go) {
  const atLevel = indicators.filter((i) => i.levels.includes(s.level) && i.periods.includes(s.period));
  const parts = [
    select({
      id: "level",
      label: "Areas",
      value: s.level,
      options: Object.entries(LEVELS).map(([value, l]) => ({ value, label: l.label })),
      onchange: (level) => go({ level }),
    }),
    select({
      id: "period",
      label: "Period",
      value: s.period,
      options: s.periods.list.map((p) => ({
        value: p.period,
        label: `${p.period}${p.real === 0 ? " (synthetic)" : ""}`,
      })),
      onchange: (period) => go({ period }),
    }),
    select({
      id: "method",
      label: "Method",
      value: s.method,
      options: [
        { value: "QUINTILES", label: "Quintiles (2016-17 index)" },
        { value: "Z_BANDS", label: "Z-score bands (2024-25)" },
      ],
      onchange: (method) => go({ method }),
    }),
    select({
      id: "colour",
      label: "Colour by",
      value: s.colour,
      options: [
        { value: "class", label: "Hot and cold spots" },
        { value: "group", label: s.method === "Z_BANDS" ? "Z-score band" : "Quintile" },
        { value: "indicator", label: "One indicator's value" },
      ],
      onchange: (colour) => go({ colour }),
    }),
  ];
  if (s.colour === "indicator") {
    parts.push(
      select({
        id: "indicator",
        label: "Indicator",
        value: s.indicator,
        options: atLevel.map((i) => ({ value: i.code, label: `${i.name}${i.synthetic ? " (synthetic)" : ""}` })),
        onchange: (indicator) => go({ indicator }),
      }),
    );
  }
  return el("div", { class: "controls" }, parts);
}

/** Draws the map page into `main`; `go` changes the URL's settings. */
export async function render(main, params, go) {
  // The outlines are the largest download: ask for them before anything else is known.
  const levelAsked = LEVELS[params.get("level")] ? params.get("level") : "LOCAL_AUTHORITY";
  shapes(levelAsked).catch(() => {});
  outlineKeys(levelAsked).catch(() => {});
  const s = await settings(params);
  const { indicators } = await query("indicators", {});
  if (s.colour === "indicator" && !indicators.some((i) => i.code === s.indicator && i.levels.includes(s.level))) {
    const first = indicators.find((i) => i.levels.includes(s.level) && i.periods.includes(s.period));
    s.indicator = first ? first.code : null;
  }
  const level = LEVELS[s.level];
  fill(main, 
    el("h1", null, el("span", { class: "caption" }, "Where are the cold spots?"), "Social mobility map"),
    controls(s, indicators, go),
    el("p", { class: "body" }, "Loading the map…"),
  );
  if (!s.period) {
    main.lastChild.replaceWith(el("p", { class: "body" }, "No indicator has values at this level."));
    return;
  }
  const [outlines, figures, keys] = await Promise.all([shapes(s.level), colouring(s), outlineKeys(s.level)]);
  performance.mark("explorer:map-data");
  const info = el("div", { class: "area-info", id: "area-info", "aria-live": "polite" }, el("p", null, "Hover over or tab to an area to see its figures; select it to open its page."));
  const areas = new Map();
  const show = (link) => {
    const area = link && areas.get(link.dataset.code);
    if (!area) return;
    fill(
      info,
      el("p", null, el("strong", null, area.name)),
      area.entry ? area.entry.lines.filter(Boolean).map((line) => el("p", null, line)) : el("p", null, "No score in this period"),
    );
  };
  // One listener for every area, not one per area.
  const map = svg("svg", {
    class: "map",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    "aria-label": `Map of ${level.label.toLowerCase()}: ${figures.title}`,
    "data-level": s.level,
    onmouseover: (event) => show(event.target.closest("a")),
    onfocusin: (event) => show(event.target.closest("a")),
  });
  const drawn = [];
  for (const outline of outlines) {
    const outlineKey = level.key(outline.properties);
    const code = keys ? keys.get(outlineKey) || outlineKey : outlineKey;
    const entry = figures.byCode.get(code);
    const name = (entry && entry.name) || level.name(outline.properties);
    areas.set(code, { name, entry });
    const label = `${name}: ${entry ? entry.label : "no score"}`;
    const link = svg(
      "a",
      {
        href: `#/area/${encodeURIComponent(code)}`,
        "aria-label": label,
        "data-code": code,
        "data-classification": entry && entry.classification,
      },
      svg("path", { d: outline.d, fill: entry ? entry.colour : NO_DATA, class: entry ? null : "no-data" }, svg("title", null, label)),
    );
    drawn.push(link);
  }
  map.append(...drawn);
  const legend = el(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    figures.legend.map((item) => el("li", null, el("span", { class: "swatch", "data-colour": item.colour }), item.label)),
    el("li", null, el("span", { class: "swatch", "data-colour": NO_DATA }), "No score"),
  );
  const drawnCount = [...areas.values()].filter((a) => a.entry).length;
  main.lastChild.replaceWith(
    figures.synthetic ? syntheticBanner("This map shows") : "",
    el(
      "div",
      { class: "map-layout" },
      el("div", null, map, el("p", { class: "attribution" }, `Boundaries: ${level.edition}. Source: Office for National Statistics licensed under the Open Government Licence v.3.0. Contains OS data © Crown copyright and database right 2021-2022.`)),
      el(
        "div",
        null,
        el("h2", null, figures.title),
        el("p", { class: "hint" }, `${drawnCount} of ${outlines.length} areas have a figure.`),
        info,
        legend,
        download(figures.csv, figures.csvWhat),
      ),
    ),
    tableAlternative(table({ caption: figures.title, columns: figures.table.columns, rows: figures.table.rows, id: "map-table" })),
  );
  paint(main);
}
