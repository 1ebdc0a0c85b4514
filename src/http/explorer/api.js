// The API as this page uses it: the public persisted queries, by URL. Nothing else is
// fetched but the map outlines, so the page shows only what any client can get.

/** A query string of `params`: lists give one parameter per item; empty values are left out. */
export function search(params) {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      for (const item of value) out.append(name, String(item));
    } else {
      out.append(name, String(value));
    }
  }
  return out.toString();
}

/** The URL of a persisted query's answer as CSV (the partners' export). */
export function csvUrl(name, params) {
  const query = search(params);
  return `/q/${name}.csv${query ? `?${query}` : ""}`;
}

/** An error the API answered, with its code and message. */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const answers = new Map();

/** How often a request the server turned away for the moment (503, 429) is tried again. */
const RETRIES = 3;

/**
 * `fetch`, tried again when the server says it is busy or briefly unavailable (503, 429),
 * after its `Retry-After` (at most 5 s) or a growing pause: what any client of this API
 * should do.
 */
async function patient(url, options) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, options);
    if ((response.status !== 503 && response.status !== 429) || attempt === RETRIES) return response;
    const after = Number(response.headers.get("Retry-After"));
    const wait = Number.isFinite(after) && after > 0 ? Math.min(after, 5) * 1000 : 500 * (attempt + 1);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * The `data` of a persisted query's answer. Answers are kept for the page's life (the API's
 * own caching still applies on reload); a failed request is not kept, so it can be retried.
 */
export function query(name, params) {
  const query = search(params);
  const url = `/q/${name}${query ? `?${query}` : ""}`;
  if (!answers.has(url)) {
    const answer = patient(url, { headers: { Accept: "application/json" } })
      .then(async (response) => {
        let body;
        try {
          body = await response.json();
        } catch {
          throw new ApiError(`The API answered ${response.status} without JSON`, "HTTP");
        }
        if (body.errors && body.errors.length) {
          const first = body.errors[0];
          const code = (first.extensions && first.extensions.code) || body.code || "ERROR";
          throw new ApiError(first.message || "The API refused the request", code);
        }
        if (!response.ok || !body.data) {
          throw new ApiError(body.message || `The API answered ${response.status}`, body.code || "HTTP");
        }
        return body.data;
      })
      .catch((error) => {
        answers.delete(url);
        throw error;
      });
    answers.set(url, answer);
  }
  return answers.get(url);
}

/** Every page of a connection query that takes `after`, joined. */
export async function allPages(name, params, connection) {
  const nodes = [];
  let after;
  for (;;) {
    const data = await query(name, { ...params, after });
    const page = connection(data);
    nodes.push(...page.nodes);
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor;
  }
}

const files = new Map();

/** A file this server ships beside the API (the map outlines), parsed as JSON. */
export function file(path) {
  if (!files.has(path)) {
    files.set(
      path,
      patient(path).then((response) => {
        if (!response.ok) throw new ApiError(`${path}: ${response.status}`, "HTTP");
        return response.json();
      }),
    );
  }
  return files.get(path);
}
