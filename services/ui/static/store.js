// The page's copy of the server's model (services/ui/model.py): views by kind and key, kept from the
// SSE stream's snapshot and batches. Pure: no DOM here.

export const EVENTS_KEPT = 300;

export class Store {
  constructor() {
    this.kinds = new Map();
  }

  of(kind) {
    if (!this.kinds.has(kind)) this.kinds.set(kind, new Map());
    return this.kinds.get(kind);
  }

  list(kind) {
    return [...this.of(kind).values()];
  }

  get(kind, key) {
    return this.of(kind).get(key);
  }

  // A message from /events; returns the keys ("Kind:key") it changed.
  apply(message) {
    if (message.type === "snapshot") {
      this.kinds.clear();
      for (const [kind, views] of Object.entries(message.objects)) {
        this.kinds.set(kind, new Map(Object.entries(views)));
      }
      return ["*"];
    }
    const changed = [];
    for (const op of message.ops) {
      if (op.op === "put") this.of(op.kind).set(op.key, op.view);
      else this.of(op.kind).delete(op.key);
      changed.push(`${op.kind}:${op.key}`);
    }
    this.trimEvents();
    return changed;
  }

  // Keep the newest events only: hours of churn must not grow the page.
  trimEvents() {
    const events = this.of("Event");
    if (events.size <= EVENTS_KEPT) return;
    const oldest = [...events.entries()].sort((a, b) => (a[1].time || 0) - (b[1].time || 0));
    for (const [key] of oldest.slice(0, events.size - EVENTS_KEPT)) events.delete(key);
  }
}
