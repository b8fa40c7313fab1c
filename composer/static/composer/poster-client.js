// poster-client.js: a browser client for poster's public API (/api/v1/) and its event
// stream. It holds no page code: another web app can import it as it is.
//
//   PosterClient  one request at a time, errors as ApiError / NetworkError
//   DraftAutosave autosave of one draft: debounce, one request in flight, If-Match
//                 chaining, silent merges, 412 conflicts, an offline queue kept in
//                 localStorage so that a reload or a crashed tab loses nothing
//   MediaUpload   lease, upload straight to storage with progress, cancel and retry,
//                 complete, then the processing result from the event stream
//   LiveEvents    EventSource with reconnect and replay, polling as the fallback

export const DRAFT_FIELDS = [
  "kind", "title", "body", "url", "community", "is_nsfw", "is_spoiler", "flair", "media",
];

// An answer of the API that is not a success: `code` is the machine-readable error
// code, `message` the human one; `extra` holds the rest of the error body.
export class ApiError extends Error {
  constructor(status, body, headers) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = error.code || `http_${status}`;
    this.fields = error.fields || {};
    this.extra = error;
    const retryAfter = Number(headers && headers.get("Retry-After"));
    this.retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  }

  // 429 and 503 carry Retry-After: the same request may succeed later.
  get isRetryable() {
    return this.status === 429 || this.status === 503;
  }
}

// The request never got an answer: offline, refused, or cut.
export class NetworkError extends Error {
  constructor(message) {
    super(message || "The network is unreachable.");
    this.name = "NetworkError";
    this.code = "network_error";
  }
}

function cookie(name) {
  const match = document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
  return match ? decodeURIComponent(match[1]) : null;
}

export function etag(version) {
  return `"${version}"`;
}

export function newIdempotencyKey() {
  return crypto.randomUUID();
}

export class PosterClient {
  // baseUrl: where /api/v1/ is. Authentication is the session cookie (with its CSRF
  // token, read from the csrftoken cookie) unless `token` is given.
  constructor({ baseUrl = "/api/v1/", token = null, csrfCookieName = "csrftoken" } = {}) {
    this.baseUrl = new URL(baseUrl, globalThis.location ? location.href : undefined);
    this.token = token;
    this.csrfCookieName = csrfCookieName;
  }

  url(path) {
    return new URL(path, this.baseUrl).toString();
  }

