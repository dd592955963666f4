// The car owner's live screens: one stream of their own changes (GET /c/v1/stream, server-sent events read
// with fetch, so the token rides in the Authorization header, never in a URL). A screen asks to be redrawn on
// a change (`follow`) for as long as it is the one on the phone; a burst of changes is one redraw. Nothing
// polls: without a stream (a link's one-document token, a server that refused) the screen is as it was read.
// `document.body.dataset.live` is "on" while the stream is open.
import { token } from "./api.js";

const COALESCE_MS = 300;
const RETRY_MS = [1_000, 3_000, 10_000, 30_000];

let following = null; // { hash, redraw }
let stream = null; // { token, abort }
let lastEventId = null;
let failures = 0;
let timer = null;

/** Redraw the screen now at `location.hash` when one of the owner's changes arrives, until the owner leaves it. */
export function follow(redraw) {
  following = { hash: location.hash, redraw };
  open();
}

function changed() {
  if (!following || following.hash !== location.hash || timer) return;
  timer = setTimeout(() => {
    timer = null;
    if (following && following.hash === location.hash) following.redraw();
  }, COALESCE_MS);
}

function open() {
  const current = token.get();
  if (stream?.token === current) return;
  stream?.abort.abort();
  stream = null;
  document.body.dataset.live = "off";
  if (!current) return;
  lastEventId = null;
  failures = 0;
  stream = { token: current, abort: new AbortController() };
  connect(stream);
}

async function connect(current) {
  let retryAfter = null;
  try {
    const headers = { Accept: "text/event-stream", Authorization: `Bearer ${current.token}` };
    if (lastEventId) headers["Last-Event-ID"] = lastEventId;
    const reply = await fetch("/c/v1/stream", { headers, credentials: "omit", cache: "no-store",
                                                signal: current.abort.signal });
    if (reply.status === 401 || reply.status === 403) return; // signed out, or a link's token: no stream
    if (!reply.ok) {
      retryAfter = Number(reply.headers.get("Retry-After")) * 1000 || null;
      throw new Error(`HTTP ${reply.status}`);
    }
    await read(reply.body, current);
  } catch {
    // down: tried again below
  }
  if (current.abort.signal.aborted || stream !== current) return;
  document.body.dataset.live = "off";
  changed(); // what changed while it was down
  const delay = retryAfter ?? RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
  failures += 1;
  setTimeout(() => { if (stream === current && token.get() === current.token) connect(current); }, delay);
}

async function read(body, current) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let fields = {};
  for (;;) {
    const { value, done } = await reader.read();
    if (done || stream !== current) return;
    buffer += value;
    const lines = buffer.split(/\r?\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line === "") {
        if (fields.id) lastEventId = fields.id;
        if (fields.event === "open") { document.body.dataset.live = "on"; failures = 0; }
        if (fields.event === "change" || fields.event === "reset") changed();
        fields = {};
      } else if (!line.startsWith(":")) {
        const at = line.indexOf(":");
        const name = at < 0 ? line : line.slice(0, at);
        fields[name] = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
      }
    }
  }
}
