// The store's details and settings: name, address and phone (identity: the header of every printed
// document), business hours, bays per slot and how long a quote stays valid (sales settings).
import { api } from "../api.js";
import { t } from "../i18n.js";
import { busy, field, fill, flash, form, h, input, timeInput } from "../ui.js";

/** Fired after the store's details change, so the shell reloads the stores it shows. */
export const CHANGED = "stores-changed";

export function render(root, ctx) {
  const body = h("div", { class: "grid", id: "store-settings" }, h("p", { class: "hint", text: t("loading") }));
  root.classList.add("manage");
  root.append(h("h1", { text: t("store_details") }), body);
  load(body, ctx);
}

/** A chain with no store yet: HQ opens the first one (the shell then opens it). */
export function renderFirst(root) {
  root.classList.add("manage");
  root.append(h("h1", { text: t("first_store") }), h("div", { class: "grid", id: "store-settings" }, openStoreForm()));
}

async function load(body, ctx) {
  try {
    const [store, settings] = await Promise.all([
      api.all("/v1/stores", {}, 10000).then((stores) => stores.find((s) => s.id === ctx.store.id)),
      api.get(`/v1/sales-settings/${ctx.store.id}`)]);
    fill(body, detailsForm(store), settingsForm(settings, ctx), ctx.user.sees_every_store ? openStoreForm() : null);
  } catch (error) {
    fill(body, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

/** A form whose submit sends what `read()` gives to `send`, busy and once at a time, then says so. */
function settingsCard(id, title, controls, read, send, done) {
  const submit = h("button", { class: "primary", type: "submit", text: t("save") });
  const card = form({ class: "card", id, onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const saved = await busy(submit, card, () => send(read(card)));
    if (saved) { flash(t("saved")); done(saved, card); }
  } }, h("h2", { text: t(title) }), controls, submit);
  return card;
}

const value = (scope, name) => scope.querySelector(`[name=${name}]`).value.trim();

function detailsForm(store) {
  return settingsCard("store-form", "store_details", [
    h("p", { class: "hint", text: `${t("store_code")} ${store.code} · ${t("time_zone")} ${store.timezone}` }),
    field("store_name", input("name", { required: true, maxlength: 100, value: store.name })),
    field("address", input("address", { maxlength: 200, value: store.address ?? "" })),
    field("phone", input("phone", { type: "tel", maxlength: 20, value: store.phone ?? "" }), t("printed_header_hint"))],
  (card) => ({ name: value(card, "name"), address: value(card, "address") || null, phone: value(card, "phone") || null }),
  (changes) => api.patch(`/v1/stores/${store.id}`, changes),
  (saved, card) => {
    card.querySelector("[name=phone]").value = saved.phone ?? ""; // as the API normalised it
    window.dispatchEvent(new CustomEvent(CHANGED, { detail: saved }));
  });
}

function settingsForm(settings, ctx) {
  return settingsCard("hours-form", "business_hours", [
    h("div", { class: "row" },
      field("opens_at", timeInput("opens_at", { required: true, value: settings.opens_at })),
      field("closes_at", timeInput("closes_at", { required: true, value: settings.closes_at }))),
    h("div", { class: "row" },
      field("slot_capacity", input("slot_capacity", { type: "number", min: 1, max: 100, required: true, value: settings.slot_capacity })),
      field("quote_valid_days", input("quote_valid_days", { type: "number", min: 1, max: 90, required: true, value: settings.quote_valid_days })))],
  (card) => ({ opens_at: value(card, "opens_at"), closes_at: value(card, "closes_at"),
    slot_capacity: Number(value(card, "slot_capacity")), quote_valid_days: Number(value(card, "quote_valid_days")) }),
  (changes) => api.put(`/v1/sales-settings/${ctx.store.id}`, changes),
  () => {});
}

/** HQ opens a store: its code (never changed), name, address and phone; it joins the store picker. */
function openStoreForm() {
  return settingsCard("new-store-form", "store_open", [
    field("store_code", input("code", { required: true, maxlength: 20 })),
    field("store_name", input("name", { required: true, maxlength: 100 })),
    field("address", input("address", { maxlength: 200 })),
    field("phone", input("phone", { type: "tel", maxlength: 20 }))],
  (card) => ({ code: value(card, "code"), name: value(card, "name"), address: value(card, "address") || null,
    phone: value(card, "phone") || null }),
  (store) => api.post("/v1/stores", store),
  (opened, card) => {
    card.reset();
    window.dispatchEvent(new CustomEvent(CHANGED, { detail: opened }));
  });
}