  async request(method, path, { json, headers = {}, signal, keepalive = false } = {}) {
    const sent = { Accept: "application/json", ...headers };
    if (json !== undefined) sent["Content-Type"] = "application/json";
    if (this.token) {
      sent.Authorization = `Token ${this.token}`;
    } else if (!["GET", "HEAD"].includes(method)) {
      const csrf = cookie(this.csrfCookieName);
      if (csrf) sent["X-CSRFToken"] = csrf;
    }
    let response;
    try {
      response = await fetch(path.startsWith("http") ? path : this.url(path), {
        method,
        headers: sent,
        body: json === undefined ? undefined : JSON.stringify(json),
        credentials: "same-origin",
        signal,
        keepalive,
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new NetworkError(error.message);
    }
    let body = null;
    if ((response.headers.get("Content-Type") || "").includes("json")) {
      try {
        body = await response.json();
      } catch (error) {
        throw new NetworkError(`The answer was cut: ${error.message}`);
      }
    }
    if (!response.ok && response.status !== 304) {
      throw new ApiError(response.status, body, response.headers);
    }
    return { status: response.status, body, headers: response.headers };
  }

  async get(path, options) {
    return (await this.request("GET", path, options)).body;
  }

  me() { return this.get("me/"); }
  config() { return this.get("config/"); }
  community(name) { return this.get(`communities/${encodeURIComponent(name)}/`); }

  // Drafts
  drafts(pageUrl = "drafts/?page_size=20") { return this.get(pageUrl); }
  draft(id) { return this.get(`drafts/${id}/`); }
  async createDraft(fields, { idempotencyKey = newIdempotencyKey() } = {}) {
    const headers = { "Idempotency-Key": idempotencyKey };
    return (await this.request("POST", "drafts/", { json: fields, headers })).body;
  }
  async autosave(id, version, fields) {
    const headers = { "If-Match": etag(version) };
    return (await this.request("PATCH", `drafts/${id}/`, { json: fields, headers })).body;
  }
  deleteDraft(id) { return this.request("DELETE", `drafts/${id}/`); }
  check(id) { return this.request("POST", `drafts/${id}/check/`, { json: {} }).then((r) => r.body); }
  revisions(id, pageUrl = null) { return this.get(pageUrl || `drafts/${id}/revisions/`); }
  revision(id, number) { return this.get(`drafts/${id}/revisions/${number}/`); }
  async restoreRevision(id, number, version) {
    const headers = { "If-Match": etag(version) };
    const path = `drafts/${id}/revisions/${number}/restore/`;
    return (await this.request("POST", path, { json: {}, headers })).body;
  }

  // Publishing: now, or at `publishAt` (a Date). 201 published, 202 waiting.
  async publish(id, version, { publishAt = null, idempotencyKey = newIdempotencyKey() } = {}) {
    const headers = { "If-Match": etag(version), "Idempotency-Key": idempotencyKey };
    const json = publishAt ? { publish_at: publishAt.toISOString() } : {};
    return (await this.request("POST", `drafts/${id}/publish/`, { json, headers })).body;
  }
  post(id) { return this.get(`posts/${id}/`); }

  // Media
  async lease(fields) { return (await this.request("POST", "media/", { json: fields })).body; }
  async complete(id) { return (await this.request("POST", `media/${id}/complete/`)).body; }
  media(id) { return this.get(`media/${id}/`); }
  async updateMedia(id, fields) {
    return (await this.request("PATCH", `media/${id}/`, { json: fields })).body;
  }
  deleteMedia(id) { return this.request("DELETE", `media/${id}/`); }
}

function pick(draft) {
  const fields = {};
  for (const name of DRAFT_FIELDS) {
    if (name in draft) fields[name] = name === "media" ? draft.media.map((m) => m.id || m) : draft[name];
  }
  return fields;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;

// The wait before retrying: the server's Retry-After, else doubling from 1 s to 30 s.
function nextRetryMs(previousMs, retryAfterSeconds) {
  if (retryAfterSeconds) return retryAfterSeconds * 1000;
  return Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, previousMs * 2));
}

// The fields whose value differs from `before` to `after`, leaving out `skipped`'s.
function changedFields(before, after, skipped) {
  return Object.keys(after).filter(
    (field) => !(field in skipped) && !same(before[field], after[field]),
  );
}

// Forget the waiting values that `sent` stored; a value edited since stays waiting.
function dropStored(pending, sent) {
  for (const [field, value] of Object.entries(sent)) {
    if (same(pending[field], value)) delete pending[field];
  }
}

// Autosave of one draft. Call edit(field, value) on every change; listen for:
//   "status"   detail {state, waiting}: state is saved, saving, offline, retrying,
//              signed_out, conflict, invalid or closed; waiting counts edits not
//              yet stored
//   "remote"   detail {fields}: another device's values, to show (never over an
//              edit of this one that is still waiting)
//   "merged"   detail {fields}: the server merged this save with another device's
//   "conflict" detail {fields: [{field, mine, theirs}]}: resolve() continues
//   "invalid"  detail {fields: {field: [message]}, code}
//   "closed"   detail {code, message}: the draft was published or deleted
export class DraftAutosave extends EventTarget {
  constructor(client, draft, {
    storage = globalThis.localStorage, debounceMs = 400, minIntervalMs = 1000,
  } = {}) {
    super();
    this.client = client;
    this.id = draft.id;
    this.version = draft.version;
    this.server = pick(draft);
    this.storage = storage;
    this.storageKey = `poster.autosave.${draft.id}`;
    this.debounceMs = debounceMs;
    this.minIntervalMs = minIntervalMs;
    this.pending = {};
    this.edits = 0;
    this.invalid = {};
    this.conflict = null;
    this.closed = null;
    this.inFlight = false;
    this.timer = null;
    this.batchStartedAt = null;
    this.lastSaveAt = -Infinity;
    this.retryMs = 0;
    this.problem = null; // "offline" or "retrying" while the last save failed
    this.newestSeenVersion = draft.version;
    this.onOnline = () => this.retryNow();
    globalThis.addEventListener?.("online", this.onOnline);
    this.restore();
  }

