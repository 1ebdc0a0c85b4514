// An area's page: its place in the index of its level, how many of its local authorities
// are cold spots, its indicators with intervals and sample sizes, and where programme
// activity within it went to cold spots.

import { query, csvUrl } from "./api.js";
import { el, table, download, syntheticBanner, summaryList, number, percent, words, select, fill } from "./ui.js";
import { indexPeriods } from "./map.js";

/** The programme count metrics with activity recorded by area: `[programme, metric]` pairs. */
async function countMetrics() {
  const { programmes } = await query("programmes", {});
  return programmes.flatMap((p) => p.metrics.filter((m) => m.kind === "COUNT").map((m) => [p, m]));
}

async function reach(area) {
  const pairs = await countMetrics();
  const answers = await Promise.all(
    pairs.map(([p, m]) =>
      query("programme-reach", { programme: p.code, metric: m.code, level: area.level }).then(
        (d) => d.programmeReach.find((r) => r.areaCode === area.code),
        () => null,
      ),
    ),
  );
  return pairs
    .map(([p, m], i) => ({ programme: p, metric: m, row: answers[i] }))
    .filter((r) => r.row && r.row.value > 0);
}

export async function render(main, code, params, go) {
  fill(main, el("p", { class: "body" }, "Loading the area…"));
  // The index period depends on the area's level, which only the API knows: a first answer
  // gives the level. Its `period` names no period, so it carries no indicator values.
  const la = await indexPeriods("LOCAL_AUTHORITY");
  const first = await query("area-profile", { code, indexPeriod: la.best, coldSpotPeriod: la.best, period: "-" });
  if (!first.area) {
    fill(main, el("h1", null, "Area not found"), el("p", null, `No area has the code ${code}.`));
    return;
  }
  const level = first.area.level;
  const periods = await indexPeriods(level);
  const period = periods.list.some((p) => p.period === params.get("period")) ? params.get("period") : periods.best;
  const method = params.get("method") === "Z_BANDS" ? "Z_BANDS" : "QUINTILES";
  const variables = { code: first.area.code, indexPeriod: period || la.best, method, coldSpotPeriod: la.best };
  const [{ area }, rows] = await Promise.all([query("area-profile", variables), reach(first.area)]);
  let total = null;
  if (period) {
    const index = await query("cold-spot-map", { period, level, method });
    total = index.socialMobilityIndex.nodes.length;
  }
  const values = area.indicators;
  const synthetic = (area.index && area.index.synthetic) || values.some((v) => v.indicator.synthetic) || rows.some((r) => r.row.synthetic);
  const index = area.index;
  fill(main, 
    el("h1", null, el("span", { class: "caption" }, words(area.level)), area.name),
    area.parent ? el("p", null, "Within ", el("a", { href: `#/area/${encodeURIComponent(area.parent.code)}` }, area.parent.name)) : "",
    synthetic ? syntheticBanner("Some figures on this page are") : "",
    el(
      "div",
      { class: "controls" },
      select({
        id: "period",
        label: "Index period",
        value: period,
        options: periods.list.map((p) => ({ value: p.period, label: `${p.period}${p.real === 0 ? " (synthetic)" : ""}` })),
        onchange: (value) => go({ period: value, method }),
      }),
      select({
        id: "method",
        label: "Method",
        value: method,
        options: [
          { value: "QUINTILES", label: "Quintiles" },
          { value: "Z_BANDS", label: "Z-score bands" },
        ],
        onchange: (value) => go({ period, method: value }),
      }),
    ),
    el("h2", null, "Social mobility index"),
    index
      ? summaryList([
          ["Class", el("strong", { "data-classification": index.classification }, words(index.classification))],
          ["Rank", `${index.rank} of ${total ?? "[x]"} (1 is the best prospects)`],
          [method === "Z_BANDS" ? "Band" : "Quintile", method === "Z_BANDS" ? words(index.zBand) : String(index.quintile)],
          ["Score", `${number(index.score, 3)}, from ${index.indicatorsUsed} indicators`],
          ["Period", period],
        ])
      : el("p", null, `No score for this area in ${period || "any period"}.`),
    area.coldSpots.scored > 0 && area.level !== "LOCAL_AUTHORITY"
      ? el(
          "p",
          null,
          `${area.coldSpots.coldSpots} of its ${area.coldSpots.scored} local authorities with a score (${percent(area.coldSpots.share)}) are cold spots in the local-authority index of ${area.coldSpots.period}${area.coldSpots.synthetic ? " (synthetic)" : ""}.`,
        )
      : "",
    el("h2", null, "Indicators"),
    values.length
      ? [
          table({
            caption: `Indicator values for ${area.name}`,
            id: "indicator-table",
            columns: [
              { label: "Indicator" },
              { label: "Period" },
              { label: "Value", numeric: true },
              { label: "Interval", numeric: true },
              { label: "Sample size", numeric: true },
              { label: "Source" },
            ],
            rows: values.map((v) => [
              `${v.indicator.name}${v.indicator.synthetic ? " (synthetic)" : ""}`,
              v.period,
              `${number(v.value)} ${v.indicator.unit}`,
              v.lower !== null && v.upper !== null ? `${number(v.lower)} to ${number(v.upper)}` : "[x]",
              v.sampleSize === null ? "[x]" : number(v.sampleSize, 0),
              v.indicator.source,
            ]),
          }),
          download(csvUrl("area-profile", variables), "this area's figures"),
        ]
      : el("p", null, "No indicator has values for this area."),
    el("h2", null, "Programme activity in cold spots"),
    rows.length
      ? [
          table({
            caption: `Programme activity recorded in ${area.name}, and the part in cold-spot local authorities`,
            id: "reach-table",
            columns: [
              { label: "Programme and metric" },
              { label: "Activity", numeric: true },
              { label: "In cold spots", numeric: true },
              { label: "Cold-spot share", numeric: true },
              { label: "Index period" },
            ],
            rows: rows.map(({ programme, metric, row }) => [
              `${programme.name}: ${metric.name}${row.synthetic ? " (synthetic)" : ""}`,
              number(row.value),
              number(row.coldSpotValue),
              row.coldSpotShare === null ? "[x]" : percent(row.coldSpotShare),
              row.indexPeriod,
            ]),
          }),
          el(
            "p",
            { class: "hint" },
            "Each row downloads as the programme-reach query's CSV: ",
            rows.map(({ programme, metric }, i) => [
              i ? ", " : "",
              el("a", { href: csvUrl("programme-reach", { programme: programme.code, metric: metric.code, level: area.level }), download: "" }, `${programme.name}: ${metric.name}`),
            ]),
          ),
        ]
      : el("p", null, "No programme activity is recorded within this area."),
  );
}
