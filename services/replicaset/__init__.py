"""The Deployment and ReplicaSet controllers (kube-controller-manager's `deployment` and `replicaset`).

    python -m services.replicaset --apiserver HOST:PORT --listen HOST:PORT [--leader-elect] ...

Split as Kubernetes splits them (pkg/controller/replicaset, pkg/controller/deployment):

ReplicaSet
    replica_set.py          plumbing: handlers -> keys, expectations, reconcile(key), adoption, status write
    replica_set_control.py  the decision: how many to create or which to delete; the status, pure
    ranking.py              the scale-down order (ActivePodsWithRanks), pure
    pod_control.py          effects on pods (slow-start creates, deletes) and their events
Deployment
    deployment.py           plumbing: handlers -> keys, adoption of ReplicaSets, reconcile(key)
    deployment_control.py   the decision over a snapshot: a Plan of actions (actions.py)
    rollout.py              the Snapshot, and the Rollout every step changes (copies, actions so far)
    deployment_sync.py      new/old ReplicaSets, revisions, proportional scaling, history cleanup
    rolling.py, recreate.py the two strategies
    progress.py             the Progressing condition and the progress deadline
    deployment_effects.py   carries out a Plan, with ScalingReplicaSet events
Shared, pure
    deployment_util.py      maxSurge/maxUnavailable rounding, ReplicaSet orders, sizes, proportions
    conditions.py           Deployment status and conditions
    annotations.py          revision and sizing annotations
    hashing.py              pod-template-hash
    podutil.py              pod readiness/availability, ownerReferences
"""