  // Edits kept from an earlier page (a reload, a crash, a closed offline tab).
  restore() {
    let kept = null;
    try {
      kept = JSON.parse(this.storage.getItem(this.storageKey) || "null");
    } catch {
      kept = null;
    }
    if (!kept || !kept.pending) return;
    for (const [field, value] of Object.entries(kept.pending)) {
      if (!same(this.server[field], value)) this.pending[field] = value;
    }
    this.edits = Object.keys(this.pending).length ? Math.max(kept.edits || 1, 1) : 0;
    // The restored edits were made on `kept.version`: send them with it, so that the
    // server merges them or reports a conflict, never overwrites silently.
    if (this.edits) this.version = Math.min(this.version, kept.version);
    this.persist();
  }

  // Values to show: the server's, with this device's waiting edits over them.
  get values() {
    return { ...this.server, ...this.pending };
  }

  get waiting() {
    return this.edits;
  }

  persist() {
    try {
      if (Object.keys(this.pending).length) {
        const kept = { version: this.version, pending: this.pending, edits: this.edits };
        this.storage.setItem(this.storageKey, JSON.stringify(kept));
      } else {
        this.storage.removeItem(this.storageKey);
      }
    } catch {
      // Storage full or refused (private mode): the edit still waits in memory.
    }
  }

  edit(field, value) {
    if (this.closed) return;
    if (!DRAFT_FIELDS.includes(field)) throw new Error(`not a draft field: ${field}`);
    this.pending[field] = value;
    delete this.invalid[field];
    this.edits += 1;
    this.persist(); // before anything else: a crash from here on loses nothing
    if (this.batchStartedAt === null) this.batchStartedAt = performance.now();
    this.schedule();
    this.emitStatus();
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  sendable() {
    const fields = {};
    for (const [field, value] of Object.entries(this.pending)) {
      if (!(field in this.invalid)) fields[field] = value;
    }
    return fields;
  }

  state() {
    if (this.closed) return "closed";
    if (this.conflict) return "conflict";
    if (this.problem) return this.problem;
    if (Object.keys(this.invalid).length && !Object.keys(this.sendable()).length) return "invalid";
    if (this.inFlight || Object.keys(this.pending).length) return "saving";
    return "saved";
  }

  emitStatus() {
    this.emit("status", { state: this.state(), waiting: this.edits });
  }

  // Debounce, at most one save a second while typing goes on, one in flight.
  schedule() {
    if (this.inFlight || this.conflict || this.closed || this.problem) return;
    if (!Object.keys(this.sendable()).length) return;
    const now = performance.now();
    const quiet = now + this.debounceMs;
    const longest = (this.batchStartedAt ?? now) + this.minIntervalMs;
    const due = Math.max(Math.min(quiet, longest), this.lastSaveAt + this.minIntervalMs);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), Math.max(0, due - now));
  }

  // Save now what is waiting (a button, a page about to close).
  flush() {
    if (this.inFlight || this.conflict || this.closed) return;
    clearTimeout(this.timer);
    this.save();
  }

  // Resolves once every edit is stored (before publishing or restoring, which need
  // the current version); rejects with the state that stops it.
  whenSaved() {
    this.flush();
    return new Promise((resolve, reject) => {
      const check = () => {
        const state = this.state();
        if (state === "saved") {
          this.removeEventListener("status", check);
          resolve(this.version);
        } else if (["conflict", "invalid", "closed", "offline", "signed_out"].includes(state)) {
          this.removeEventListener("status", check);
          const error = new Error(`The draft is not saved (${state}).`);
          error.code = `draft_${state}`;
          reject(error);
        }
      };
      this.addEventListener("status", check);
      check();
    });
  }

  retryNow() {
    if (!this.problem) return;
    this.problem = null;
    clearTimeout(this.timer);
    this.save();
  }

