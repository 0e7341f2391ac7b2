"""The StatefulSet controller: stable identities, ordered bring-up, a claim per pod, revisions and updates.

    python -m services.statefulset --apiserver HOST:PORT --listen HOST:PORT [--leader-elect] [--workers N]

Split as Kubernetes splits it (pkg/controller/statefulset):

    stateful_set.py      plumbing: handlers -> keys, reconcile(key): snapshot, adoption, revisions, writes
    control.py           the decision over a snapshot (+ control_claims.py): a Plan of actions and a status
    actions.py           the Plan's vocabulary
    pod_control.py       effects on pods and claims, events
    history.py           ControllerRevisions, pure; history_control.py their writes
    status.py            status counts, pure; status_updater.py the write
    retention.py         persistentVolumeClaimRetentionPolicy as ownerReferences, pure
    ref_manager.py       which pods the set claims (selector and name), on kubelab.controller_ref_manager
    utils.py             names, ordinals, labels, identity, storage, health, new pods
"""
