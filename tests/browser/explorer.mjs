// End-to-end tests of the explorer in a real browser: Debian's Chromium, headless, driven
// with playwright-core. Every figure the pages show is checked against the API's own answer
// to the same persisted query, fetched here beside the browser.
//
//   node tests/browser/explorer.mjs --base http://127.0.0.1:8080 [--screenshots DIR] [--chromium PATH]
//   node tests/browser/explorer.mjs --base ... --bench 20     (first render of the map, 20 loads)
//
// Exits 0 when every check passes, 1 with the failed check otherwise.

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    screenshots: { type: "string", default: "target/screenshots" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
    bench: { type: "string" },
  },
});
if (!args.base) throw new Error("--base URL is required");
const base = args.base.replace(/\/$/, "");

/** A check: throws with `what` when `ok` is false. */
function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

async function api(path) {
  const response = await fetch(base + path, { headers: { Accept: "application/json" } });
  check(response.ok, `${path} answers 200 (got ${response.status})`);
  const body = await response.json();
  check(!body.errors, `${path} answers without errors: ${JSON.stringify(body.errors)}`);
  return body.data ?? body;
}

async function geometries(path) {
  const topology = await api(path);
  return Object.values(topology.objects)[0].geometries;
}

const browser = await chromium.launch({
  executablePath: args.chromium,
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

const opened = [];

/** What each page shows and logged, and a screenshot of it: printed when a check fails. */
async function diagnose() {
  for (const [i, page] of opened.entries()) {
    if (page.isClosed()) continue;
    try {
      const main = await page.locator("main").innerText({ timeout: 2_000 });
      console.error(`page ${i}: ${page.url()}\n  shows: ${main.slice(0, 600).replaceAll("\n", " | ")}`);
      console.error(`  logged: ${page.problems.join("; ") || "nothing"}`);
      await shot(page, `failed-${i}`);
    } catch (error) {
      console.error(`page ${i}: ${page.url()}: ${error.message}`);
    }
  }
}

/** A fresh page that records console errors, failed loads and every URL it asked for. */
async function open() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  // Generous: a machine busy with a parallel build is slow, not broken. Nothing here is timed.
  page.setDefaultTimeout(90_000);
  page.problems = [];
  page.requested = [];
  page.on("console", (message) => {
    // A busy server's 503 or 429 is tried again by the page, which the checks then see work.
    const busy = /status of (503|429)/.test(message.text());
    if ((message.type() === "error" || message.type() === "warning") && !busy) {
      page.problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => page.problems.push(`uncaught: ${error.message}`));
  page.on("requestfailed", (request) => page.problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    const busy = response.status() === 503 || response.status() === 429;
    if (response.status() >= 400 && !busy) page.problems.push(`${response.status()}: ${response.url()}`);
  });
  page.on("request", (request) => page.requested.push(new URL(request.url())));
  page.on("response", (response) => {
    if (response.status() >= 500) console.error(`${response.status()} from ${response.url()}`);
  });
  opened.push(page);
  return page;
}

/** The page loaded nothing but the explorer's files and public persisted queries. */
function onlyPublic(page) {
  for (const url of page.requested) {
    check(url.origin === new URL(base).origin, `the page stays on its origin (asked ${url})`);
    const allowed = url.pathname === "/" || url.pathname.startsWith("/explorer/") || url.pathname.startsWith("/q/");
    check(allowed, `the page uses only /explorer/ files and /q/ persisted queries (asked ${url.pathname})`);
  }
}

function noProblems(page, where) {
  check(page.problems.length === 0, `${where}: no console errors or failed loads: ${page.problems.join("; ")}`);
}

async function shot(page, name) {
  mkdirSync(args.screenshots, { recursive: true });
  const path = join(args.screenshots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** Waits until the map of `level` is drawn, and returns how many areas it has. */
async function mapOf(page, level) {
  await page.waitForSelector(`svg.map[data-level="${level}"] a`);
  return page.locator("svg.map a").count();
}

/** The map's first render: milliseconds from navigation to the drawn map. */
async function firstRender(page) {
  await page.goto(`${base}/`);
  await mapOf(page, "LOCAL_AUTHORITY");
  return page.evaluate(() => ({
    drawn: performance.getEntriesByName("explorer:map-drawn")[0].startTime,
    data: performance.getEntriesByName("explorer:map-data")[0].startTime,
  }));
}

if (args.bench) {
  // Each load in a fresh context: no cache, as a first visit.
  const runs = [];
  for (let i = 0; i < Number(args.bench); i++) {
    const page = await open();
    runs.push(await firstRender(page));
    await page.context().close();
  }
  const summary = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    return { median: at(0.5), p90: at(0.9), max: Math.round(sorted.at(-1)) };
  };
  console.log(
    JSON.stringify({
      loads: runs.length,
      first_render_ms: summary(runs.map((r) => r.drawn)),
      data_arrived_ms: summary(runs.map((r) => r.data)),
      drawing_ms: summary(runs.map((r) => r.drawn - r.data)),
    }),
  );
  await browser.close();
  process.exit(0);
}

const results = {};
try {
  // The map, on first start: local authorities, coloured by class.
  const page = await open();
  const render = await firstRender(page);
  results.first_render_ms = Math.round(render.drawn);
  results.first_render_data_ms = Math.round(render.data);
  const lads = await geometries("/explorer/boundaries/lad-2021-buc.json");
  check((await mapOf(page, "LOCAL_AUTHORITY")) === lads.length, `every one of the ${lads.length} authorities is drawn`);
  check((await page.locator("svg.map path").count()) === lads.length, "one path per authority");
  const period = await page.locator("#period").inputValue();
  const method = await page.locator("#method").inputValue();
  const index = (await api(`/q/cold-spot-map?${new URLSearchParams({ period, level: "LOCAL_AUTHORITY", method })}`)).socialMobilityIndex;
  const drawnCodes = new Set(lads.map((g) => g.properties.LAD21CD));
  const scored = index.nodes.filter((n) => drawnCodes.has(n.areaCode));
  check(scored.length > 0, "the index scores some drawn authority");
  const classified = await page.locator("svg.map a[data-classification]").count();
  check(classified === scored.length, `every scored authority is coloured (${classified} of ${scored.length})`);
  // A known authority, and every other, gets the class the API gives it.
  const known = scored.find((n) => n.areaCode === "E09000033") || scored[0];
  const shown = await page.locator(`svg.map a[data-code="${known.areaCode}"]`).getAttribute("data-classification");
  check(shown === known.classification, `${known.area.name} is ${known.classification} on the map (shows ${shown})`);
  const classes = await page.$$eval("svg.map a[data-classification]", (links) =>
    Object.fromEntries(links.map((a) => [a.dataset.code, a.dataset.classification])),
  );
  for (const n of scored) check(classes[n.areaCode] === n.classification, `${n.areaCode} is ${n.classification}`);
  results.known_authority = `${known.area.name} (${known.areaCode}): ${known.classification}, ${period} ${method}`;
  // A synthetic index says so, a real one does not.
  const banner = await page.locator("[data-synthetic-banner]").count();
  check(banner === (index.method.synthetic ? 1 : 0), `the synthetic banner shows exactly when the index is synthetic (${index.method.synthetic})`);
  // The table alternative has a row per scored area, and the CSV link is the partners' export.
  check((await page.locator("#map-table tbody tr").count()) === index.nodes.length, "the map's table has a row per area");
  const csv = await page.locator("a[data-csv]").first().getAttribute("href");
  check(csv.startsWith("/q/cold-spot-map.csv?"), `the map downloads the cold-spot-map CSV (${csv})`);
  const csvAnswer = await fetch(base + csv);
  check(csvAnswer.ok && (await csvAnswer.text()).split("\n").length > index.nodes.length, "the CSV download answers");
  await shot(page, "map-local-authorities");

  // The keyboard reaches the map's areas, the focused area's figures show, and Enter opens it.
  await page.locator("body").focus();
  let reached = null;
  for (let presses = 0; presses < 40 && !reached; presses++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => {
      const a = document.activeElement;
      return a && a.closest("svg.map") ? a.dataset.code : null;
    });
  }
  check(reached, "Tab reaches a map area within 40 presses");
  const focusedName = await page.locator(`svg.map a[data-code="${reached}"]`).getAttribute("aria-label");
  const info = await page.locator("#area-info").innerText();
  check(info.includes(focusedName.split(":")[0]), `the focused area's figures show (${info})`);
  await page.keyboard.press("Enter");
  await page.waitForFunction((code) => location.hash.startsWith(`#/area/${code}`), reached);
  await page.waitForSelector('main[data-page="area"] h1');
  results.keyboard = `Tab reached ${focusedName.split(":")[0]}; Enter opened its page`;

  // The 2025 local areas, joined to their outlines by name, and the ITL2 areas.
  for (const [level, file, name] of [
    ["LOCAL_AREA", "/explorer/boundaries/smc-local-areas-2025.json", "map-local-areas"],
    ["ITL2", "/explorer/boundaries/itl2-2021-buc.json", "map-itl2"],
  ]) {
    await page.goto(`${base}/#/map?level=${level}`);
    const outlines = await geometries(file);
    check((await mapOf(page, level)) === outlines.length, `every one of the ${outlines.length} ${level} outlines is drawn`);
    const p = await page.locator("#period").inputValue();
    const m = await page.locator("#method").inputValue();
    const answer = (await api(`/q/cold-spot-map?${new URLSearchParams({ period: p, level, method: m })}`)).socialMobilityIndex;
    const coloured = await page.locator("svg.map a[data-classification]").count();
    results[`${level.toLowerCase()}_coloured`] = `${coloured} of ${outlines.length} outlines for ${answer.nodes.length} scored areas (${p})`;
    check(coloured === Math.min(answer.nodes.length, outlines.length), `${level}: every scored area's outline is coloured (${coloured} of ${answer.nodes.length})`);
    await shot(page, name);
  }
  // Colouring by one indicator's value.
  await page.goto(`${base}/#/map?level=ITL2&period=2023&colour=indicator&indicator=smc23_childhood_poverty`);
  await mapOf(page, "ITL2");
  const values = (await api("/q/indicator-values?indicator=smc23_childhood_poverty&period=2023&level=ITL2")).indicatorValues.nodes;
  check((await page.locator("#map-table tbody tr").count()) === values.length, "the indicator map's table has a row per value");
  noProblems(page, "map");
  onlyPublic(page);

  // An area's page: its class and rank as the API gives them, and its indicator values.
  const area = await open();
  await area.goto(`${base}/#/area/E09000033`);
  await area.waitForSelector('main[data-page="area"] h1');
  check((await area.locator("h1").innerText()).includes("Westminster"), "the area page is Westminster's");
  const areaPeriod = await area.locator("#period").inputValue();
  const profileUrl = await area.locator("a[data-csv]").first().getAttribute("href");
  const profile = (await api(profileUrl.replace(".csv?", "?"))).area;
  check(profile.index && (await area.locator(`[data-classification="${profile.index.classification}"]`).count()) === 1, `the area shows its class ${profile.index && profile.index.classification}`);
  check((await area.locator("#indicator-table tbody tr").count()) === profile.indicators.length, "one row per indicator value");
  results.area = `Westminster, ${areaPeriod}: ${profile.index.classification}, rank ${profile.index.rank}, ${profile.indicators.length} indicator values`;
  await shot(area, "area-westminster");
  await area.goto(`${base}/#/area/TLI3`);
  await area.waitForFunction(() => document.querySelector("main h1")?.textContent.includes("Inner London - West"));
  await shot(area, "area-itl2-inner-london-west");
  noProblems(area, "area");
  onlyPublic(area);

  // A hostile code in the URL is shown as text, never run or rendered as markup: one the API
  // finds no area for, and one it refuses (a NUL byte).
  const odd = await open();
  for (const hostile of ['<img src=x onerror="document.body.dataset.owned=1">', "<img src=x>\u0000\u202e"]) {
    await odd.goto(`${base}/#/area/${encodeURIComponent(hostile)}`);
    await odd.waitForFunction(() => document.querySelector('main[data-page="area"] h1'));
    const oddPage = await odd.evaluate(() => ({
      heading: document.querySelector("main h1").textContent,
      text: document.querySelector("main").textContent,
      images: document.querySelectorAll("main img").length,
      owned: document.body.dataset.owned || null,
    }));
    check(oddPage.images === 0 && oddPage.owned === null, "a hostile code is not rendered as markup");
    check(/not found|problem/i.test(oddPage.heading), `a hostile code gets a page saying so (${oddPage.heading})`);
    if (!hostile.includes("\u0000")) check(oddPage.text.includes(hostile), "the code is quoted as text");
    await odd.goto(`${base}/#/programmes`);
  }
  await odd.context().close();

  // The workforce: `[c]` exactly where the API withholds, with its reason.
  // The first employer whose staff by region has a figure withheld, by the API's own answer.
  const withheldIn = (groups) =>
    groups.flatMap((g) => [g.headcountSuppressed, g.respondentsSuppressed, ...g.categories.map((k) => k.suppressed)]).filter(Boolean).length;
  let employer = null;
  for (const e of (await api("/q/employers")).employers) {
    const answer = await api(`/q/workforce-distribution?employers=${e.code}&by=REGION`);
    if (withheldIn(answer.workforce.distribution) > 0) {
      employer = e.code;
      break;
    }
  }
  check(employer, "some employer's staff by region has a withheld figure to show");
  const work = await open();
  await work.goto(`${base}/#/workforce?employers=${employer}&by=REGION`);
  await work.waitForSelector("#workforce-table");
  const workCsv = await work.locator("a[data-csv]").first().getAttribute("href");
  check(workCsv.startsWith("/q/workforce-distribution.csv?"), `the table downloads the workforce-distribution CSV (${workCsv})`);
  const groups = (await api(workCsv.replace(".csv?", "?"))).workforce.distribution;
  const cells = await work.$$eval("#workforce-table tbody tr", (rows) =>
    rows.map((row) => [...row.querySelectorAll("td")].map((td) => ({ text: td.innerText.trim(), withheld: td.dataset.withheld || null }))),
  );
  check(cells.length === groups.length, `one row per group (${cells.length} of ${groups.length})`);
  let withheldCount = 0;
  groups.forEach((group, r) => {
    const expected = [
      [group.headcount, group.headcountSuppressed],
      [group.respondents, group.respondentsSuppressed],
      ...group.categories.flatMap((k) => [
        [k.count, k.suppressed],
        [k.share, k.suppressed],
      ]),
    ];
    expected.forEach(([value, reason], i) => {
      const shownCell = cells[r][i];
      if (reason) {
        withheldCount += 1;
        check(shownCell.text === "[c]" && shownCell.withheld === reason, `row ${r} cell ${i} is [c] (${reason}), shows ${shownCell.text}`);
      } else {
        check(shownCell.text !== "[c]" && shownCell.withheld === null, `row ${r} cell ${i} is shown (${value}), shows ${shownCell.text}`);
      }
    });
    group.categories.forEach((k, i) => {
      if (k.count !== null) check(cells[r][2 + 2 * i].text === k.count.toLocaleString("en-GB"), `row ${r} count ${i} is ${k.count}`);
    });
  });
  check(withheldCount > 0, "the page's table has withheld cells");
  results.workforce = `${employer} by region: ${groups.length} regions, ${withheldCount} cells [c] as the API withholds them`;
  check((await work.locator('svg[data-chart="stacked-bars"] rect[data-withheld]').count()) > 0, "the chart marks withheld shares");
  check((await work.locator("#benchmark-table tbody tr").count()) > 0, "the comparison table is drawn");
  check((await work.locator("#gets-on-table tbody tr").count()) > 0, "who gets on is drawn");
  await shot(work, "workforce-by-region");
  await work.goto(`${base}/#/workforce?employers=${employer}&by=GRADE_LEVEL&benchmark=E12000007`);
  await work.waitForFunction(() => document.querySelector("#benchmark-table caption")?.textContent.includes("London"));
  await shot(work, "workforce-by-grade-against-london");
  noProblems(work, "workforce");
  onlyPublic(work);

  // Programmes: each series as a chart and a table, as the API gives it.
  const prog = await open();
  await prog.goto(`${base}/#/programmes`);
  await prog.waitForSelector('main[data-page="programmes"] section[data-programme]');
  const { programmes } = await api("/q/programmes");
  check((await prog.locator("section[data-programme]").count()) === programmes.length, "a section per programme");
  const withMetrics = programmes.find((p) => p.code === "schools_programme") || programmes.find((p) => p.metrics.length);
  const series = (await api(`/q/programme-series?programme=${withMetrics.code}&metric=${withMetrics.metrics[0].code}`)).programme.series;
  const section = prog.locator(`section[data-programme="${withMetrics.code}"]`);
  check((await section.locator("table tbody tr").count()) === series.length, `${withMetrics.code}: a row per period`);
  check((await section.locator('svg[data-chart="grouped-bars"]').count()) === 1, `${withMetrics.code}: a chart`);
  results.programmes = `${programmes.length} programmes; ${withMetrics.code} has ${series.length} periods`;
  await shot(prog, "programmes");
  noProblems(prog, "programmes");
  onlyPublic(prog);

  console.log(JSON.stringify(results, null, 2));
} catch (error) {
  console.error(error.message);
  await diagnose();
  console.log(JSON.stringify(results, null, 2));
  await browser.close();
  process.exit(1);
}
await browser.close();