  async save() {
    this.timer = null;
    const fields = this.sendable();
    if (this.inFlight || this.conflict || this.closed || !Object.keys(fields).length) {
      this.emitStatus();
      return;
    }
    this.inFlight = true;
    this.batchStartedAt = null;
    this.lastSaveAt = performance.now();
    const editsSent = this.edits;
    this.emitStatus();
    try {
      const draft = await this.client.autosave(this.id, this.version, fields);
      this.saved(draft, fields, editsSent);
    } catch (error) {
      this.failed(error);
    } finally {
      this.inFlight = false;
    }
    this.persist();
    this.emitStatus();
    if (!this.problem) this.schedule();
    if (!Object.keys(this.pending).length && this.newestSeenVersion > this.version) {
      this.refresh();
    }
  }

  saved(draft, fields, editsSent) {
    const before = this.server;
    this.version = draft.version;
    this.newestSeenVersion = Math.max(this.newestSeenVersion, draft.version);
    this.server = { ...this.server, ...pick(draft) };
    dropStored(this.pending, fields);
    this.edits = Object.keys(this.pending).length ? Math.max(0, this.edits - editsSent) || 1 : 0;
    this.problem = null;
    this.retryMs = 0;
    const theirs = changedFields(before, this.server, fields);
    if (theirs.length) this.emit("remote", { fields: theirs });
    if (draft.merged) this.emit("merged", { fields: theirs });
    this.emit("saved", { version: this.version });
  }

  failed(error) {
    if (error instanceof NetworkError) {
      this.retryLater(null, "offline");
    } else if (error.code === "edit_conflict") {
      this.conflicted(error.extra.current, error.extra.conflicting_fields || []);
    } else if (error.isRetryable) {
      this.retryLater(error.retryAfterSeconds, "retrying");
    } else if (error.code === "validation_error" || error.code === "no_changes") {
      Object.assign(this.invalid, error.fields);
      this.emit("invalid", { fields: error.fields, code: error.code, message: error.message });
    } else if (error.status === 404 || error.code === "draft_published") {
      this.close(error);
    } else if (error.status === 401 || error.status === 403) {
      // The session ended (or its CSRF token did): the edits wait until the person
      // signs in again, in this tab or another.
      this.retryLater(null, "signed_out");
    } else {
      // Anything else (a weak tag, a precondition the server wants): read the draft
      // again and carry on from its version; the waiting edits stay.
      this.retryLater(null, "retrying");
      this.refresh();
    }
  }

  retryLater(seconds, problem) {
    this.problem = problem;
    this.retryMs = nextRetryMs(this.retryMs, seconds);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.retryNow(), this.retryMs);
  }

  conflicted(current, conflictingFields) {
    const before = this.server;
    this.server = pick(current);
    this.conflict = {
      version: current.version,
      fields: conflictingFields.map((field) => ({
        field, mine: this.pending[field], theirs: this.server[field],
      })),
    };
    this.newestSeenVersion = Math.max(this.newestSeenVersion, current.version);
    const theirs = changedFields(before, this.server, this.pending);
    if (theirs.length) this.emit("remote", { fields: theirs });
    this.emit("conflict", this.conflict);
  }

  // choices: {field: "mine" | "theirs"}; a field left out keeps mine.
  resolve(choices = {}) {
    if (!this.conflict) return;
    for (const { field } of this.conflict.fields) {
      if (choices[field] === "theirs") delete this.pending[field];
    }
    this.version = this.conflict.version;
    this.conflict = null;
    if (!Object.keys(this.pending).length) this.edits = 0;
    this.persist();
    this.emit("remote", { fields: Object.keys(choices).filter((f) => choices[f] === "theirs") });
    this.emitStatus();
    this.flush();
  }

  // Another device saved (an event, or polling): read the draft and show its values.
  noteVersion(version) {
    if (version <= this.newestSeenVersion && version <= this.version) return;
    this.newestSeenVersion = Math.max(this.newestSeenVersion, version);
    if (!this.inFlight && version > this.version) this.refresh();
  }

  async refresh() {
    let draft;
    try {
      draft = await this.client.draft(this.id);
    } catch (error) {
      if (error.status === 404) this.close(error);
      return;
    }
    if (this.inFlight) return; // its answer carries the newer values
    this.applyServerDraft(draft);
  }

  applyServerDraft(draft) {
    const before = this.server;
    const fresh = pick(draft);
    const theirs = changedFields(before, fresh, this.pending);
    for (const field of Object.keys(fresh)) {
      if (!(field in this.pending)) this.server[field] = fresh[field];
    }
    this.newestSeenVersion = Math.max(this.newestSeenVersion, draft.version);
    // Waiting edits were made on the old version: keep it, so that the server
    // merges them or reports a conflict instead of them overwriting these values.
    if (!Object.keys(this.pending).length) this.version = draft.version;
    if (theirs.length) this.emit("remote", { fields: theirs });
    this.emitStatus();
  }

  close(error) {
    this.closed = { code: error.code, message: error.message };
    clearTimeout(this.timer);
    this.emit("closed", this.closed);
    this.emitStatus();
  }

  // The draft became a post: nothing waits any more.
  forget() {
    this.pending = {};
    this.edits = 0;
    this.persist();
    this.dispose();
  }

  dispose() {
    clearTimeout(this.timer);
    globalThis.removeEventListener?.("online", this.onOnline);
  }
}

