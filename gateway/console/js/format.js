// Display only: the API speaks integer fen and ISO instants; people read 元 and their store's clock.

export function yuan(fen) {
  if (fen === null || fen === undefined) return "—";
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const whole = Math.floor(abs / 100).toLocaleString("en-US");
  return `${sign}¥${whole}.${String(abs % 100).padStart(2, "0")}`;
}

/** "12.3" → 1230 without floating point; NaN for anything that is not an amount. */
export function toFen(text) {
  const match = String(text ?? "").trim().replace(/[¥,，\s]/g, "").match(/^(-?)(\d*)(?:\.(\d{0,2}))?$/);
  if (!match || (match[2] === "" && !match[3])) return NaN;
  const fen = Number(match[2] || 0) * 100 + Number((match[3] || "").padEnd(2, "0"));
  return match[1] ? -fen : fen;
}

export const fenToInput = (fen) => (fen / 100).toFixed(2);

/** The parts of an instant on the store's clock: { year, month, day, hour, minute }, zero-padded. */
function clock(iso, timeZone) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso));
  return Object.fromEntries(parts.map((part) => [part.type, part.value]));
}

/** One format on every screen and in both languages: `2026-12-06 14:03` on the store's clock. */
export function dateTime(iso, timeZone) {
  if (!iso) return "—";
  const c = clock(iso, timeZone);
  return `${c.year}-${c.month}-${c.day} ${c.hour}:${c.minute}`;
}

/** The store's day of an instant as `2026-12-06` (a bare local day is shown as it is). */
export function date(iso, timeZone) {
  if (!iso) return "—";
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  const c = clock(iso, timeZone);
  return `${c.year}-${c.month}-${c.day}`;
}

/** Hours as 时:分 (`0.5` → `0:30`, `0.008` → `0:00`, `12.25` → `12:15`). */
export function hours(value) {
  if (value === null || value === undefined || value === "" || Number.isNaN(Number(value))) return "—";
  const minutes = Math.round(Math.abs(Number(value)) * 60);
  return `${Number(value) < 0 ? "-" : ""}${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}

/** The store's local day as YYYY-MM-DD, `offsetDays` from today. */
export function localDay(timeZone, offsetDays = 0) {
  const when = new Date(Date.now() + offsetDays * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(when);
}

export const qty = (n) => (n === null || n === undefined ? "—" : String(Number(n)));

/** The end of the store's local day (`offsetDays` from today) as an ISO instant with the store's offset. */
export function endOfLocalDay(timeZone, offsetDays = 0) {
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(new Date()).find((part) => part.type === "timeZoneName").value;
  return `${localDay(timeZone, 1 + offsetDays)}T00:00:00${name.replace("GMT", "") || "Z"}`;
}

/** The offset of `timeZone` at an instant (ms) in minutes east of UTC. */
function offsetMinutes(ms, timeZone) {
  const c = clock(new Date(ms).toISOString(), timeZone);
  const seen = Date.UTC(Number(c.year), Number(c.month) - 1, Number(c.day), Number(c.hour), Number(c.minute));
  return Math.round((seen - Math.floor(ms / 60000) * 60000) / 60000);
}

/** A day (`2026-12-06`) and a time of day (`14:30`) on the store's clock as an ISO instant (UTC): what a
 * person types in the store's time zone, whatever the browser's own. */
export function localInstant(day, time, timeZone) {
  const [year, month, date_] = day.split("-").map(Number);
  const [hour, minute] = time.split(":").map(Number);
  const guess = Date.UTC(year, month - 1, date_, hour, minute);
  const first = guess - offsetMinutes(guess, timeZone) * 60000;
  return new Date(guess - offsetMinutes(first, timeZone) * 60000).toISOString();
}
