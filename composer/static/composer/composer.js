// The composer page: binds the DOM to poster-client.js. Everything it shows comes from
// the public API and the event stream.
import {
  DraftAutosave, LiveEvents, MediaEdits, MediaUpload, PosterClient, isStaleMediaStatus,
  newIdempotencyKey,
} from "./poster-client.js";
import { decode as decodeBlurhash } from "./vendor/blurhash.js";

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

const client = new PosterClient({ baseUrl: $("#composer").dataset.api });
const mediaEdits = new MediaEdits(client);
const TEXT_FIELDS = ["title", "body", "url", "community"];
const CHECK_FIELDS = ["is_nsfw", "is_spoiler"];
const FIELD_LABELS = {
  kind: "Kind", title: "Title", body: "Body", url: "Link", community: "Community",
  is_nsfw: "NSFW", is_spoiler: "Spoiler", flair: "Flair", media: "Images",
};
// Where each publishing error belongs on the page.
const ERROR_FIELDS = {
  title_required: "title",
  url_invalid: "url",
  media_count_invalid: "media",
  media_unusable: "media",
  community_required: "community",
  community_not_found: "community",
  community_inactive: "community",
  kind_not_allowed: "kind",
};
const MERGED_NOTICE_MS = 4000;

let config = null;
let events = null;
let autosave = null;
let draftId = null;
let mergedUntil = 0;
const tray = new Map(); // media id or local key -> item state

function characters(text) {
  return [...(text || "")].length;
}

function showPageError(error) {
  const box = $("#page-error");
  box.textContent = error ? `${error.code ? `${error.code}: ` : ""}${error.message}` : "";
  box.hidden = !error;
}

function setFieldError(field, text) {
  const box = $(`[data-error-for="${field}"]`);
  if (box) box.textContent = text || "";
  const input = document.getElementById(field);
  if (input) input.setAttribute("aria-invalid", text ? "true" : "false");
}

function clearErrors(fields = null) {
  for (const box of $$("[data-error-for]")) {
    if (!fields || fields.includes(box.dataset.errorFor)) box.textContent = "";
  }
}

// ---------------------------------------------------------------------------- drafts

async function showDrafts() {
  closeEditor();
  history.replaceState(null, "", location.pathname);
  $("#drafts").hidden = false;
  $("#editor").hidden = true;
  $("#post-view").hidden = true;
  const list = $("#draft-list");
  list.replaceChildren();
  await loadDrafts();
}

async function loadDrafts(pageUrl) {
  const list = $("#draft-list");
  const more = $("#more-drafts");
  try {
    const page = await client.drafts(pageUrl);
    for (const draft of page.results) {
      const item = document.createElement("li");
      const open = document.createElement("button");
      open.type = "button";
      open.className = "draft-link";
      open.textContent = draft.title || "(untitled)";
      const when = document.createElement("span");
      when.className = "hint";
      when.textContent = ` ${draft.kind} · edited ${new Date(draft.updated_at).toLocaleString()}`;
      open.addEventListener("click", () => openDraft(draft.id));
      item.append(open, when);
      list.append(item);
    }
    if (!list.children.length) {
      const empty = document.createElement("li");
      empty.className = "hint";
      empty.textContent = "No drafts yet.";
      list.append(empty);
    }
    more.hidden = !page.next;
    more.onclick = () => loadDrafts(page.next);
  } catch (error) {
    showPageError(error);
  }
}

async function newDraft() {
  try {
    const draft = await client.createDraft({ kind: "text" }, { idempotencyKey: newIdempotencyKey() });
    await openDraft(draft.id);
    $("#title").focus();
  } catch (error) {
    showPageError(error);
  }
}

// ---------------------------------------------------------------------------- editor

function closeEditor() {
  if (autosave) autosave.dispose();
  autosave = null;
  draftId = null;
  for (const key of [...tray.keys()]) events?.unwatch(`media:${key}`);
  tray.clear();
  $("#media-tray").replaceChildren();
  events?.unwatch("draft");
}

