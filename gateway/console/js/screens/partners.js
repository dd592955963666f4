// The partner API (HQ and store managers): API keys of the store (scopes per area, created with the secret
// shown this once, revoked at once, their last use and calls), and webhooks (a URL, the events, the store;
// the signing secret shown once; HQ may cover the whole chain) with their delivery log and a redelivery button.
// A webhook of the user's that kept failing and was disabled is named at the top (and counted on the menu).
import { api } from "../api.js";
import { dateTime } from "../format.js";
import { named, phrase, t } from "../i18n.js";
import { badge, busy, field, fill, flash, form, h, input, select, table } from "../ui.js";

const AREAS = ["customers", "appointments", "quotes", "orders", "work_orders", "stock", "invoices", "ledger"];
const EVENTS = ["crm.customer_registered", "crm.vehicle_registered", "sales.visit_checked_in", "sales.order_confirmed",
  "sales.order_cancelled", "workshop.work_started", "workshop.work_order_completed", "workshop.vehicle_delivered",
  "finance.invoice_issued", "finance.payment_received", "finance.invoice_paid", "finance.refund_issued",
  "inventory.stock_low", "inventory.stock_shortage"];
const CHAIN_EVENTS = ["crm.customer_merged", "crm.customer_erased"]; // no store's: chain-wide webhooks only
const STATUS_KIND = { active: "ok", delivered: "ok", pending: "", expired: "bad", revoked: "bad", failed: "bad", disabled: "bad" };

const eventName = (type) => named("event", type.replace(".", "_"));
const scopeName = (scope) => {
  const [area, access] = scope.split(":");
  return phrase("scope_words", { area, access });
};

/** The user's own webhooks that kept failing and were disabled: what the owner is told. */
export const disabledOfMine = async () =>
  (await api.get("/v1/webhooks", { owner: "me", status: "disabled", limit: 200 })).items;

export function render(root, ctx) {
  const state = { ctx, keys: h("div", { class: "card wide", id: "api-keys" }),
    hooks: h("div", { class: "card wide", id: "webhooks" }), shown: h("div", { id: "secret-once" }),
    notice: h("div", { id: "webhooks-disabled" }) };
  state.reload = () => Promise.all([loadKeys(state), loadHooks(state), loadNotice(state)]);
  root.classList.add("manage");
  root.append(h("h1", { text: `${t("nav_partners")} · ${ctx.store?.name ?? ""}` }), state.notice, state.shown,
    h("div", { class: "grid" }, keyForm(state), state.keys), h("div", { class: "grid" }, hookForm(state), state.hooks));
  state.reload();
}

async function loadNotice(state) {
  const mine = await disabledOfMine().catch(() => []);
  fill(state.notice, mine.length ? h("div", { class: "card wide form-error", role: "alert" },
    h("p", { text: t("webhooks_disabled_notice") }), h("ul", {}, ...mine.map((hook) => h("li", { text: hook.url }))))
    : null);
}

/** A secret answered once: shown until the screen is left, with the words that say so. */
function showSecret(state, what, secret) {
  fill(state.shown, h("div", { class: "card wide secret-once" }, h("h2", { text: t(what) }),
    h("p", { class: "hint", text: t("secret_shown_once") }), h("code", { class: "secret", text: secret })));
}

function keyForm(state) {
  const submit = h("button", { class: "primary", type: "submit", text: t("api_key_add") });
  const access = AREAS.map((area) => field(`area_${area}`, select(`scope_${area}`,
    [["", t("access_none")], ["read", named("access", "read")], ["write", named("access", "write")]])));
  const create = form({ class: "card", id: "api-key-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const read = (name) => create.querySelector(`[name=${name}]`).value;
    const rate = read("rate_per_minute");
    const body = { name: read("name").trim(), store_ids: [state.ctx.store.id],
      scopes: AREAS.filter((area) => read(`scope_${area}`)).map((area) => `${area}:${read(`scope_${area}`)}`),
      rate_per_minute: rate ? Number(rate) : null };
    const created = await busy(submit, create, () => api.post("/v1/api-keys", body));
    if (created) {
      showSecret(state, "api_key_secret", created.secret);
      create.reset();
      loadKeys(state);
    }
  } },
  h("h2", { text: t("api_key_add") }), field("api_key_name", input("name", { required: true, maxlength: 100 })),
  ...access, field("rate_per_minute", input("rate_per_minute", { type: "number", min: 1, max: 60000 })), submit);
  return create;
}

