"""Seeing what happened in a cluster: the timeline, the recorded history and its invariants, chaos.

Modules, each one concept:

- `entries`: one timeline line (time, actor, object, what) and its rendering;
- `changes`: pure functions from objects (Kubernetes JSON dicts) to timeline entries: what an object's
  timestamps and conditions say happened (`past`), and what changed between two versions (`diff`);
- `timeline`: gathers Events, objects and the launcher's journal into one sorted view, and follows it;
- `history`: the `kubelab record` file: a full watch history, written and read as JSON lines;
- `recorder`: `kubelab record` itself: a list and a watch per kind into that file;
- `invariants`: the pure checker behind `kubelab check`;
- `chaos`: seeded fault schedules and running them through the launcher.

Objects are handled as Kubernetes JSON (`kubelab.manifest.to_dict`), so that the checker and the
change detection are pure functions a unit test can feed hand-made histories.
"""
