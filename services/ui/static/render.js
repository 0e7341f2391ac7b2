// HTML of each part of the page from the store's views. Every state is drawn as a shape and a word
// (never colour alone): ● ok, ✖ failed, ○ waiting, ‖ paused, ✂ cut off, ? unknown.

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const OK = new Set(["Ready", "Running", "Bound", "running", "SERVING", "Succeeded", "Completed", "True",
  "leader", "Available", "attached"]);
const BAD = new Set(["NotReady", "Failed", "killed", "exited", "stopped", "Error", "CrashLoopBackOff", "Lost",
  "NOT_SERVING", "unreachable", "Evicted", "OOMKilled", "ImagePullBackOff", "ErrImagePull"]);

export function tone(word) {
  const w = String(word || "");
  if (w.includes("partitioned")) return "cut";
  if (w.includes("paused")) return "paused";
  if (OK.has(w)) return "ok";
  if (BAD.has(w) || w.startsWith("Init:Error")) return "bad";
  if (w === "Unknown" || w === "-" || w === "") return "unknown";
  return "wait";
}

const SHAPES = { ok: "●", bad: "✖", wait: "○", paused: "‖", cut: "✂", unknown: "?" };

export function badge(word, extra = "") {
  const t = tone(word);
  return `<span class="state ${t} ${extra}" data-tone="${t}"><span class="shape" aria-hidden="true">` +
    `${SHAPES[t]}</span>${esc(word)}</span>`;
}

function ref(kind, key, label) {
  return `<button class="ref" data-kind="${esc(kind)}" data-key="${esc(key)}">${esc(label)}</button>`;
}

export function age(seconds) {
  if (seconds == null) return "-";
  const s = Math.max(0, Math.round(Date.now() / 1000 - seconds));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}

const keyOf = (v) => (v.namespace ? `${v.namespace}/${v.name}` : v.name);