async function loadKeys(state) {
  const { ctx, keys } = state;
  try {
    const items = await api.all("/v1/api-keys", { store_id: ctx.store.id }, 200);
    const rows = items.map((key) => h("tr", { "data-key": key.name },
      h("td", {}, h("b", { text: key.name }), h("div", { class: "hint", text: `${key.prefix}…` })),
      h("td", { text: key.scopes.map(scopeName).join(t("sep_list")) }),
      h("td", {}, badge(named("key_status", key.status), STATUS_KIND[key.status])),
      h("td", { text: dateTime(key.last_used_at, ctx.tz) }),
      h("td", { class: "num", text: String(key.usage.reduce((sum, use) => sum + use.calls, 0)) }),
      h("td", { class: "actions" }, key.status === "active" ? h("button", { class: "secondary", text: t("revoke"),
        onclick: async (event) => {
          const done = await busy(event.target, keys, () => api.post(`/v1/api-keys/${key.id}/revoke`));
          if (done) { flash(`${t("revoked")} · ${key.name}`); loadKeys(state); }
        } }) : null)));
    fill(keys, h("h2", { text: t("api_keys") }), rows.length
      ? table([["api_key_name"], ["scopes"], ["state"], ["last_used"], ["calls"], [""]], rows)
      : h("p", { class: "hint", text: t("none") }));
  } catch (error) {
    fill(keys, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

function hookForm(state) {
  const submit = h("button", { class: "primary", type: "submit", text: t("webhook_add") });
  const hq = state.ctx.user?.sees_every_store;
  const events = h("div", { class: "field", "data-field": "event_types" }, h("span", { text: t("event_types") }),
    ...[...EVENTS, ...(hq ? CHAIN_EVENTS : [])].map((type) => h("label", { class: "chip" },
      h("input", { type: "checkbox", name: "event_types", value: type }), ` ${eventName(type)}`)),
    h("small", { class: "field-error" }));
  const create = form({ class: "card", id: "webhook-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const chainWide = Boolean(create.querySelector("[name=chain_wide]")?.checked);
    const body = { url: create.querySelector("[name=url]").value.trim(),
      ...(chainWide ? { chain_wide: true } : { store_ids: [state.ctx.store.id] }),
      event_types: [...create.querySelectorAll("[name=event_types]:checked")].map((box) => box.value) };
    const created = await busy(submit, create, () => api.post("/v1/webhooks", body));
    if (created) {
      showSecret(state, "webhook_secret", created.secret);
      create.reset();
      loadHooks(state);
    }
  } },
  h("h2", { text: t("webhook_add") }), field("webhook_url", input("url", { required: true, maxlength: 500 })),
  events, hq ? h("label", { class: "chip" }, h("input", { type: "checkbox", name: "chain_wide" }),
    ` ${t("webhook_chain_wide")}`) : null, submit);
  return create;
}

async function loadHooks(state) {
  const { ctx, hooks } = state;
  try {
    const items = await api.all("/v1/webhooks", { store_id: ctx.store.id }, 200);
    const log = h("div", { id: "deliveries" });
    const rows = items.map((hook) => h("tr", { "data-webhook": hook.url },
      h("td", {}, h("div", { text: hook.url }), hook.chain_wide
        ? h("div", { class: "hint", text: t("webhook_scope_chain") }) : null),
      h("td", { text: hook.event_types.map(eventName).join(t("sep_list")) }),
      h("td", {}, badge(named("webhook_status", hook.status), STATUS_KIND[hook.status])),
      h("td", { class: "actions" }, h("button", { class: "secondary", text: t("deliveries"),
        onclick: () => loadDeliveries(state, hook, log) }))));
    fill(hooks, h("h2", { text: t("webhooks") }), rows.length
      ? table([["webhook_url"], ["event_types"], ["state"], [""]], rows) : h("p", { class: "hint", text: t("none") }),
    log);
  } catch (error) {
    fill(hooks, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

// A pending delivery's outcome is the gateway's, not a change on the stream: the open log is read again
// while one is pending, after 2 s, then less often (a receiver that is down is retried for a day).
const PENDING_POLL_MS = [2_000, 30_000];

async function loadDeliveries(state, hook, log, pollMs = PENDING_POLL_MS[0]) {
  const { ctx } = state;
  log.dataset.webhook = hook.id;
  clearTimeout(log.pendingPoll);
  const page = await api.get(`/v1/webhooks/${hook.id}/deliveries`, { limit: 50 });
  if (log.dataset.webhook !== hook.id) return; // another webhook's log was asked for meanwhile
  const rows = page.items.map((delivery) => h("tr", { "data-delivery": delivery.event_id },
    h("td", { text: dateTime(delivery.created_at, ctx.tz) }),
    h("td", { text: eventName(delivery.event_type) }),
    h("td", {}, badge(named("delivery_status", delivery.status), STATUS_KIND[delivery.status])),
    h("td", { class: "num", text: String(delivery.attempts) }),
    h("td", { class: "num", text: delivery.response_status ? String(delivery.response_status) : "—" }),
    h("td", { class: "actions" }, h("button", { class: "secondary", text: t("redeliver"), onclick: async (event) => {
      const done = await busy(event.target, log, () =>
        api.post(`/v1/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`));
      if (done) { flash(t("redeliver_queued")); loadDeliveries(state, hook, log); }
    } }))));
  fill(log, h("h3", { text: `${t("deliveries")} · ${hook.url}` }), rows.length
    ? table([["time"], ["event_type"], ["state"], ["attempts"], ["response_status"], [""]], rows)
    : h("p", { class: "hint", text: t("none") }));
  if (page.items.some((delivery) => delivery.status === "pending")) {
    log.pendingPoll = setTimeout(() => {
      if (log.isConnected) loadDeliveries(state, hook, log, Math.min(pollMs * 2, PENDING_POLL_MS[1]));
    }, pollMs);
  }
}