async function openDraft(id) {
  let draft;
  try {
    draft = await client.draft(id);
  } catch (error) {
    showPageError(error);
    if (error.status === 404) await showDrafts();
    return;
  }
  closeEditor();
  showPageError(null);
  clearErrors();
  draftId = draft.id;
  history.replaceState(null, "", `${location.pathname}?draft=${draft.id}`);
  $("#drafts").hidden = true;
  $("#post-view").hidden = true;
  $("#editor").hidden = false;
  $("#conflict").hidden = true;
  $("#publish-state").textContent = "";
  $("#violations").replaceChildren();
  $("#revision-list").hidden = true;
  $("#show-revisions").setAttribute("aria-expanded", "false");

  autosave = new DraftAutosave(client, draft);
  autosave.addEventListener("status", (event) => showStatus(event.detail));
  autosave.addEventListener("remote", (event) => showValues(event.detail.fields));
  autosave.addEventListener("merged", () => {
    mergedUntil = performance.now() + MERGED_NOTICE_MS;
    showStatus({ state: autosave.state(), waiting: autosave.waiting });
    setTimeout(() => showStatus({ state: autosave?.state(), waiting: autosave?.waiting }), MERGED_NOTICE_MS);
  });
  autosave.addEventListener("conflict", (event) => showConflict(event.detail));
  autosave.addEventListener("invalid", (event) => {
    for (const [field, messages] of Object.entries(event.detail.fields)) {
      setFieldError(field, `${event.detail.code}: ${messages.join(" ")}`);
    }
  });
  autosave.addEventListener("saved", () => clearErrors(Object.keys(FIELD_LABELS)));
  autosave.addEventListener("closed", (event) => {
    showPageError({ code: event.detail.code, message: event.detail.message });
  });
  showValues(Object.keys(FIELD_LABELS));
  showStatus({ state: autosave.state(), waiting: autosave.waiting });
  if (autosave.waiting) autosave.flush(); // edits kept from an earlier page

  for (const media of draft.media) addTrayItem({ asset: media });
  refreshTrayDetails();
  loadCommunity(autosave.values.community);
  events.watch("draft", async () => {
    const fresh = await client.draft(id);
    return fresh.version > autosave.newestSeenVersion
      ? [["draft.saved", { id, version: fresh.version }]]
      : [];
  });
}

function showValues(fields) {
  if (!autosave) return;
  const values = autosave.values;
  for (const field of fields) {
    if (TEXT_FIELDS.includes(field)) {
      const input = document.getElementById(field);
      if (input.value !== (values[field] ?? "")) input.value = values[field] ?? "";
    } else if (CHECK_FIELDS.includes(field)) {
      document.getElementById(field).checked = Boolean(values[field]);
    } else if (field === "kind") {
      for (const radio of $$('input[name="kind"]')) radio.checked = radio.value === values.kind;
    } else if (field === "flair") {
      $("#flair").value = values.flair == null ? "" : String(values.flair);
    } else if (field === "media" && values.media) {
      orderTray(values.media);
    }
  }
  updateCounter();
  $("#url-field").hidden = values.kind !== "link";
  if (fields.includes("community")) loadCommunity(values.community);
}

function updateCounter() {
  const max = config?.drafts?.title_max_length ?? 300;
  const used = characters($("#title").value);
  const counter = $("#title-count");
  counter.textContent = `${used}/${max}`;
  counter.classList.toggle("over", used > max);
}

function showStatus({ state, waiting }) {
  if (!state) return;
  const line = $("#save-status");
  const edits = `${waiting} edit${waiting === 1 ? "" : "s"} waiting`;
  let text = {
    saved: "Saved",
    saving: "Saving…",
    offline: `Offline: ${edits}`,
    retrying: `Not saved yet, retrying: ${edits}`,
    signed_out: `Signed out: sign in again (in another tab) to save; ${edits}`,
    conflict: "Changed on another device: choose what to keep below",
    invalid: "Not saved: correct the marked fields",
    closed: "This draft can no longer change",
  }[state];
  if (state === "saved" && performance.now() < mergedUntil) {
    text = "Merged a change from another device";
  }
  line.textContent = text;
  line.dataset.state = state;
}

