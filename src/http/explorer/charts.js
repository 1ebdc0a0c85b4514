// Charts as plain SVG, each drawn beside a table of the same figures (the table is the
// accessible form; the SVG is hidden from screen readers). Colours are the Government
// Analysis Function's categorical palette, chosen to be told apart with colour-blindness.

import { el, svg, percent, number } from "./ui.js";

export const PALETTE = ["#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1"];

function legend(items) {
  return el(
    "ul",
    { class: "chart-legend", "aria-hidden": "true" },
    items.map(({ label, colour, pattern }) =>
      el(
        "li",
        null,
        el("span", { class: `swatch${pattern ? " swatch--withheld" : ""}`, "data-colour": colour }),
        label,
      ),
    ),
  );
}

/** Colours set from `data-colour` once in the document: the policy forbids inline styles. */
export function paint(root) {
  for (const swatch of root.querySelectorAll("[data-colour]")) {
    swatch.style.backgroundColor = swatch.dataset.colour;
  }
}

/**
 * Horizontal stacked bars of shares: one bar per group, one segment per category. A
 * withheld share is left out of its bar, which then stops short of the others' width; the
 * gap is hatched and labelled `[c]`.
 */
export function stackedBars({ title, groups, categories }) {
  const width = 720;
  const labelWidth = 170;
  const barHeight = 22;
  const gap = 10;
  const plot = width - labelWidth - 20;
  const height = groups.length * (barHeight + gap) + 30;
  const chart = svg("svg", {
    class: "chart",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${title}. The table below gives the same figures.`,
    "data-chart": "stacked-bars",
  });
  chart.append(
    svg(
      "defs",
      null,
      svg(
        "pattern",
        { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
        svg("rect", { width: 6, height: 6, fill: "#ffffff" }),
        svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#505a5f", "stroke-width": 2 }),
      ),
    ),
  );
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const x = labelWidth + tick * plot;
    chart.append(
      svg("line", { class: "grid", x1: x, x2: x, y1: 0, y2: height - 25 }),
      svg("text", { x, y: height - 8, "text-anchor": "middle" }, percent(tick, 0)),
    );
  }
  groups.forEach((group, row) => {
    const y = row * (barHeight + gap);
    chart.append(svg("text", { x: labelWidth - 8, y: y + barHeight * 0.7, "text-anchor": "end" }, group.label));
    let x = labelWidth;
    let withheld = false;
    group.shares.forEach((share, i) => {
      if (share === null || share === undefined) {
        withheld = true;
        return;
      }
      const w = Math.max(0, Math.min(1, share)) * plot;
      chart.append(
        svg(
          "rect",
          { x, y, width: w, height: barHeight, fill: PALETTE[i % PALETTE.length], "data-category": categories[i] },
          svg("title", null, `${group.label}, ${categories[i]}: ${percent(share)}`),
        ),
      );
      x += w;
    });
    if (withheld) {
      const rest = Math.max(0, labelWidth + plot - x);
      chart.append(
        svg("rect", { x, y, width: rest, height: barHeight, fill: "url(#hatch)", "data-withheld": "" }),
        svg("text", { x: x + 4, y: y + barHeight * 0.7 }, "[c]"),
      );
    }
  });
  const items = categories.map((label, i) => ({ label, colour: PALETTE[i % PALETTE.length] }));
  items.push({ label: "[c] withheld", colour: "#b1b4b6", pattern: true });
  return el("figure", { class: "figure-chart" }, legend(items), chart);
}

/**
 * Vertical bars in pairs per label (say actual and target per period), from a list of
 * series `{ name, values }` that share `labels`. A missing value draws no bar.
 */
export function groupedBars({ title, labels, series, unit }) {
  const width = 720;
  const height = 280;
  const left = 70;
  const bottom = 50;
  const plotW = width - left - 10;
  const plotH = height - bottom - 10;
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined)));
  const chart = svg("svg", {
    class: "chart",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${title}. The table below gives the same figures.`,
    "data-chart": "grouped-bars",
  });
  const ticks = 4;
  for (let t = 0; t <= ticks; t++) {
    const value = (max * t) / ticks;
    const y = 10 + plotH - (plotH * t) / ticks;
    chart.append(
      svg("line", { class: "grid", x1: left, x2: width - 10, y1: y, y2: y }),
      svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, unit === "fraction" ? percent(value, 0) : number(value, 1)),
    );
  }
  const band = plotW / Math.max(1, labels.length);
  const barW = Math.min(40, (band * 0.8) / series.length);
  labels.forEach((label, i) => {
    const x0 = left + i * band + (band - barW * series.length) / 2;
    series.forEach((s, j) => {
      const value = s.values[i];
      if (value === null || value === undefined) return;
      const h = (Math.max(0, value) / max) * plotH;
      chart.append(
        svg(
          "rect",
          { x: x0 + j * barW, y: 10 + plotH - h, width: barW - 2, height: h, fill: PALETTE[j % PALETTE.length] },
          svg("title", null, `${label}, ${s.name}: ${unit === "fraction" ? percent(value) : number(value)}`),
        ),
      );
    });
    chart.append(svg("text", { x: left + i * band + band / 2, y: height - bottom + 20, "text-anchor": "middle" }, label));
  });
  chart.append(svg("line", { class: "axis", x1: left, x2: width - 10, y1: 10 + plotH, y2: 10 + plotH }));
  return el(
    "figure",
    { class: "figure-chart" },
    legend(series.map((s, j) => ({ label: s.name, colour: PALETTE[j % PALETTE.length] }))),
    chart,
  );
}
