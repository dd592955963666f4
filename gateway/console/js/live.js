// Live screens: one stream of the chosen store's changes per console tab (GET /v1/stream, server-sent
// events read with fetch, so the token rides in the Authorization header and never in a URL). A screen
// says which changes concern it (`watch`); it reloads when one arrives, a burst coalesced into one reload,
// and never under a person typing (it waits until they leave the field). While the stream is down (no bus,
// a server full, a proxy that cut it) the watched screens poll instead, and the stream is tried again.
// `document.body.dataset.live` is "on" while the stream is open, "off" otherwise.
import { lang } from "./i18n.js";

const POLL_MS = 15_000; // the fallback while the stream is down
const COALESCE_MS = 150;
const RETRY_MS = [1_000, 3_000, 10_000, 30_000];

const watchers = new Set();
let stream = null; // { storeId, abort }
let lastEventId = null;
let failures = 0;

/** Reload `reload` when a change whose type starts with one of `prefixes` arrives, for as long as `root` is on
 * the page; poll every `pollMs` while the stream is down. */
export function watch(root, prefixes, reload, pollMs = POLL_MS) {
  const watcher = { root, prefixes, reload, pollMs, timer: null, polled: Date.now(), pending: false };
  watchers.add(watcher);
  return watcher;
}

const alive = (watcher) => {
  if (watcher.root.isConnected) return true;
  watchers.delete(watcher);
  return false;
};

const typing = (root) => root.contains(document.activeElement) && ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);

function fire(watcher) {
  if (!alive(watcher) || watcher.timer) return;
  watcher.timer = setTimeout(() => {
    watcher.timer = null;
    if (!alive(watcher)) return;
    if (typing(watcher.root)) { // after they leave the field
      if (!watcher.pending) {
        watcher.pending = true;
        watcher.root.addEventListener("focusout", () => { watcher.pending = false; fire(watcher); }, { once: true });
      }
      return;
    }
    watcher.polled = Date.now();
    watcher.reload();
  }, COALESCE_MS);
}

function changed(type) {
  for (const watcher of [...watchers]) {
    if (type === null || watcher.prefixes.some((prefix) => type.startsWith(prefix))) fire(watcher);
  }
}

setInterval(() => { // the fallback: polling while there is no stream
  if (document.body.dataset.live === "on") return;
  for (const watcher of [...watchers]) if (Date.now() - watcher.polled >= watcher.pollMs) fire(watcher);
}, 1_000);

function status(on) {
  document.body.dataset.live = on ? "on" : "off";
}

/** The stream of `storeId` (the one the console shows), from now on; none without a store or a token. */
export function follow(storeId, token) {
  if (stream?.storeId === storeId && stream.token === token) return;
  stream?.abort.abort();
  stream = null;
  status(false);
  if (!storeId || !token) return;
  lastEventId = null;
  failures = 0;
  stream = { storeId, token, abort: new AbortController() };
  connect(stream);
}

async function connect(current) {
  let retryAfter = null;
  try {
    const headers = { Accept: "text/event-stream", Authorization: `Bearer ${current.token}`,
      "Accept-Language": lang() === "zh" ? "zh-CN" : "en" };
    if (lastEventId) headers["Last-Event-ID"] = lastEventId;
    // credentials "omit": its own connections, apart from the API's kept-alive ones (one origin, two servers)
    const reply = await fetch(`/v1/stream?store_id=${encodeURIComponent(current.storeId)}`,
      { headers, credentials: "omit", cache: "no-store", signal: current.abort.signal });
    if (reply.status === 401 || reply.status === 403) return; // signed out or moved: the app handles it
    if (!reply.ok) {
      retryAfter = Number(reply.headers.get("Retry-After")) * 1000 || null;
      throw new Error(`HTTP ${reply.status}`);
    }
    await read(reply.body, current);
  } catch {
    // down: the watched screens poll until the stream is back
  }
  if (current.abort.signal.aborted || stream !== current) return;
  status(false);
  changed(null); // what changed while it was down
  const delay = retryAfter ?? RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
  failures += 1;
  setTimeout(() => { if (stream === current) connect(current); }, delay);
}

async function read(body, current) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let fields = {};
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split(/\r?\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line === "") {
        dispatch(fields, current);
        fields = {};
      } else if (!line.startsWith(":")) {
        const at = line.indexOf(":");
        const name = at < 0 ? line : line.slice(0, at);
        fields[name] = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
      }
    }
  }
}

function dispatch(fields, current) {
  if (fields.id) lastEventId = fields.id;
  if (fields.event === "open") {
    failures = 0;
    status(true);
  } else if (fields.event === "reset") {
    changed(null);
  } else if (fields.event === "change" && stream === current) {
    try {
      changed(JSON.parse(fields.data).type);
    } catch {
      changed(null);
    }
  }
}
