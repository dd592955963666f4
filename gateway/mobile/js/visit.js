// 车主服务: one visit's walk-around (each position photographed at check-in and at delivery, with the damage
// marks the advisor noted) and the contract the owner signed, with the drawn signature — what the owner
// agreed the car looked like and what they signed. Hash route: #/visit/<id>.
import { api, blobOf } from "./api.js";
import { go, guarded, h, showing } from "./ui.js";
import { DAMAGE, POSITIONS, STAGES, when, yuan } from "./words.js";

// An image of one's own documents, loaded as a blob (tap: full size).
export function picture(url, full, alt, attrs = {}) {
  const img = h("img", { alt, ...attrs });
  blobOf(url).then((blob) => {
    img.src = URL.createObjectURL(blob);
    img.dataset.loaded = "1";
  }).catch(() => {});
  if (full) img.addEventListener("click", () => blobOf(full).then((blob) => window.open(URL.createObjectURL(blob))));
  return img;
}

function damageWords(marks) {
  return marks.map((mark) => `${DAMAGE[mark.kind] || "其他损伤"}${mark.note ? `（${mark.note}）` : ""}`).join("、");
}

function walkAround(photos, stage) {
  const shots = photos.filter((shot) => (shot.stage || "check_in") === stage);
  if (!shots.length) return null;
  const order = Object.keys(POSITIONS);
  shots.sort((a, b) => order.indexOf(a.position) - order.indexOf(b.position));
  return h("section", { class: "card", "data-stage": stage }, h("h2", {}, `${STAGES[stage]}环车照片`),
    shots.map((shot) => h("div", { class: "line", "data-position": shot.position || "" },
      h("div", { class: "name" }, h("span", {}, POSITIONS[shot.position] || "其他"),
        h("span", { class: shot.damage.length ? "badge damage" : "muted", "data-damage": String(shot.damage.length) },
          shot.damage.length ? damageWords(shot.damage) : "无损伤")),
      shot.thumbnail_url ? h("div", { class: "thumbs" },
        picture(shot.thumbnail_url, shot.url, `${POSITIONS[shot.position] || ""}照片`, { "data-attachment": shot.id }))
        : null)));
}

function contractCard(contract, zone) {
  const signature = contract.signature;
  return h("section", { class: "card", "data-contract": contract.number }, h("h2", {}, `维修合同 ${contract.number}`),
    h("div", { class: "line total" }, h("span", {}, "合同金额"), h("span", { class: "price" }, yuan(contract.total_fen))),
    h("p", { class: "muted" }, `签单 ${when(contract.confirmed_at, zone)}`),
    signature ? [
      picture(signature.url, null, "您的签名", { class: "signed", "data-signature": signature.id }),
      h("p", { class: "muted", "data-matches": String(signature.matches) },
        `${signature.signer || ""} 签于 ${when(signature.signed_at, zone)} · `
        + (signature.matches ? "合同与签名时一致" : "签名后合同有变更，请联系门店")),
    ] : h("p", { class: "muted", "data-matches": "none" }, "这份合同没有在屏幕上签名"));
}

async function visit(visitId) {
  const show = showing();
  const answers = await guarded(() => Promise.all([api("GET", `/visits/${visitId}`), api("GET", "/stores")]));
  if (!answers) return;
  const [found, stores] = answers;
  const store = stores.items.find((item) => item.id === found.store_id);
  const contracts = found.contracts.map((contract) => contractCard(contract, store?.timezone));
  show("到店记录",
    h("section", { class: "card" }, h("h2", {}, `${found.plate || ""} · ${store?.name || ""}`),
      h("p", { class: "muted" }, `接车 ${when(found.checked_in_at, store?.timezone)}`
        + (found.mileage_km != null ? ` · 进店里程 ${found.mileage_km.toLocaleString("zh-CN")} 公里` : ""))),
    walkAround(found.photos, "check_in") || h("p", { class: "card muted" }, "这次到店没有拍环车照片"),
    walkAround(found.photos, "delivery"),
    ...contracts,
    h("button", { class: "secondary", type: "button", onclick: go(found.vehicle_id ? `#/history/${found.vehicle_id}` : "#/cars") },
      "返回历史记录"));
}

export const VISIT_ROUTES = [[/^#\/visit\/([\w-]+)$/, visit]];
