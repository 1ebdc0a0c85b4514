// The workforce dashboard: who gets in (staff by socio-economic background, by grade level
// or region, as stacked bars and a table with `[c]` where disclosure control withholds a
// figure), against the UK or a region, and who gets on (the progression ratio and the
// engagement gap).

import { query, allPages, csvUrl } from "./api.js";
import { el, failure, table, download, tableAlternative, syntheticBanner, select, number, percent, words, withheld, summaryList, source, WITHHELD, fill } from "./ui.js";
import { stackedBars, groupedBars, paint } from "./charts.js";

const MEASURES = {
  PARENTAL_OCCUPATION: "Parental occupation at 14",
  SCHOOL_TYPE: "Type of school",
  FREE_SCHOOL_MEALS: "Free school meals",
  PARENTAL_DEGREE: "Parental degree",
  SELF_ASSESSED: "Self-assessed background",
};
const BY = { GRADE_LEVEL: "Grade level", REGION: "Region" };

function groupLabel(key, by) {
  if (by === "REGION") return key.regionName || key.region || "Unknown";
  return key.gradeLevel === null ? "Unknown" : `Grade level ${key.gradeLevel}`;
}

/** A figure cell: its value, or `[c]` with the reason. */
function cell(value, reason, format) {
  if (reason) return { value: withheld(reason), attributes: { class: "numeric withheld", "data-withheld": reason } };
  return value === null || value === undefined ? "[x]" : format(value);
}

async function choices(params) {
  const { employers } = await query("employers", {});
  const regions = await allPages("map-areas", { level: "REGION" }, (d) => d.areas);
  const known = new Set(employers.map((e) => e.code));
  let chosen = params.getAll("employers").filter((c) => known.has(c));
  if (!chosen.length) {
    const real = employers.filter((e) => !e.synthetic);
    chosen = (real.length ? real : employers).map((e) => e.code);
  }
  const years = [...new Set(employers.filter((e) => chosen.includes(e.code)).flatMap((e) => e.snapshots.map((s) => s.year)))].sort();
  const year = years.includes(Number(params.get("year"))) ? Number(params.get("year")) : years[years.length - 1];
  const measure = MEASURES[params.get("measure")] ? params.get("measure") : "PARENTAL_OCCUPATION";
  const by = BY[params.get("by")] ? params.get("by") : "GRADE_LEVEL";
  const benchmarks = [{ code: "UK", name: "United Kingdom" }, ...regions.map((r) => ({ code: r.code, name: r.name }))];
  const benchmark = benchmarks.some((b) => b.code === params.get("benchmark")) ? params.get("benchmark") : "UK";
  return { employers, regions, chosen, years, year, measure, by, benchmarks, benchmark };
}

function form(c, go) {
  return el(
    "form",
    {
      id: "workforce-form",
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(event.target);
        go({
          employers: data.getAll("employers"),
          year: data.get("year"),
          measure: data.get("measure"),
          by: data.get("by"),
          benchmark: data.get("benchmark"),
        });
      },
    },
    el(
      "fieldset",
      null,
      el("legend", null, "Employers"),
      el(
        "div",
        { class: "checkboxes" },
        c.employers.map((e) =>
          el(
            "label",
            null,
            el("input", { type: "checkbox", name: "employers", value: e.code, checked: c.chosen.includes(e.code) }),
            `${e.name}${e.synthetic ? " (synthetic)" : ""}`,
          ),
        ),
      ),
    ),
    el(
      "div",
      { class: "controls" },
      select({ id: "year", label: "Year", value: String(c.year), options: c.years.map((y) => ({ value: String(y), label: String(y) })), onchange: () => {} }),
      select({ id: "measure", label: "Measure", value: c.measure, options: Object.entries(MEASURES).map(([value, label]) => ({ value, label })), onchange: () => {} }),
      select({ id: "by", label: "Break down by", value: c.by, options: Object.entries(BY).map(([value, label]) => ({ value, label })), onchange: () => {} }),
      select({ id: "benchmark", label: "Compare with", value: c.benchmark, options: c.benchmarks.map((b) => ({ value: b.code, label: b.name })), onchange: () => {} }),
      el("button", { class: "button", type: "submit" }, "Show figures"),
    ),
  );
}

function distribution(c, data) {
  const groups = data.workforce.distribution;
  const categories = groups.length ? groups[0].categories.map((k) => k.category) : [];
  const title = `Staff by ${MEASURES[c.measure].toLowerCase()}, by ${BY[c.by].toLowerCase()}, ${c.year}`;
  const chart = stackedBars({
    title,
    categories: categories.map(words),
    groups: groups.map((g) => ({ label: groupLabel(g.key, c.by), shares: g.categories.map((k) => (k.suppressed ? null : k.share)) })),
  });
  const columns = [
    { label: BY[c.by] },
    { label: "Headcount", numeric: true },
    { label: "Respondents", numeric: true },
    ...categories.flatMap((k) => [
      { label: `${words(k)}: count`, numeric: true },
      { label: `${words(k)}: share`, numeric: true },
    ]),
  ];
  const rows = groups.map((g) => [
    groupLabel(g.key, c.by),
    cell(g.headcount, g.headcountSuppressed, (v) => number(v, 0)),
    cell(g.respondents, g.respondentsSuppressed, (v) => number(v, 0)),
    ...g.categories.flatMap((k) => [cell(k.count, k.suppressed, (v) => number(v, 0)), cell(k.share, k.suppressed, (v) => percent(v))]),
  ]);
  const reasons = [...new Set(groups.flatMap((g) => [g.headcountSuppressed, g.respondentsSuppressed, ...g.categories.map((k) => k.suppressed)]).filter(Boolean))];
  const params = { employers: c.chosen, years: [c.year], measure: c.measure, by: [c.by] };
  return [
    el("h2", null, "Who gets in"),
    chart,
    table({ caption: title, columns, rows, id: "workforce-table" }),
    reasons.length
      ? el(
          "ul",
          { class: "hint", id: "withheld-reasons" },
          reasons.map((r) => el("li", null, el("strong", null, "[c] "), `${words(r)}: ${WITHHELD[r]}.`)),
        )
      : "",
    el("p", { class: "hint" }, "Counts are perturbed; shares are of those who declared their background, so a group's shares need not add up to 100%."),
    download(csvUrl("workforce-distribution", params), "this table"),
  ];
}

