// A document's photos and files (a work order, a complaint, a purchase receipt): the list (a page at a time), with a
// thumbnail for each photo, a button that opens any file, and an upload from the camera or the disk.
// The gateway keeps the same store scope and roles as the document itself.
import { api } from "./api.js";
import { dateTime } from "./format.js";
import { t } from "./i18n.js";
import { busy, field, filePicker, fill, form, h, input, showError } from "./ui.js";

const KB = 1024;

/** The files card of the document whose attachments are at `path` (`/v1/complaints/{id}/attachments`). */
export function filesCard(path, ctx) {
  const list = h("ul", { class: "files" }, h("li", { class: "hint", text: t("loading") }));
  const chooser = input("file", { type: "file", accept: "image/*,video/mp4,application/pdf", multiple: true });
  const submit = h("button", { type: "submit", class: "secondary", text: t("upload") });
  const upload = form({ class: "files-form", onsubmit: async (event) => {
    event.preventDefault();
    for (const file of [...chooser.files]) { // one by one: a retry after a failure sends the same keys again
      const added = await busy(submit, upload, () => api.upload(path, file));
      if (!added) return;
      list.querySelector(".none")?.remove();
      list.append(fileItem(added, ctx));
    }
    chooser.value = "";
    chooser.dispatchEvent(new Event("change")); // the picker says 未选择 again
  } }, h("div", { class: "row" }, field("add_files", filePicker(chooser)), submit));
  const more = h("button", { type: "button", class: "secondary", name: "more-files", text: t("more_files") });
  more.hidden = true;
  let cursor = null;
  const shown = (page, first) => {
    const items = page.items.map((a) => fileItem(a, ctx));
    if (first) fill(list, items.length ? items : h("li", { class: "hint none", text: t("no_files") }));
    else list.append(...items);
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => busy(more, upload, () => api.get(path, { cursor })).then((page) => page && shown(page)));
  api.get(path)
    .then((page) => shown(page, true))
    .catch((error) => { fill(list); showError(upload, error); });
  return h("div", { class: "files-card", "data-files": path }, h("h3", { text: t("files") }), list, more, upload);
}

function fileItem(attachment, ctx) {
  const thumb = h("img", { alt: "", width: 64, height: 64 });
  if (attachment.thumbnail_url) {
    api.image(attachment.thumbnail_url).then((blob) => { thumb.src = URL.createObjectURL(blob); }).catch(() => {});
  }
  const open = h("button", { type: "button", class: "link", text: t("open_file"), onclick: async () => {
    try {
      window.open(URL.createObjectURL(await api.file(attachment.url)), "_blank");
    } catch (error) {
      showError(document.body, error);
    }
  } });
  const size = attachment.size >= KB * KB ? `${(attachment.size / KB / KB).toFixed(1)} MB` : `${Math.ceil(attachment.size / KB)} KB`;
  return h("li", { "data-attachment": attachment.id, "data-kind": attachment.kind },
    attachment.kind === "image" ? thumb : null,
    h("span", { text: `${t(`file_${attachment.kind}`)} · ${size} · ${dateTime(attachment.uploaded_at, ctx.tz)}` }), open);
}