function bindForm() {
  for (const field of TEXT_FIELDS) {
    document.getElementById(field).addEventListener("input", (event) => {
      autosave?.edit(field, event.target.value);
      if (field === "title") updateCounter();
    });
  }
  $("#community").addEventListener("change", (event) => loadCommunity(event.target.value));
  for (const field of CHECK_FIELDS) {
    document.getElementById(field).addEventListener("change", (event) => {
      autosave?.edit(field, event.target.checked);
    });
  }
  for (const radio of $$('input[name="kind"]')) {
    radio.addEventListener("change", () => {
      autosave?.edit("kind", radio.value);
      $("#url-field").hidden = radio.value !== "link";
    });
  }
  $("#flair").addEventListener("change", (event) => {
    autosave?.edit("flair", event.target.value ? Number(event.target.value) : null);
  });
  $("#draft-form").addEventListener("submit", (event) => event.preventDefault());
}

let communityShown = null;
async function loadCommunity(name) {
  if (!name || name === communityShown || !/^[A-Za-z0-9_]{3,21}$/.test(name)) {
    if (!name) $("#flair-field").hidden = true;
    return;
  }
  communityShown = name;
  try {
    const community = await client.community(name);
    const select = $("#flair");
    select.replaceChildren(new Option("No flair", ""));
    for (const flair of community.flairs) {
      if (!flair.is_mod_only) select.append(new Option(flair.text, String(flair.id)));
    }
    $("#flair-field").hidden = community.flairs.length === 0;
    select.value = autosave?.values.flair == null ? "" : String(autosave.values.flair);
    $("#community-hint").textContent = `${community.title}: takes ${community.allowed_kinds.join(", ")}.`;
    setFieldError("community", "");
  } catch (error) {
    communityShown = null;
    if (error.status === 404) setFieldError("community", `not_found: no community named ${name}.`);
  }
}

// -------------------------------------------------------------------------- conflict

function shown(value) {
  if (typeof value === "boolean") return value ? "on" : "off";
  if (value === null || value === undefined || value === "") return "(empty)";
  return Array.isArray(value) ? `${value.length} image(s)` : String(value);
}