function comparison(c, data) {
  const group = data.workforce.distribution[0];
  if (!group) return [];
  const name = c.benchmarks.find((b) => b.code === c.benchmark).name;
  const title = `Staff against ${name}, ${MEASURES[c.measure].toLowerCase()}, ${c.year}`;
  const rows = group.categories.map((k) => [
    words(k.category),
    cell(k.share, k.suppressed, (v) => percent(v)),
    k.benchmarkShare === null ? "[x]" : percent(k.benchmarkShare),
    k.benchmark ? `${k.benchmark.population}${k.benchmark.published ? "" : " (other employers' staff, not a published population)"}${k.benchmark.caveat ? `. ${k.benchmark.caveat}` : ""}` : "[x]",
  ]);
  const sources = [...new Set(group.categories.map((k) => k.benchmark && k.benchmark.source).filter(Boolean))];
  return [
    el("h2", null, `Compared with ${name}`),
    groupedBars({
      title,
      unit: "fraction",
      labels: group.categories.map((k) => words(k.category)),
      series: [
        { name: "Staff", values: group.categories.map((k) => (k.suppressed ? null : k.share)) },
        { name: name, values: group.categories.map((k) => k.benchmarkShare) },
      ],
    }),
    tableAlternative(
      table({
        caption: title,
        id: "benchmark-table",
        columns: [{ label: "Background" }, { label: "Staff share", numeric: true }, { label: "Benchmark share", numeric: true }, { label: "Benchmark" }],
        rows,
      }),
    ),
    sources.length ? source(sources.join("; ")) : "",
    download(csvUrl("workforce-benchmark", { employers: c.chosen, years: [c.year], measure: c.measure, benchmark: c.benchmark }), "this comparison"),
  ];
}

function getsOn(c, data) {
  const w = data.workforce;
  const ratio = w.progressionRatio;
  const gap = w.engagementGap;
  const title = `Lower-background share by ${BY[c.by].toLowerCase()}, ${c.year}`;
  return [
    el("h2", null, "Who gets on"),
    summaryList([
      [
        "Progression ratio",
        ratio.suppressed
          ? withheld(ratio.suppressed)
          : ratio.value === null
            ? "[x]"
            : `${number(ratio.value, 2)}: the lower-background share at grade level ${ratio.seniorGradeLevel} (${percent(ratio.seniorLowerShare)}) over their share of all staff (${percent(ratio.overallLowerShare)}); 1 is parity`,
      ],
      [
        "Engagement gap",
        gap.suppressed
          ? withheld(gap.suppressed)
          : gap.value === null
            ? "[x]"
            : `${number(gap.value, 3)}: mean engagement of lower-background staff (${number(gap.lowerMean, 3)}) minus others' (${number(gap.otherMean, 3)})`,
      ],
    ]),
    table({
      caption: title,
      id: "gets-on-table",
      columns: [{ label: BY[c.by] }, { label: "Lower-background share", numeric: true }, { label: "All staff", numeric: true }, { label: "Gap", numeric: true }],
      rows: w.whoGetsOn.map((r) => [
        groupLabel(r.key, c.by),
        cell(r.lowerShare, r.suppressed, (v) => percent(v)),
        r.overallLowerShare === null ? "[x]" : percent(r.overallLowerShare),
        cell(r.gap, r.suppressed, (v) => percent(v)),
      ]),
    }),
    download(csvUrl("who-gets-on", { employers: c.chosen, years: [c.year], by: c.by }), "who gets on"),
  ];
}

export async function render(main, params, go) {
  fill(main, el("p", { class: "body" }, "Loading the workforce…"));
  const c = await choices(params);
  if (!c.employers.length) {
    fill(main, el("h1", null, "Workforce"), el("p", null, "No employer has published figures yet."));
    return;
  }
  const filter = { employers: c.chosen, years: [c.year] };
  // Each section stands alone: a comparison the API refuses (no population to compare
  // with) says why in its place and leaves the other figures shown.
  const [dist, bench, on] = await Promise.allSettled([
    query("workforce-distribution", { ...filter, measure: c.measure, by: [c.by] }),
    query("workforce-benchmark", { ...filter, measure: c.measure, benchmark: c.benchmark }),
    query("who-gets-on", { ...filter, by: c.by }),
  ]);
  const section = (answer, heading, draw) =>
    answer.status === "fulfilled" ? draw(c, answer.value) : [el("h2", null, heading), failure(answer.reason)];
  const synthetic = [dist, bench, on].some((a) => a.status === "fulfilled" && a.value.workforce.synthetic);
  fill(main, 
    el("h1", null, el("span", { class: "caption" }, "Who gets in, who gets on"), "Workforce"),
    synthetic ? syntheticBanner("These workforce figures are") : "",
    form(c, go),
    section(dist, "Who gets in", distribution),
    el("hr", { class: "section-break" }),
    section(bench, "Compared with a population", comparison),
    el("hr", { class: "section-break" }),
    section(on, "Who gets on", getsOn),
  );
  paint(main);
}