// Pods of one place, by owner then ordinal (a StatefulSet's pods in order), then name.
export function podOrder(a, b) {
  const oa = a.owner ? `${a.owner.kind}/${a.owner.name}` : "~";
  const ob = b.owner ? `${b.owner.kind}/${b.owner.name}` : "~";
  if (oa !== ob) return oa < ob ? -1 : 1;
  if (a.ordinal != null && b.ordinal != null) return a.ordinal - b.ordinal;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function owner(v) {
  if (!v.owner) return "";
  const ord = v.ordinal != null ? ` #${v.ordinal}` : "";
  return `<span class="owner">${esc(v.owner.kind)}/${esc(v.owner.name)}${ord}</span>`;
}

function waits(v) {
  return (v.waits || []).map((w) => `<p class="blocked" data-reason="${esc(w.reason)}"><b>${esc(w.reason)}</b> ` +
    `${esc(w.message)}</p>`).join("");
}

export function podCard(v) {
  const key = keyOf(v);
  const status = v.deleting ? "Terminating" : v.status;
  return `<li class="pod" data-kind="Pod" data-key="${esc(key)}" data-status="${esc(status)}" ` +
    `data-ready="${esc(v.ready)}" data-ordinal="${v.ordinal ?? ""}">` +
    `<div class="line">${ref("Pod", key, v.name)} ${badge(status)}</div>` +
    `<div class="line small"><span title="ready containers">ready ${esc(v.ready)}</span>` +
    `<span title="restarts">↻ ${v.restarts}</span>${owner(v)}</div>${waits(v)}</li>`;
}

function nodeColumn(node, pods) {
  const conditions = node.conditions.filter((c) => c.type !== "Ready" && c.status !== "False")
    .map((c) => `<li>${badge(`${c.type}=${c.status}`)}</li>`).join("");
  const taints = node.taints.map((t) => `<li class="taint">⚑ ${esc(t)}</li>`).join("");
  return `<article class="node" data-node="${esc(node.name)}" data-status="${esc(node.status)}">` +
    `<h2>${ref("Node", node.name, node.name)} ${badge(node.status.split(",")[0])}</h2>` +
    `<ul class="meta">${conditions}${taints}</ul>` +
    `<ol class="pods">${pods.sort(podOrder).map(podCard).join("")}</ol></article>`;
}

export function renderNodes(store) {
  const byNode = new Map(store.list("Node").map((n) => [n.name, []]));
  for (const pod of store.list("Pod")) {
    if (pod.node && byNode.has(pod.node)) byNode.get(pod.node).push(pod);
  }
  const nodes = store.list("Node").sort((a, b) => (a.name < b.name ? -1 : 1));
  return nodes.map((n) => nodeColumn(n, byNode.get(n.name))).join("") || "<p>No nodes.</p>";
}

export function renderPending(store) {
  const pending = store.list("Pod").filter((p) => !p.node).sort(podOrder);
  return pending.map((p) => podCard(p).replace("</li>", p.unschedulable
    ? `<p class="reason" data-reason="${esc(p.unschedulable.reason)}">${esc(p.unschedulable.message)}</p></li>`
    : `<p class="reason">waiting for the scheduler</p></li>`)).join("") || "<li class=\"none\">none</li>";
}

function claimRow(store, claim) {
  const key = keyOf(claim);
  const pv = claim.volume ? store.get("PersistentVolume", claim.volume) : null;
  const attachments = pv ? store.list("VolumeAttachment").filter((a) => a.volume === pv.name) : [];
  let where = "";
  if (pv && pv.node) where = `<span class="link" title="pinned to node">⌂ ${esc(pv.node)}</span>`;
  for (const a of attachments) {
    where += `<span class="link" data-attached="${a.attached}">${ref("VolumeAttachment", a.name, "⇄ " + a.node)}` +
      ` ${badge(a.attached ? "attached" : "attaching")}</span>`;
  }
  const volume = claim.volume ? `<span class="arrow" aria-label="bound to">→</span>` +
    `${ref("PersistentVolume", claim.volume, claim.volume)}` : `<span class="arrow">→</span><i>no volume yet</i>`;
  return `<li class="claim" data-kind="PersistentVolumeClaim" data-key="${esc(key)}" data-phase="${esc(claim.phase)}"` +
    ` data-volume="${esc(claim.volume)}">${ref("PersistentVolumeClaim", key, claim.name)} ${badge(claim.phase)}` +
    ` ${volume} ${where}</li>`;
}

export function renderStorage(store) {
  const classes = store.list("StorageClass").sort((a, b) => (a.name < b.name ? -1 : 1));
  const claims = store.list("PersistentVolumeClaim");
  const groups = classes.map((sc) => {
    const mine = claims.filter((c) => c.storageClass === sc.name).sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
    return `<div class="class">${ref("StorageClass", sc.name, sc.name)}${sc.default ? " (default)" : ""}` +
      ` <span class="small">${esc(sc.provisioner)} · ${esc(sc.bindingMode)}</span>` +
      `<ul>${mine.map((c) => claimRow(store, c)).join("")}</ul></div>`;
  });
  const known = new Set(classes.map((c) => c.name));
  const other = claims.filter((c) => !known.has(c.storageClass));
  if (other.length) groups.push(`<div class="class">no class<ul>${other.map((c) => claimRow(store, c)).join("")}</ul></div>`);
  return groups.join("");
}

function leaseAge(c) {
  if (!c.lease) return "";
  return `<span class="small" title="its Lease was renewed this long ago">${age(c.lease.renewed)}</span>`;
}

export const VERBS = ["kill", "start", "pause", "resume", "partition", "heal"];

// A component is drawn as a chip (name, state, role, Lease age: what a lecture watches) and, when the page
// may act on it, a menu (a <details>: opened by click, Enter or Space) with its pid, health and the verbs.
// The chip's parts are filled in by componentInfo and componentDetail on every change; the shell (and so
// an open menu and the keyboard focus in it) stays (app.js, drawComponents).
export function componentShell(c) {
  const name = esc(c.name);
  const menu = c.actions ? `<details class="menu"><summary aria-label="actions on ${name}" title="actions on ${name}">` +
    `<span aria-hidden="true">⋯</span></summary><div class="verbs" role="group" aria-label="actions on ${name}">` +
    `<p class="detail"></p>` + VERBS.map((v) => `<button class="verb" data-verb="${v}" data-name="${name}"` +
      ` aria-label="${v} ${name}">${v}</button>`).join("") + `</div></details>` : "";
  return `<div class="component" data-component="${name}" data-actions="${c.actions}"><span class="info"></span>${menu}</div>`;
}

export function componentInfo(c) {
  const role = c.role === "leader" ? `<span class="role" data-role="leader" title="leader">♛</span>`
    : c.role && c.role !== "-" ? `<span class="role" data-role="${esc(c.role)}" title="${esc(c.role)}">♙</span>` : "";
  const health = c.health && c.health !== "SERVING" && c.health !== "-" ? ` ${badge(c.health, "health")}` : "";
  return `<b>${esc(c.name)}</b> ${badge(c.state)}${health} ${role}${leaseAge(c)}`;
}

export function componentDetail(c) {
  return `pid ${c.pid ?? "-"} · health ${esc(c.health)}${c.role && c.role !== "-" ? ` · ${esc(c.role)}` : ""}`;
}

function eventText(e) {
  const o = e.object;
  return `${o.kind.toLowerCase()}/${o.name} ${o.namespace} ${e.reason} ${e.message}`.toLowerCase();
}

// A timeline line (a "Change" view, services/ui/timeline.py): `kubelab timeline`'s object changes and the
// launcher's component lines.
function changeText(c) {
  return `${c.kind.toLowerCase()}/${c.name} ${c.namespace} ${c.actor} ${c.what}`.toLowerCase();
}

function eventLine(e) {
  const o = e.object;
  const key = o.namespace ? `${o.namespace}/${o.name}` : o.name;
  const icon = e.type === "Warning" ? "⚠" : "ℹ";
  return `<li class="event" data-type="${esc(e.type)}"><span class="etype">${icon} ${esc(e.type)}</span>` +
    `<span class="small">${age(e.time)}</span> ${ref(o.kind, key, `${o.kind.toLowerCase()}/${o.name}`)}` +
    ` <b>${esc(e.reason)}</b> ${esc(e.message)}${e.count > 1 ? ` <span class="small">×${e.count}</span>` : ""}</li>`;
}

function changeLine(c) {
  const key = c.namespace ? `${c.namespace}/${c.name}` : c.name;
  const label = `${c.kind.toLowerCase()}/${c.name}`;
  const component = c.kind === "Component";
  const what = component ? `<span class="name">${esc(label)}</span>` : ref(c.kind, key, label);
  return `<li class="change" data-kind="${esc(c.kind)}" data-key="${esc(key)}">` +
    `<span class="etype">${component ? "⚙ process" : "◆ change"}</span><span class="small">${age(c.time)}</span>` +
    ` ${what} <b>${esc(c.what)}</b> <span class="small">by ${esc(c.actor)}</span></li>`;
}

// Events and timeline lines in one strip, newest first, both filtered by the same text (object, reason, words).
export function renderEvents(store, filter) {
  const f = filter.trim().toLowerCase();
  const lines = [
    ...store.list("Event").filter((e) => !f || eventText(e).includes(f)).map((e) => [e.time || 0, eventLine, e]),
    ...store.list("Change").filter((c) => !f || changeText(c).includes(f)).map((c) => [c.time || 0, changeLine, c]),
  ];
  return lines.sort((a, b) => b[0] - a[0]).slice(0, 200).map(([, line, v]) => line(v)).join("");
}

export function renderDetail(events) {
  const rows = events.map((e) => `<tr><td>${esc(e.type)}</td><td>${esc(e.reason)}</td><td>${age(e.time)}</td>` +
    `<td>${esc(e.source)}</td><td>${esc(e.message)}</td></tr>`).join("");
  return `<thead><tr><th>Type</th><th>Reason</th><th>Age</th><th>From</th><th>Message</th></tr></thead>` +
    `<tbody>${rows || "<tr><td colspan=5>no events</td></tr>"}</tbody>`;
}

// Each Service with its type, ClusterIP and ready endpoints over all (from its EndpointSlices).
export function renderServices(store) {
  const slices = store.list("EndpointSlice");
  return store.list("Service").sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1)).map((svc) => {
    const mine = slices.filter((s) => s.namespace === svc.namespace && s.service === svc.name);
    const ready = mine.reduce((n, s) => n + s.ready, 0);
    const total = mine.reduce((n, s) => n + s.endpoints, 0);
    return `<li class="service" data-key="${esc(keyOf(svc))}" data-ready="${ready}">` +
      `${ref("Service", keyOf(svc), keyOf(svc))} <span class="small">${esc(svc.type)} ${esc(svc.clusterIP)}</span>` +
      ` ${badge(total && ready === total ? "Ready" : `${ready}/${total} ready`)}</li>`;
  }).join("");
}