// Alt text and captions of media: queued in localStorage like draft edits, so that
// text typed offline, or before a tab died, reaches the server later. Events:
//   "state" detail {id, state}: saving, saved, waiting (offline or retrying), failed
//           (with code and message: the server refused the value)
export class MediaEdits extends EventTarget {
  constructor(client, { storage = globalThis.localStorage, debounceMs = 600 } = {}) {
    super();
    this.client = client;
    this.storage = storage;
    this.debounceMs = debounceMs;
    this.storageKey = "poster.media-edits";
    this.timers = new Map();
    // The last state of each id, for a tray item drawn after its save ended.
    this.states = new Map();
    this.retryMs = 0;
    try {
      this.pending = JSON.parse(storage.getItem(this.storageKey) || "{}") || {};
    } catch {
      this.pending = {};
    }
    this.onOnline = () => this.flushAll();
    globalThis.addEventListener?.("online", this.onOnline);
  }

  persist() {
    try {
      if (Object.keys(this.pending).length) {
        this.storage.setItem(this.storageKey, JSON.stringify(this.pending));
      } else {
        this.storage.removeItem(this.storageKey);
      }
    } catch {
      // Storage refused: the edit still waits in memory.
    }
  }

  emit(id, state, extra = {}) {
    const detail = { id, state, ...extra };
    this.states.set(id, detail);
    this.dispatchEvent(new CustomEvent("state", { detail }));
  }

  // What the last `state` event said of `id`, or null.
  stateFor(id) {
    return this.states.get(id) || null;
  }

  // The values of `id` not yet stored (to show after a reload).
  pendingFor(id) {
    return { ...(this.pending[id] || {}) };
  }

  edit(id, field, value) {
    this.pending[id] = { ...(this.pending[id] || {}), [field]: value };
    this.persist();
    clearTimeout(this.timers.get(id));
    this.timers.set(id, setTimeout(() => this.send(id), this.debounceMs));
  }

  flushAll() {
    for (const id of Object.keys(this.pending)) this.send(id);
  }

  // The media is gone (removed, or its draft published): forget its edits.
  forget(id) {
    clearTimeout(this.timers.get(id));
    delete this.pending[id];
    this.states.delete(id);
    this.persist();
  }

  async send(id) {
    clearTimeout(this.timers.get(id));
    const fields = this.pendingFor(id);
    if (!Object.keys(fields).length) return;
    this.emit(id, "saving");
    try {
      await this.client.updateMedia(id, fields);
    } catch (error) {
      if (error instanceof NetworkError || error.isRetryable || error.status === 401 || error.status === 403) {
        this.retryMs = nextRetryMs(this.retryMs, error.retryAfterSeconds);
        this.timers.set(id, setTimeout(() => this.send(id), this.retryMs));
        this.emit(id, "waiting", { code: error.code, message: error.message });
        return;
      }
      if (error.status === 404) {
        this.forget(id);
        return;
      }
      // Refused (too long, say): keep the text in the field, stop resending it.
      dropStored(this.pending[id] || {}, fields);
      this.persist();
      this.emit(id, "failed", { code: error.code, message: error.message });
      return;
    }
    this.retryMs = 0;
    dropStored(this.pending[id] || {}, fields);
    if (this.pending[id] && !Object.keys(this.pending[id]).length) delete this.pending[id];
    this.persist();
    this.emit(id, this.pending[id] ? "saving" : "saved");
    if (this.pending[id]) this.send(id);
  }
}