function showConflict({ fields }) {
  const panel = $("#conflict");
  const list = $("#conflict-fields");
  list.replaceChildren();
  const choices = {};
  for (const { field, mine, theirs } of fields) {
    const row = document.createElement("div");
    row.className = "conflict-field";
    row.dataset.field = field;
    const heading = document.createElement("h3");
    heading.textContent = FIELD_LABELS[field] || field;
    const columns = document.createElement("div");
    columns.className = "columns";
    for (const [label, value, side] of [["This device", mine, "mine"], ["Other device", theirs, "theirs"]]) {
      const column = document.createElement("div");
      column.className = `side ${side}`;
      const title = document.createElement("p");
      title.className = "hint";
      title.textContent = label;
      const text = document.createElement("pre");
      text.textContent = shown(value);
      column.append(title, text);
      columns.append(column);
    }
    const actions = document.createElement("div");
    actions.className = "conflict-actions";
    for (const [label, choice] of [["Keep mine", "mine"], ["Take theirs", "theirs"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.dataset.choice = choice;
      button.addEventListener("click", () => {
        choices[field] = choice;
        row.dataset.chosen = choice;
        if (fields.every((each) => each.field in choices)) {
          panel.hidden = true;
          autosave.resolve(choices);
          showValues(Object.keys(FIELD_LABELS));
        }
      });
      actions.append(button);
    }
    row.append(heading, columns, actions);
    list.append(row);
  }
  panel.hidden = false;
  $("button", list)?.focus();
}

// ----------------------------------------------------------------------------- media

function mediaItemElement(key) {
  return $(`#media-tray li[data-key="${CSS.escape(key)}"]`);
}

function addTrayItem({ asset = null, upload = null, file = null }) {
  const key = asset ? asset.id : `local-${crypto.randomUUID()}`;
  const element = $("#media-item").content.firstElementChild.cloneNode(true);
  element.dataset.key = key;
  const item = { key, asset, upload, element, changes: {} };
  tray.set(key, item);
  $(".media-name", element).textContent = file ? file.name : (asset.caption || asset.alt_text || "Image");
  $(".alt-text", element).value = asset?.alt_text || "";
  $(".caption", element).value = asset?.caption || "";
  $(".alt-text", element).setAttribute("aria-label", "Alt text");
  $(".move-up", element).addEventListener("click", () => moveItem(item, -1));
  $(".move-down", element).addEventListener("click", () => moveItem(item, 1));
  $(".remove", element).addEventListener("click", () => removeItem(item));
  $(".cancel", element).addEventListener("click", () => item.upload?.cancel().catch(showPageError));
  $(".retry", element).addEventListener("click", () => {
    $(".retry", element).hidden = true;
    item.upload?.retry();
  });
  for (const [selector, field] of [[".alt-text", "alt_text"], [".caption", "caption"]]) {
    $(selector, element).addEventListener("input", (event) => {
      if (item.asset?.id) mediaEdits.edit(item.asset.id, field, event.target.value);
      else item.changes[field] = event.target.value; // sent once the lease names it
    });
  }
  $("#media-tray").append(element);
  if (asset) {
    // Text typed before a reload, a crash or while offline, not stored yet.
    const waiting = mediaEdits.pendingFor(asset.id);
    if ("alt_text" in waiting) $(".alt-text", element).value = waiting.alt_text;
    if ("caption" in waiting) $(".caption", element).value = waiting.caption;
    // A save flushed at start-up may have ended before the tray was drawn.
    const lastState = mediaEdits.stateFor(asset.id);
    if (Object.keys(waiting).length) mediaEdits.send(asset.id);
    else if (lastState) showMediaEdits(lastState);
    showAsset(item, asset);
  }
  return item;
}

function showMediaEdits({ id, state, code, message }) {
  const item = tray.get(id);
  if (!item) return;
  item.element.dataset.edits = state;
  $(".media-edits", item.element).textContent = {
    saving: "Saving alt text and caption…",
    saved: "Alt text and caption saved",
    waiting: `Alt text and caption waiting to be saved (${code})`,
    failed: "",
  }[state];
  // Only this queue's own message is cleared: an upload's failure stays shown.
  if (state === "failed") {
    $(".media-error", item.element).textContent = `${code}: ${message}`;
    item.element.dataset.editError = "shown";
  } else if (item.element.dataset.editError) {
    $(".media-error", item.element).textContent = "";
    delete item.element.dataset.editError;
  }
}

function thumbnailVariant(variants = []) {
  const webp = variants.filter((v) => v.format === "webp").sort((a, b) => a.width - b.width);
  return webp.find((v) => v.width >= 320) || webp.at(-1) || variants[0] || null;
}

function showAsset(item, asset) {
  item.asset = { ...(item.asset || {}), ...asset };
  const element = item.element;
  const state = asset.status;
  const stateLine = $(".media-state", element);
  const labels = {
    awaiting_upload: "Waiting for the upload",
    uploaded: "Uploaded, waiting to be processed",
    processing: "Processing…",
    ready: "Ready",
    failed: "Failed",
  };
  if (labels[state]) stateLine.textContent = labels[state];
  element.dataset.status = state;
  if (state === "ready") {
    $(".media-progress", element).hidden = true;
    showPlaceholderThenThumbnail(item, asset);
  }
  if (state === "failed") {
    const code = asset.code || asset.failure_code;
    const message = asset.message || asset.failure_message;
    $(".media-error", element).textContent = `${code}: ${message}`;
    $(".media-progress", element).hidden = true;
  }
  if (state === "processing" || state === "uploaded") watchMedia(item);
  else events.unwatch(`media:${item.key}`);
}

function showPlaceholderThenThumbnail(item, asset) {
  const element = item.element;
  const canvas = $(".placeholder", element);
  const image = $(".preview", element);
  if (asset.blurhash && image.hidden) {
    try {
      const pixels = decodeBlurhash(asset.blurhash, canvas.width, canvas.height);
      const context = canvas.getContext("2d");
      const data = context.createImageData(canvas.width, canvas.height);
      data.data.set(pixels);
      context.putImageData(data, 0, 0);
      canvas.hidden = false;
    } catch {
      // A placeholder is a nicety; the thumbnail follows.
    }
  }
  const variant = thumbnailVariant(asset.variants);
  if (!variant) return;
  image.alt = asset.alt_text || $(".alt-text", element).value || "Uploaded image";
  image.addEventListener("load", () => {
    canvas.hidden = true;
    image.hidden = false;
    element.dataset.thumbnail = "shown";
  }, { once: true });
  image.src = variant.url;
}

function watchMedia(item) {
  const id = item.asset?.id;
  if (!id) return;
  events.watch(`media:${item.key}`, async () => {
    const media = await client.media(id);
    return media.status === item.asset.status ? [] : [["media.status", media]];
  });
}

async function refreshTrayDetails() {
  // The draft lists its media without variants: read each one's detail once.
  for (const item of tray.values()) {
    if (!item.asset || item.upload) continue;
    try {
      const fresh = await client.media(item.asset.id);
      // A media.status event may have settled it while this read was on its way.
      if (!isStaleMediaStatus(item.element.dataset.status, fresh.status)) showAsset(item, fresh);
    } catch (error) {
      $(".media-error", item.element).textContent = `${error.code}: ${error.message}`;
    }
  }
}

function startUpload(file) {
  if (!draftId) return;
  const upload = new MediaUpload(client, file, { draft: draftId });
  const item = addTrayItem({ upload, file });
  const element = item.element;
  const progress = $(".media-progress", element);
  const stateLine = $(".media-state", element);
  $(".cancel", element).hidden = false;
  upload.addEventListener("progress", (event) => {
    const percent = Math.round((100 * event.detail.loaded) / event.detail.total);
    progress.value = percent;
    progress.setAttribute("aria-valuetext", `${percent} %`);
    stateLine.textContent = `Uploading ${percent} %`;
  });
  upload.addEventListener("state", (event) => {
    const { state } = event.detail;
    if (upload.asset && item.key !== upload.asset.id) {
      tray.delete(item.key);
      item.key = upload.asset.id;
      element.dataset.key = item.key;
      tray.set(item.key, item);
      item.asset = upload.asset;
      for (const [field, value] of Object.entries(item.changes)) {
        mediaEdits.edit(item.key, field, value);
      }
      item.changes = {};
    }
    $(".cancel", element).hidden = !["leasing", "uploading"].includes(state);
    if (state === "leasing") stateLine.textContent = "Preparing…";
    if (state === "completing") stateLine.textContent = "Uploaded, checking…";
    if (["processing", "ready"].includes(state)) showAsset(item, upload.asset);
    if (state === "failed") {
      const processingRefused = upload.asset && upload.asset.status === "failed";
      stateLine.textContent = "Failed";
      progress.hidden = true;
      $(".media-error", element).textContent = `${event.detail.code}: ${event.detail.message}`;
      $(".retry", element).hidden = processingRefused || ["file_too_large", "unsupported_media_type"].includes(event.detail.code);
      element.dataset.status = "failed";
      if (processingRefused) events.unwatch(`media:${item.key}`);
    }
    if (state === "cancelled") {
      events.unwatch(`media:${item.key}`);
      tray.delete(item.key);
      element.remove();
    }
  });
  upload.start();
}

function addFiles(files) {
  setFieldError("media", "");
  for (const file of files) startUpload(file);
}

function onMediaStatus(data) {
  const item = tray.get(data.id);
  if (!item) return;
  if (item.upload) item.upload.applyStatus(data);
  else showAsset(item, data);
}

function trayIds() {
  return $$("#media-tray li").map((li) => tray.get(li.dataset.key)?.asset?.id).filter(Boolean);
}

function orderTray(ids) {
  const list = $("#media-tray");
  for (const id of ids) {
    const element = mediaItemElement(id);
    if (element) list.append(element);
  }
}

function moveItem(item, step) {
  const items = $$("#media-tray li");
  const index = items.indexOf(item.element);
  const target = items[index + step];
  if (!target) return;
  if (step < 0) target.before(item.element);
  else target.after(item.element);
  $(step < 0 ? ".move-up" : ".move-down", item.element).focus();
  autosave?.edit("media", trayIds());
}

async function removeItem(item) {
  if (item.upload && ["leasing", "uploading"].includes(item.upload.state)) {
    await item.upload.cancel().catch(showPageError);
    return;
  }
  try {
    if (item.asset?.id) {
      await client.deleteMedia(item.asset.id);
      mediaEdits.forget(item.asset.id);
    }
    events.unwatch(`media:${item.key}`);
    tray.delete(item.key);
    item.element.remove();
  } catch (error) {
    $(".media-error", item.element).textContent = `${error.code}: ${error.message}`;
  }
}

function bindMedia() {
  const input = $("#file-input");
  input.addEventListener("change", () => {
    addFiles([...input.files]);
    input.value = "";
  });
  const zone = $("#dropzone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    addFiles([...event.dataTransfer.files]);
  });
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      input.click();
    }
  });
  document.addEventListener("paste", (event) => {
    if ($("#editor").hidden) return;
    const files = [...(event.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"));
    if (files.length) {
      event.preventDefault();
      addFiles(files);
    }
  });
}

// --------------------------------------------------------------------------- publish

let watchedPost = null;

async function publish() {
  const button = $("#publish-button");
  const stateLine = $("#publish-state");
  clearErrors();
  $("#violations").replaceChildren();
  const later = $('input[name="when"]:checked').value === "later";
  let publishAt = null;
  if (later) {
    const value = $("#publish-at").value;
    if (!value) {
      setFieldError("publish", "Choose when to publish.");
      return;
    }
    publishAt = new Date(value);
  }
  button.disabled = true;
  stateLine.textContent = "Saving before publishing…";
  try {
    const version = await autosave.whenSaved();
    stateLine.textContent = "Publishing…";
    const post = await client.publish(draftId, version, { publishAt });
    showPostStatus(post);
  } catch (error) {
    stateLine.textContent = "";
    showPublishError(error);
  } finally {
    button.disabled = false;
  }
}

function showPublishError(error) {
  const field = ERROR_FIELDS[error.code];
  setFieldError(field || "publish", `${error.code}: ${error.message}`);
  if (field) setFieldError("publish", `${error.code}: ${error.message}`);
  for (const [name, messages] of Object.entries(error.fields || {})) {
    setFieldError(name, `${error.code}: ${[].concat(messages).join(" ")}`);
  }
  for (const violation of error.extra?.violations || []) {
    const item = document.createElement("li");
    item.textContent = `${violation.rule} (${violation.field}): ${violation.message}`;
    $("#violations").append(item);
    setFieldError(violation.field, `${violation.rule}: ${violation.message}`);
  }
  if (error.code === "edit_conflict" || error.code === "precondition_failed") {
    autosave.refresh();
  }
}

function showPostStatus(post) {
  const stateLine = $("#publish-state");
  stateLine.dataset.status = post.status;
  if (post.status === "published") {
    stopWatchingPost();
    autosave?.forget();
    showPost(post.id);
    return;
  }
  const texts = {
    pending_media: "pending_media: waiting for the images to be ready; it publishes itself.",
    scheduled: `scheduled: publishes at ${new Date(post.publish_at).toLocaleString()}.`,
    failed: `failed: ${post.failure_code || post.code || ""} ${post.failure_message || post.message || ""}`,
  };
  stateLine.textContent = texts[post.status] || post.status;
  watchedPost = post.id;
  events.watch("post", async () => {
    const fresh = await client.post(post.id);
    return fresh.status === post.status ? [] : [["post.status", fresh]];
  });
  if (post.status === "failed") stopWatchingPost();
}

function stopWatchingPost() {
  watchedPost = null;
  events.unwatch("post");
}

async function showPost(id) {
  closeEditor();
  history.replaceState(null, "", location.pathname);
  $("#editor").hidden = true;
  $("#drafts").hidden = true;
  $("#post-view").hidden = false;
  const article = $("#post");
  article.replaceChildren();
  const post = await client.post(id);
  const title = document.createElement("h2");
  title.textContent = post.title;
  const meta = document.createElement("p");
  meta.className = "hint";
  meta.textContent = `in ${post.community} · ${post.status}`;
  article.append(title, meta);
  if (post.body) {
    const body = document.createElement("p");
    body.className = "post-body";
    body.textContent = post.body;
    article.append(body);
  }
  if (post.url) {
    const link = document.createElement("a");
    link.href = post.url;
    link.rel = "noopener noreferrer nofollow";
    link.textContent = post.url;
    article.append(link);
  }
  for (const media of post.media || []) {
    const variant = thumbnailVariant(media.variants);
    if (!variant) continue;
    const figure = document.createElement("figure");
    const image = document.createElement("img");
    image.className = "post-image";
    image.src = variant.url;
    image.alt = media.alt_text || "";
    figure.append(image);
    if (media.caption) {
      const caption = document.createElement("figcaption");
      caption.textContent = media.caption;
      figure.append(caption);
    }
    article.append(figure);
  }
  $("#post-back").focus();
}

// ------------------------------------------------------------------------- revisions

async function toggleRevisions() {
  const button = $("#show-revisions");
  const list = $("#revision-list");
  const opening = list.hidden;
  button.setAttribute("aria-expanded", String(opening));
  list.hidden = !opening;
  button.textContent = opening ? "Hide revisions" : "Show revisions";
  if (!opening) return;
  list.replaceChildren();
  try {
    const page = await client.revisions(draftId);
    if (!page.results.length) {
      const none = document.createElement("li");
      none.className = "hint";
      none.textContent = "No revisions yet.";
      list.append(none);
    }
    for (const revision of page.results) {
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = `#${revision.number} · ${revision.reason} · ${new Date(revision.created_at).toLocaleString()} · ${revision.title || "(untitled)"}`;
      const restore = document.createElement("button");
      restore.type = "button";
      restore.className = "quiet";
      restore.textContent = `Restore #${revision.number}`;
      restore.addEventListener("click", () => restoreRevision(revision.number));
      item.append(label, " ", restore);
      list.append(item);
    }
  } catch (error) {
    showPageError(error);
  }
}

async function restoreRevision(number) {
  try {
    const version = await autosave.whenSaved();
    const draft = await client.restoreRevision(draftId, number, version);
    autosave.applyServerDraft(draft);
    showValues(Object.keys(FIELD_LABELS));
    $("#revision-list").hidden = true;
    $("#show-revisions").setAttribute("aria-expanded", "false");
    $("#show-revisions").textContent = "Show revisions";
    $("#save-status").textContent = `Restored revision ${number}`;
  } catch (error) {
    showPageError(error);
  }
}

// ------------------------------------------------------------------------------ start

function showLiveMode(mode) {
  $("#live-mode").textContent = {
    live: "Live updates on.",
    connecting: "Connecting to live updates…",
    polling: "Live updates unavailable: checking for changes every few seconds.",
  }[mode];
  document.body.dataset.liveMode = mode;
}

async function start() {
  bindForm();
  bindMedia();
  mediaEdits.addEventListener("state", (event) => showMediaEdits(event.detail));
  $("#new-draft").addEventListener("click", newDraft);
  $("#back-to-drafts").addEventListener("click", showDrafts);
  $("#post-back").addEventListener("click", showDrafts);
  $("#publish-button").addEventListener("click", publish);
  $("#show-revisions").addEventListener("click", toggleRevisions);
  for (const radio of $$('input[name="when"]')) {
    radio.addEventListener("change", () => {
      $("#publish-at").disabled = $('input[name="when"]:checked').value !== "later";
    });
  }
  let me;
  try {
    [me, config] = await Promise.all([client.me(), client.config()]);
  } catch (error) {
    showPageError(error);
    return;
  }
  mediaEdits.flushAll(); // alt text and captions an earlier page could not store
  events = new LiveEvents(me.events_url);
  events.addEventListener("mode", (event) => showLiveMode(event.detail));
  events.addEventListener("media.status", (event) => onMediaStatus(event.detail));
  events.addEventListener("draft.saved", (event) => {
    if (autosave && event.detail.id === draftId) autosave.noteVersion(event.detail.version);
  });
  events.addEventListener("post.status", (event) => {
    if (event.detail.id === watchedPost) showPostStatus({ ...event.detail });
  });
  events.addEventListener("stream.reset", () => {
    autosave?.refresh();
    refreshTrayDetails();
  });
  showLiveMode("connecting");
  events.start();
  const wanted = new URLSearchParams(location.search).get("draft");
  if (wanted) await openDraft(wanted);
  else await showDrafts();
  document.body.dataset.ready = "true";
}

start();
