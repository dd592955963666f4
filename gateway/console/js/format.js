// Display only: the API speaks integer fen and ISO instants; people read 元 and their store's clock.
import { lang } from "./i18n.js";

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

const locale = () => (lang() === "zh" ? "zh-CN" : "en-GB");

export function dateTime(iso, timeZone) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(locale(), { timeZone, dateStyle: "short", timeStyle: "short" }).format(new Date(iso));
}

export function date(iso, timeZone) {
  if (!iso) return "—";
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso; // already a local day
  return new Intl.DateTimeFormat(locale(), { timeZone, dateStyle: "medium" }).format(new Date(iso));
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