// A media status that only an older answer can bring: processing is over, and a
// read or a reply sent before that must not undo it. (Staff reprocessing comes as an
// event, which is applied.)
const SETTLED_STATUSES = ["ready", "failed"];
export function isStaleMediaStatus(shown, incoming) {
  return SETTLED_STATUSES.includes(shown) && !SETTLED_STATUSES.includes(incoming);
}

async function sha256Hex(file) {
  if (!globalThis.crypto || !crypto.subtle) return null; // not a secure context
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function storageErrorCode(xhr) {
  const match = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || "");
  if (match) return match[1];
  try {
    return JSON.parse(xhr.responseText).error.code;
  } catch {
    return `http_${xhr.status}`;
  }
}

// One file: lease, upload straight to storage, complete, then processing. Events:
//   "state"    detail {state}: leasing, uploading, completing, processing, ready,
//              failed (with code and message), cancelled
//   "progress" detail {loaded, total}
export class MediaUpload extends EventTarget {
  constructor(client, file, { draft = null, checksum = true } = {}) {
    super();
    this.client = client;
    this.file = file;
    this.draft = draft;
    this.checksum = checksum;
    this.asset = null;
    this.state = "new";
    this.code = null;
    this.message = null;
    this.xhr = null;
    this.uploaded = false;
  }

  set(state, extra = {}) {
    this.state = state;
    Object.assign(this, extra);
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...extra } }));
  }

  async start() {
    try {
      if (!this.asset || this.leaseExpired()) await this.lease();
      if (!this.uploaded) await this.upload();
      await this.completeUpload();
    } catch (error) {
      if (this.state === "cancelled") return;
      this.set("failed", { code: error.code || "upload_failed", message: error.message, error });
    }
  }

  retry() {
    if (this.state === "failed" && this.asset && this.asset.status === "failed") {
      this.asset = null; // processing refused the file: a new lease starts over
      this.uploaded = false;
    }
    return this.start();
  }

  leaseExpired() {
    return this.asset && this.asset.expires_at && new Date(this.asset.expires_at) <= new Date();
  }

  async lease() {
    this.set("leasing", { code: null, message: null });
    const fields = {
      filename: this.file.name || "pasted-image",
      content_type: this.file.type,
      size_bytes: this.file.size,
    };
    if (this.draft) fields.draft = this.draft;
    if (this.checksum) {
      const digest = await sha256Hex(this.file);
      if (digest) fields.sha256 = digest;
    }
    this.asset = await this.client.lease(fields);
    this.uploaded = false;
  }

  upload() {
    const instruction = this.asset.upload;
    this.set("uploading");
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.xhr = xhr;
      xhr.open(instruction.method, new URL(instruction.url, location.href));
      let body;
      if (instruction.method === "POST") {
        body = new FormData();
        for (const [name, value] of Object.entries(instruction.fields || {})) {
          body.append(name, value);
        }
        body.append("file", this.file); // the file comes last, as S3 requires
      } else {
        for (const [name, value] of Object.entries(instruction.headers || {})) {
          xhr.setRequestHeader(name, value);
        }
        body = this.file;
      }
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) {
          this.dispatchEvent(new CustomEvent("progress", {
            detail: { loaded: event.loaded, total: event.total },
          }));
        }
      });
      xhr.addEventListener("load", () => {
        this.xhr = null;
        if (xhr.status >= 200 && xhr.status < 300) {
          this.uploaded = true;
          this.dispatchEvent(new CustomEvent("progress", {
            detail: { loaded: this.file.size, total: this.file.size },
          }));
          resolve();
        } else {
          const error = new Error(`Storage refused the upload (${xhr.status}).`);
          error.code = storageErrorCode(xhr);
          reject(error);
        }
      });
      xhr.addEventListener("error", () => {
        this.xhr = null;
        reject(new NetworkError("The upload was cut off."));
      });
      xhr.addEventListener("abort", () => {
        this.xhr = null;
        const error = new Error("Cancelled.");
        error.code = "cancelled";
        reject(error);
      });
      xhr.send(body);
    });
  }

  async completeUpload() {
    this.set("completing");
    const asset = await this.client.complete(this.asset.id);
    this.asset = { ...this.asset, ...asset };
    this.applyStatus(asset);
  }

  // A media.status event, a polled media, or the answer to complete.
  applyStatus(data) {
    if (this.state === "cancelled") return;
    if (isStaleMediaStatus(this.state, data.status)) return; // complete's late answer
    this.asset = { ...this.asset, ...data };
    if (data.status === "ready") {
      this.set("ready");
    } else if (data.status === "failed") {
      const code = data.code || data.failure_code;
      const message = data.message || data.failure_message;
      this.set("failed", { code, message });
    } else if (["uploaded", "processing"].includes(data.status)) {
      if (this.state !== "processing") this.set("processing");
    }
  }

  async cancel() {
    const wasUploading = this.xhr !== null;
    this.set("cancelled");
    if (wasUploading) this.xhr.abort();
    if (this.asset) {
      try {
        await this.client.deleteMedia(this.asset.id);
      } catch (error) {
        if (error.status !== 404) throw error;
      }
    }
  }
}

