// The gateway's public API, with the caller's token. Every POST carries an Idempotency-Key that is
// kept until the same request succeeds, so pressing "retry" after a timeout never does a thing twice.
import { lang, t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "error";
    this.fields = error.fields || {};
    this.params = error.params || {};
    this.requestId = body?.request_id;
  }
}

const session = {
  get token() { return sessionStorage.getItem("token"); },
  set token(value) { value ? sessionStorage.setItem("token", value) : sessionStorage.removeItem("token"); },
};
const pendingKeys = new Map(); // "POST /path {body}" → Idempotency-Key of the attempt not yet answered

export const hasToken = () => Boolean(session.token);
export const setToken = (token) => { session.token = token; };
export const token = () => session.token;

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") params.set(name, value);
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function send(method, path, { body, query, accept = "application/json", file } = {}) {
  const url = withQuery(path, query);
  const headers = { Accept: accept, "Accept-Language": lang() === "zh" ? "zh-CN" : "en" }; // messages it does not word
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let fingerprint = null;
  if (body !== undefined && !file) headers["Content-Type"] = "application/json";
  if (method === "POST") {
    fingerprint = file ? `${url} ${file.name} ${file.size} ${file.lastModified}` : `${url} ${JSON.stringify(body ?? {})}`;
    if (!pendingKeys.has(fingerprint)) pendingKeys.set(fingerprint, newKey());
    headers["Idempotency-Key"] = pendingKeys.get(fingerprint);
  }
  let payload = body === undefined ? undefined : JSON.stringify(body);
  if (file) { // multipart: the browser writes the boundary into Content-Type
    payload = new FormData();
    for (const [name, value] of Object.entries(body || {})) payload.append(name, value);
    payload.append("file", file);
  }
  let reply;
  try {
    reply = await fetch(url, { method, headers, body: payload });
  } catch {
    throw new ApiError(0, { error: { code: "network", message: t("network_error") } });
  }
  if (reply.status === 401 && session.token) {
    session.token = null;
    window.dispatchEvent(new Event("session-expired"));
  }
  if (!reply.ok) {
    const payload = await reply.json().catch(() => ({}));
    if (reply.status === 503) payload.error = { ...payload.error, message: t("service_unavailable") };
    if (payload.error?.code !== "request_in_progress") {
      pendingKeys.delete(fingerprint); // answered: a changed request gets a new key
    }
    throw new ApiError(reply.status, payload);
  }
  pendingKeys.delete(fingerprint);
  if (reply.status === 204) return true; // done, nothing to show
  return accept === "application/json" ? reply.json() : reply.blob();
}

export const api = {
  get: (path, query) => send("GET", path, { query }),
  post: (path, body = {}) => send("POST", path, { body }),
  patch: (path, body) => send("PATCH", path, { body }),
  put: (path, body) => send("PUT", path, { body }),
  del: (path) => send("DELETE", path),
  blob: (path) => send("GET", path, { accept: "application/pdf" }),
  /** A file (a photo from the camera) as multipart `file`, with text `fields`; retried under the same key. */
  upload: (path, file, fields = {}) => send("POST", path, { body: fields, file }),
  /** An attachment's bytes (the token cannot ride on an <img src>): a blob for an object URL. */
  image: (path) => send("GET", path, { accept: "image/*" }),
  /** Any attachment's bytes (a PDF, a video) as a blob, to open in a new tab. */
  file: (path) => send("GET", path, { accept: "*/*" }),
  /** A list's or report's every row as a CSV or xlsx file (gateway/exports): a blob to download. */
  export: (path, query, format) => send("GET", path, { query: { ...query, format }, accept: "*/*" }),
  /** Every item of a paginated list (bounded, for screens that show one store's day). */
  async all(path, query, limit = 1000) {
    const items = [];
    let cursor = null;
    do {
      const page = await send("GET", path, { query: { ...query, limit: 200, cursor } });
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < limit);
    return items;
  },
};
