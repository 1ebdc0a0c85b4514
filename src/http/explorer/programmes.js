// Programme outcomes: for each programme, one metric period by period, delivered against
// planned, as a chart, a table and the programme-series query's CSV, with its source.

import { query, csvUrl } from "./api.js";
import { el, table, download, tableAlternative, syntheticBanner, select, number, percent, source, words, fill } from "./ui.js";
import { groupedBars, paint } from "./charts.js";

async function section(programme, metricCode, go) {
  const metric = programme.metrics.find((m) => m.code === metricCode) || programme.metrics[0];
  const heading = el("h2", { id: `programme-${programme.code}` }, programme.name, programme.synthetic ? el("strong", { class: "tag tag--synthetic" }, "Synthetic") : "");
  const about = [
    heading,
    el("p", { class: "hint" }, `${words(programme.stage)}. Run by ${programme.owner.name}.`),
    el("p", null, programme.description),
  ];
  if (!metric) return el("section", { "data-programme": programme.code }, about, el("p", null, "No figures are published for this programme."));
  const variables = { programme: programme.code, metric: metric.code };
  const { programme: answer } = await query("programme-series", variables);
  const points = answer.series;
  const unit = metric.unit;
  const title = `${programme.name}: ${metric.name.toLowerCase()}, actual and target by period`;
  const caveats = points.flatMap((p) => p.caveats.map((c) => `${p.period}: ${c}`));
  return el(
    "section",
    { "data-programme": programme.code },
    about,
    programme.metrics.length > 1
      ? el(
          "div",
          { class: "controls" },
          select({
            id: `metric-${programme.code}`,
            label: "Metric",
            value: metric.code,
            options: programme.metrics.map((m) => ({ value: m.code, label: m.name })),
            onchange: (value) => go(programme.code, value),
          }),
        )
      : "",
    points.length
      ? [
          groupedBars({
            title,
            unit,
            labels: points.map((p) => p.period),
            series: [
              { name: "Actual", values: points.map((p) => p.actual) },
              { name: "Target", values: points.map((p) => p.target) },
            ],
          }),
          tableAlternative(
            table({
              caption: title,
              columns: [
                { label: "Period" },
                { label: `Actual (${unit})`, numeric: true },
                { label: `Target (${unit})`, numeric: true },
                { label: "Attainment", numeric: true },
                { label: "Change", numeric: true },
              ],
              rows: points.map((p) => [
                p.period,
                p.actual === null ? p.actualNotAggregated || "[x]" : number(p.actual),
                p.target === null ? p.targetNotAggregated || "[x]" : number(p.target),
                p.attainment === null ? "[x]" : percent(p.attainment, 0),
                p.change === null ? "[x]" : `${p.change > 0 ? "+" : ""}${number(p.change)} on ${p.changeFrom}`,
              ]),
            }),
          ),
          caveats.length ? el("ul", { class: "hint" }, caveats.map((c) => el("li", null, c))) : "",
          source(programme.source, programme.licence),
          download(csvUrl("programme-series", variables), "this series"),
        ]
      : el("p", null, "No figures are recorded for this metric."),
  );
}

export async function render(main, params, go) {
  fill(main, el("p", { class: "body" }, "Loading the programmes…"));
  const { programmes } = await query("programmes", {});
  const sections = await Promise.all(
    programmes.map((p) =>
      section(p, params.get(`metric-${p.code}`), (code, metric) => {
        const next = Object.fromEntries(params);
        next[`metric-${code}`] = metric;
        go(next);
      }),
    ),
  );
  fill(main, 
    el("h1", null, el("span", { class: "caption" }, "What programmes delivered"), "Programmes"),
    programmes.some((p) => p.synthetic) ? syntheticBanner("Programmes marked synthetic are") : "",
    el("p", null, "Each chart shows what a programme delivered against its target, period by period; the table under it gives the same figures."),
    sections,
  );
  paint(main);
}
