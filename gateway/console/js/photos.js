// Photos where people need them: thumbnails fetched with the token, the walk-around (环车检查) of a
// visit by position with damage marks — at check-in, and again at delivery beside the check-in
// photos — and the findings a quote was opened for.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { badge, busy, filePicker, fill, h, input, select } from "./ui.js";

/** The fixed positions around the car, in walking order (services/common/attachments.py). */
export const POSITIONS = ["front_left", "front", "front_right", "right", "rear_right", "rear", "rear_left", "left",
  "interior", "dashboard"];
const DAMAGE = ["scratch", "dent", "crack", "chip", "paint", "missing", "other"];

/** One attachment's thumbnail (the token cannot ride on an <img src>, so it is fetched as a blob). */
export function thumbnail(attachment) {
  const img = h("img", { alt: t("photo"), "data-attachment": attachment.id, width: 96 });
  if (attachment.thumbnail_url) {
    api.image(attachment.thumbnail_url).then((blob) => {
      img.src = URL.createObjectURL(blob);
      img.dataset.loaded = "1";
    }).catch(() => {});
  }
  return img;
}

export function thumbnails(attachments) {
  return h("div", { class: "thumbs" }, attachments.map(thumbnail));
}

function damageText(photo) {
  return (photo.damage || []).map((mark) => `${t(`damage_${mark.kind}`)}${mark.note ? ` ${mark.note}` : ""}`).join("、");
}

function photoCell(photos) {
  return h("div", { class: "thumbs" }, photos.map((photo) => h("figure", { "data-photo": photo.id },
    thumbnail(photo), photo.damage?.length ? h("figcaption", {}, badge(damageText(photo), "bad")) : null)));
}

/** The walk-around of `visit` at `stage` (check_in | delivery): a row per position with its photos
 * (at delivery the check-in photos beside them), a camera input, a damage mark and its note. */
export function walkAround(visit, stage) {
  const photos = [...(visit.photos || [])];
  const at = (position, which) => photos.filter((p) => p.position === position && (p.stage || "check_in") === which);
  const delivery = stage === "delivery";
  const rows = h("tbody");
  const draw = () => fill(rows, POSITIONS.map((position) => positionRow(position)));
  const positionRow = (position) => {
    const camera = input("photo", { type: "file", accept: "image/*", capture: "environment" });
    const kind = select("damage", [["", t("no_damage")], ...DAMAGE.map((d) => [d, t(`damage_${d}`)])]);
    const note = input("damage_note", { placeholder: t("damage_note") });
    const send = h("button", { type: "button", class: "secondary", text: t("upload") });
    const row = h("tr", { "data-position": position },
      h("th", { text: t(`position_${position}`) }),
      delivery ? h("td", { class: "before" }, photoCell(at(position, "check_in"))) : null,
      h("td", { class: delivery ? "after" : "now" }, photoCell(at(position, stage))),
      h("td", {}, h("div", { class: "row" }, filePicker(camera), kind, note, send), h("div", { class: "form-error" })));
    send.addEventListener("click", async () => {
      const file = camera.files[0];
      if (!file) return fill(row.querySelector(".form-error"), t("choose_photo"));
      const damage = kind.value ? [{ kind: kind.value, ...(note.value.trim() ? { note: note.value.trim() } : {}) }] : [];
      const saved = await busy(send, row, () => api.upload(`/v1/visits/${visit.id}/photos`, file,
        { stage, position, damage: JSON.stringify(damage) }));
      if (saved) {
        photos.push(saved);
        draw();
      }
    });
    return row;
  };
  draw();
  const head = h("thead", {}, h("tr", {}, h("th", { text: t("position") }),
    delivery ? h("th", { text: t("stage_check_in") }) : null, h("th", { text: t(`stage_${stage}`) }), h("th")));
  return h("div", { class: "card walk-around", "data-stage": stage },
    h("h2", { text: delivery ? t("walk_around_compare") : t("walk_around") }),
    h("p", { class: "hint", text: delivery ? t("walk_around_delivery_hint") : t("walk_around_hint") }),
    h("table", {}, head, rows));
}

/** The findings a quote was opened for, with their photos (the advisor's view of a findings quote). */
export function quoteFindings(quoteId) {
  const box = h("div", { class: "card", id: "quote-findings", hidden: true });
  api.get(`/v1/quotes/${quoteId}/findings`).then((page) => {
    if (!page.items.length) return;
    box.hidden = false;
    fill(box, h("h2", { text: t("findings") }), page.items.map((finding) => h("div", { "data-finding": finding.id },
      h("p", {}, badge(t(`cond_${finding.condition}`), finding.condition === "red" ? "bad" : finding.condition === "yellow" ? "warn" : "ok"),
        ` ${t(`area_${finding.area}`)} · ${finding.item}${finding.notes ? ` · ${finding.notes}` : ""}`),
      thumbnails(finding.photos || []))));
  }).catch(() => {});
  return box;
}

/** A drawn signature: its image, who signed and when, and whether the document still matches it. */
export function signatureView(signature, when) {
  const img = h("img", { alt: t("signature"), class: "signature-image", "data-signature": signature.id, height: 60 });
  api.image(signature.url).then((blob) => { img.src = URL.createObjectURL(blob); img.dataset.loaded = "1"; }).catch(() => {});
  return h("div", { class: "signature-view", "data-matches": String(signature.matches) },
    img, h("p", { class: "hint" }, `${signature.signer ?? ""} · ${when(signature.signed_at)} `,
      badge(signature.matches ? t("signature_matches") : t("signature_changed"), signature.matches ? "ok" : "bad"),
      h("small", { class: "hash", title: signature.document_sha256, text: ` SHA-256 ${signature.document_sha256.slice(0, 16)}…` })));
}
