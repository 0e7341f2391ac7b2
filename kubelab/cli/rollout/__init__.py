"""What `kubelab rollout` knows per kind (kubectl's polymorphichelpers: StatusViewer, HistoryViewer,
Rollbacker): KINDS maps each kind to its module, literally.

Such a module provides `status(obj) -> (message, done)` (raising CliError when the kind's strategy has no
rollout status), `async history(ctx, obj, revision) -> str` and `async undo(ctx, obj, to_revision) -> str`;
the verbs themselves are kubelab.cli.cmd.rollout.

- deployment: Deployments (their history is their ReplicaSets), and pause and resume;
- statefulset: StatefulSets (their history is their ControllerRevisions).
"""

from __future__ import annotations

from types import ModuleType

from kubelab.cli.rollout import deployment, statefulset

__all__ = ["KINDS"]

KINDS: dict[str, ModuleType] = {"Deployment": deployment, "StatefulSet": statefulset}
