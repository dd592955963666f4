// Electronic fapiao (数电票): the cashier asks for one on a paid invoice (普通发票 or 专用发票, the buyer's
// title and tax number), follows its status until the provider has issued it, downloads its PDF and
// reverses it by a red one (红字) after a refund; the screen lists the store's fapiao by status (the
// failed ones with the provider's reason, the queued ones while the provider is down).
import { api } from "../api.js";
import { dateTime, yuan } from "../format.js";
import { t } from "../i18n.js";
import { badge, busy, field, fill, form, h, input, select, showError, table, values } from "../ui.js";
import { creditCodeProblem } from "../validate.js";

export const POLL_MS = 1500;
export const WORKING = ["queued", "confirming", "issuing"];
const STATES = ["queued", "confirming", "issuing", "issued", "failed", "reversed", "cancelled"];
export const TONE = { issued: "ok", failed: "danger", reversed: "", cancelled: "", queued: "warn", confirming: "warn", issuing: "warn" };

export function render(root, ctx) {
  const status = select("status", [["", t("all_states")], ...STATES.map((s) => [s, t(`fapiao_status_${s}`)])]);
  const list = h("div", { id: "fapiao-list" });
  const load = () => listInto(list, { store_id: ctx.store.id, status: status.value || undefined, limit: 100 }, ctx, load);
  status.addEventListener("change", load);
  root.append(h("h1", { text: t("nav_fapiao") }), h("div", { class: "card" }, h("div", { class: "row" }, field("fapiao_status", status)), list));
  load();
}

/** The fapiao of a paid invoice and the form asking for one (the cashier's invoice screen). */
export function fapiaoCard(invoice, ctx) {
  const list = h("div", { id: "invoice-fapiao-list" });
  const load = () => listInto(list, { invoice_id: invoice.id, store_id: invoice.store_id, limit: 50 }, ctx, load, false);
  load();
  return h("div", { class: "card", id: "fapiao" }, h("h2", { text: t("fapiao") }), list, requestForm(invoice, load));
}

async function listInto(box, query, ctx, reload, withInvoice = true) {
  let page;
  try {
    page = await api.get("/v1/fapiao", query);
  } catch (error) {
    fill(box, h("div", { class: "form-error" }));
    return showError(box, error);
  }
  if (!box.isConnected && box.dataset.shown) return;
  box.dataset.shown = "1";
  fill(box, page.items.length ? table([
    ...(withInvoice ? [["invoice"]] : []), ["fapiao_kind"], ["fapiao_type"], ["buyer_title"], ["amount_yuan", "num"],
    ["fapiao_status"], ["fapiao_number"], ["fapiao_issued_at"], [""]],
  page.items.map((f) => h("tr", { "data-fapiao": f.id, "data-status": f.status },
    ...(withInvoice ? [h("td", { text: f.invoice_number })] : []),
    h("td", { text: t(`fapiao_kind_${f.kind}`) }), h("td", { text: t(`fapiao_type_${f.type}`) }),
    h("td", { text: f.buyer_title }), h("td", { class: "num", text: yuan(f.amount_fen) }),
    h("td", {}, badge(t(`fapiao_status_${f.status}`), TONE[f.status]),
      f.status === "failed" && f.failure ? h("small", { class: "hint", text: ` ${f.failure}` }) : "",
      f.status === "queued" && f.attempts ? h("small", { class: "hint", text: ` ${t("fapiao_provider_down")}` }) : ""),
    h("td", { text: f.number ?? "—" }), h("td", { text: f.issued_at ? dateTime(f.issued_at, ctx.tz) : "—" }),
    h("td", {}, f.pdf_url ? h("a", { href: f.pdf_url, target: "_blank", rel: "noopener", class: "pdf-link", text: t("fapiao_pdf") }) : "",
      f.ofd_url ? h("a", { href: f.ofd_url, download: "", class: "ofd-link", text: t("fapiao_ofd") }) : "",
      f.kind === "blue" && f.status === "issued" ? redButton(f, reload) : "")))) : h("p", { class: "hint", text: t("none") }));
  if (page.items.some((f) => WORKING.includes(f.status))) {
    setTimeout(() => { if (box.isConnected) reload(); }, POLL_MS);
  }
}

function requestForm(invoice, reload) {
  const submit = h("button", { type: "submit", class: "primary", text: t("fapiao_request") });
  const ask = form({ id: "fapiao-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = values(ask);
    const body = { type: v.type, buyer_title: v.buyer_title.trim() };
    if (v.buyer_tax_no.trim()) body.buyer_tax_no = v.buyer_tax_no.replace(/\s/g, "").toUpperCase();
    if (v.buyer_email.trim()) body.buyer_email = v.buyer_email.trim();
    const problem = creditCodeProblem(v.buyer_tax_no);
    if (problem) return showError(ask, { message: t("fix_fields"), fields: { buyer_tax_no: [t(problem)] } });
    const done = await busy(submit, ask, () => api.post(`/v1/invoices/${invoice.id}/fapiao`, body));
    if (done) { ask.reset(); reload(); titles.refresh(); }
  } },
  h("div", { class: "row" },
    field("fapiao_type", select("type", ["normal", "special"].map((v) => [v, t(`fapiao_type_${v}`)]))),
    field("buyer_title", input("buyer_title", { required: true, maxlength: 100 })),
    field("buyer_tax_no", input("buyer_tax_no", { maxlength: 18, autocapitalize: "characters" })),
    field("buyer_email", input("buyer_email", { type: "email" }))),
  h("p", { class: "hint", text: t("fapiao_request_hint") }), submit);
  const titles = earlierTitles(invoice, ask);
  ask.prepend(titles.box);
  return ask;
}

/** The customer's titles on earlier fapiao, one tap each to fill the form (nothing typed twice). */
function earlierTitles(invoice, ask) {
  const box = h("div", { class: "row", id: "fapiao-titles" });
  const refresh = () => api.get(`/v1/customers/${invoice.customer_id}/fapiao-titles`).then((answer) => {
    if (!answer.items.length) return;
    fill(box, h("span", { class: "hint", text: t("fapiao_earlier_titles") }), ...answer.items.map((title) =>
      h("button", { type: "button", class: "secondary", "data-title": title.buyer_title, onclick: () => {
        const set = (name, value) => { ask.elements.namedItem(name).value = value ?? ""; };
        set("type", title.type);
        set("buyer_title", title.buyer_title);
        set("buyer_tax_no", title.buyer_tax_no);
        set("buyer_email", title.buyer_email);
      }, text: title.buyer_tax_no ? `${title.buyer_title} · ${title.buyer_tax_no}` : title.buyer_title })));
  }).catch(() => {}); // the form works without them
  refresh();
  return { box, refresh };
}

function redButton(fapiao, reload) {
  const open = h("button", { type: "button", class: "link", text: t("fapiao_red_letter") });
  open.addEventListener("click", () => {
    const submit = h("button", { type: "submit", class: "danger", text: t("fapiao_red_letter") });
    const red = form({ class: "red-letter-form", onsubmit: async (event) => {
      event.preventDefault();
      const done = await busy(submit, red, () => api.post(`/v1/fapiao/${fapiao.id}/red-letter`, { reason: values(red).reason }));
      if (done) reload();
    } },
    field("fapiao_red_reason", select("reason", ["refund", "cancelled", "error"].map((r) => [r, t(`fapiao_red_reason_${r}`)]))), submit);
    open.replaceWith(red);
  });
  return open;
}