const EVENT_TYPES = [
  "media.status", "post.status", "draft.saved", "draft.published", "stream.reset",
];

// The signed-in user's live events. Listeners get CustomEvents named after the event
// types ("media.status", ...) with the parsed data as detail, and "mode" events
// (detail: "live", "connecting" or "polling"). When the stream cannot be opened
// (no EventSource, refused, another origin without CORS), it polls instead: each
// watch(key, poll) registers a function that returns the events a poll found.
export class LiveEvents extends EventTarget {
  constructor(url, { pollIntervalMs = 5000, failuresBeforePolling = 3, retrySseMs = 60000 } = {}) {
    super();
    this.url = url;
    this.pollIntervalMs = pollIntervalMs;
    this.failuresBeforePolling = failuresBeforePolling;
    this.retrySseMs = retrySseMs;
    this.source = null;
    this.lastEventId = null;
    this.failures = 0;
    this.mode = "connecting";
    this.watchers = new Map();
    this.pollTimer = null;
    this.retryTimer = null;
  }

  start() {
    if (!this.url || typeof EventSource === "undefined") {
      this.setMode("polling");
      return this;
    }
    this.open();
    return this;
  }

  open() {
    const url = new URL(this.url, location.href);
    if (this.lastEventId) url.searchParams.set("last_event_id", this.lastEventId);
    const source = new EventSource(url, { withCredentials: true });
    this.source = source;
    source.addEventListener("open", () => {
      this.failures = 0;
      this.setMode("live");
    });
    source.addEventListener("error", () => {
      this.failures += 1;
      if (this.failures >= this.failuresBeforePolling) {
        this.setMode("polling");
      } else if (this.mode !== "polling") {
        this.setMode("connecting");
      }
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an error answer, or CORS): reopen it ourselves,
        // from the last event received.
        clearTimeout(this.retryTimer);
        const delay = this.mode === "polling" ? this.retrySseMs : 3000;
        this.retryTimer = setTimeout(() => this.source === source && this.open(), delay);
      }
    });
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        if (message.lastEventId) this.lastEventId = message.lastEventId;
        let data;
        try {
          data = JSON.parse(message.data);
        } catch {
          return;
        }
        this.dispatchEvent(new CustomEvent(type, { detail: data }));
      });
    }
  }

  setMode(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (mode === "polling") this.pollTimer = setInterval(() => this.poll(), this.pollIntervalMs);
    this.dispatchEvent(new CustomEvent("mode", { detail: mode }));
  }

  // poll: async () => [[type, data], ...]; called only while polling.
  watch(key, poll) {
    this.watchers.set(key, poll);
  }

  unwatch(key) {
    this.watchers.delete(key);
  }

  async poll() {
    for (const [key, poll] of [...this.watchers]) {
      let found = [];
      try {
        found = await poll();
      } catch (error) {
        if (error.status === 404) this.watchers.delete(key);
        continue;
      }
      for (const [type, data] of found) {
        this.dispatchEvent(new CustomEvent(type, { detail: data }));
      }
    }
  }

  close() {
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
    if (this.source) this.source.close();
    this.source = null;
  }
}
