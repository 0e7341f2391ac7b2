// The page: one EventSource on /events feeds the store; each animation frame redraws the parts whose
// kinds changed. Clicks: an object opens its YAML and events; a verb button runs `kubelab VERB NAME`.
// With ?trace in the address, window.kubelabUI.trace records [time, "Kind:key", view] of every drawn
// change (bench/ui.py measures the time from an API write to the page with it).
import { Store } from "./store.js";
import {
  componentDetail, componentInfo, componentShell, renderDetail, renderEvents, renderNodes, renderPending,
  renderServices, renderStorage,
} from "./render.js";

const store = new Store();
const tracing = new URLSearchParams(location.search).has("trace");
const ui = (window.kubelabUI = { store, trace: [], messages: 0 });
const $ = (sel) => document.querySelector(sel);

const PARTS = {
  nodes: { kinds: ["Node", "Pod"], el: () => $("#nodes"), draw: () => renderNodes(store) },
  pending: { kinds: ["Pod"], el: () => $("#pending ol"), draw: () => renderPending(store) },
  storage: { kinds: ["PersistentVolumeClaim", "PersistentVolume", "VolumeAttachment", "StorageClass"],
    el: () => $("#storage div"), draw: () => renderStorage(store) },
  services: { kinds: ["Service", "EndpointSlice"], el: () => $("#services ol"), draw: () => renderServices(store) },
  components: { kinds: ["Component"], update: () => drawComponents() },
  events: { kinds: ["Event", "Change"], lazy: true, el: () => $("#events"), draw: () => renderEvents(store, $("#event-filter").value) },
};

// Components are patched, not redrawn: a Lease renewal every few seconds must not close an open menu or
// take the keyboard focus from its buttons.
function drawComponents() {
  const el = $("#components");
  const old = new Map([...el.children].map((n) => [n.dataset.component, n]));
  let prev = null;
  for (const c of store.list("Component")) {
    let node = old.get(c.name);
    old.delete(c.name);
    if (!node || node.dataset.actions !== String(c.actions)) {
      const fresh = document.createElement("template");
      fresh.innerHTML = componentShell(c);
      if (node) node.remove();
      node = fresh.content.firstElementChild;
    }
    node.dataset.state = c.state;
    node.querySelector(".info").innerHTML = componentInfo(c);
    const detail = node.querySelector(".detail");
    if (detail) detail.innerHTML = componentDetail(c);
    const want = prev ? prev.nextSibling : el.firstChild;
    if (node !== want) el.insertBefore(node, want);
    prev = node;
  }
  for (const n of old.values()) n.remove();
}

// The strip changes with nearly every write (a timeline line each): it is redrawn at most every 250 ms, after
// the frame, so that its 200 lines never delay the picture above it.
const lazyParts = new Set();
let lazyTimer = null;
function later(part) {
  lazyParts.add(part);
  lazyTimer ??= setTimeout(() => {
    lazyTimer = null;
    for (const p of lazyParts) p.el().innerHTML = p.draw();
    lazyParts.clear();
  }, 250);
}

let dirty = new Set();
let scheduled = false;

function draw() {
  scheduled = false;
  const changed = dirty;
  dirty = new Set();
  const kinds = new Set([...changed].map((k) => k.split(":")[0]));
  for (const part of Object.values(PARTS)) {
    if (!changed.has("*") && !part.kinds.some((k) => kinds.has(k))) continue;
    if (part.update) part.update();
    else if (part.lazy && !changed.has("*")) later(part);
    else part.el().innerHTML = part.draw();
  }
  if (tracing) {
    const now = Date.now();
    for (const k of changed) {
      const i = k.indexOf(":");
      ui.trace.push([now, k, store.get(k.slice(0, i), k.slice(i + 1)) || null]);
    }
  }
}

function changed(keys) {
  for (const k of keys) dirty.add(k);
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(draw);
  }
}

function connect() {
  const source = new EventSource("/events");
  const state = $("#connection");
  source.onopen = () => { state.dataset.state = "live"; state.textContent = "● live"; };
  source.onerror = () => { state.dataset.state = "reconnecting"; state.textContent = "○ reconnecting"; };
  source.onmessage = (e) => {
    ui.messages += 1;
    changed(store.apply(JSON.parse(e.data)));
  };
}

async function showDetail(kind, key) {
  const dialog = $("#detail");
  dialog.querySelector("h2").textContent = `${kind} ${key}`;
  dialog.querySelector(".yaml").textContent = "loading…";
  dialog.querySelector(".events").innerHTML = "";
  if (!dialog.open) dialog.showModal();
  const resp = await fetch(`/api/object?kind=${encodeURIComponent(kind)}&key=${encodeURIComponent(key)}`);
  if (!resp.ok) {
    dialog.querySelector(".yaml").textContent = await resp.text();
    return;
  }
  const body = await resp.json();
  dialog.querySelector(".yaml").textContent = body.yaml;
  dialog.querySelector(".events").innerHTML = renderDetail(body.events);
}

async function act(verb, name, button) {
  button.disabled = true;
  button.textContent = `${verb}…`;
  let ok = false;
  try {
    const resp = await fetch(`/api/components/${encodeURIComponent(name)}/${verb}`,
      { method: "POST", headers: { "X-Kubelab-Action": "1" } }); // proves the page sent it (server.py)
    const body = await resp.json();
    ok = resp.ok;
    if (!ok) alert(`${verb} ${name}: ${body.error}`);
  } finally {
    button.disabled = false;
    button.textContent = verb;
  }
  const menu = button.closest("details");
  if (ok && menu && menu.open) closeMenu(menu, menu.contains(document.activeElement));
}

function closeMenu(menu, refocus) {
  menu.open = false;
  if (refocus) menu.querySelector("summary").focus();
}

document.addEventListener("click", (e) => {
  const verb = e.target.closest("button.verb");
  if (verb) return act(verb.dataset.verb, verb.dataset.name, verb);
  const ref = e.target.closest("button.ref");
  if (ref) showDetail(ref.dataset.kind, ref.dataset.key);
});
// One component menu open at a time; Escape or a click elsewhere closes it.
document.addEventListener("toggle", (e) => {
  if (!e.target.matches?.("details.menu") || !e.target.open) return;
  for (const other of document.querySelectorAll("details.menu[open]")) if (other !== e.target) other.open = false;
}, true);
document.addEventListener("keydown", (e) => {
  const menu = e.key === "Escape" && document.activeElement?.closest("details.menu[open]");
  if (menu) closeMenu(menu, true);
});
document.addEventListener("pointerdown", (e) => {
  for (const menu of document.querySelectorAll("details.menu[open]")) if (!menu.contains(e.target)) menu.open = false;
});
$("#event-filter").addEventListener("input", () => { PARTS.events.el().innerHTML = PARTS.events.draw(); });
setInterval(() => changed(["Component:", "Event:"]), 5000); // ages move on without a change
connect();
