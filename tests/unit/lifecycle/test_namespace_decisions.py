"""The namespace controller's decisions: what to delete, what remains, the conditions, wait or finalize."""
from __future__ import annotations

from kubelab.api import registry
from kubelab.api.v1 import apps_pb2, core_pb2
from services.lifecycle import namespace_decisions as nsd

PODS, DEPLOYMENTS, PVCS = (registry.by_kind(k) for k in ("Pod", "Deployment", "PersistentVolumeClaim"))


def pod(name="p", grace=None, phase="Running", deleting=False, finalizers=()) -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace = name, "ns"
    p.metadata.finalizers.extend(finalizers)
    if grace is not None:
        p.spec.termination_grace_period_seconds = grace
    p.status.phase = phase
    if deleting:
        p.metadata.deletion_timestamp.FromSeconds(1)
    return p


def namespace(deleting=True, finalizers=("kubernetes",)) -> core_pb2.Namespace:
    ns = core_pb2.Namespace()
    ns.metadata.name = "ns"
    ns.spec.finalizers.extend(finalizers)
    if deleting:
        ns.metadata.deletion_timestamp.FromSeconds(1)
        ns.status.phase = "Terminating"
    return ns


def conditions(ns) -> dict[str, tuple[str, str, str]]:
    return {c.type: (c.status, c.reason, c.message) for c in ns.status.conditions}


def test_only_a_terminating_namespace_with_our_finalizer_is_emptied():
    assert not nsd.terminating(None) and not nsd.terminating(namespace(deleting=False))
    assert nsd.terminating(namespace()) and not nsd.finalized(namespace())
    assert nsd.finalized(namespace(finalizers=("example.com/other",)))


def test_objects_already_being_deleted_are_not_deleted_again():
    assert [p.metadata.name for p in nsd.to_delete([pod("a"), pod("b", deleting=True)])] == ["a"]


def test_estimate_is_the_longest_grace_of_running_pods():
    assert nsd.estimate(PODS, [pod(grace=5), pod(grace=10), pod(grace=60, phase="Succeeded")]) == 10
    assert nsd.estimate(PODS, [pod()]) == nsd.DEFAULT_GRACE
    assert nsd.estimate(DEPLOYMENTS, [apps_pb2.Deployment()]) == 0
    assert nsd.estimate(PODS, []) == 0


def test_nothing_left_finalizes():
    rem = nsd.remaining([nsd.Listed(PODS, (), estimate=30), nsd.Listed(DEPLOYMENTS)])
    assert rem.empty and nsd.requeue_after(rem) is None


def test_terminating_pods_wait_half_their_grace():
    rem = nsd.remaining([nsd.Listed(PODS, (pod("a", deleting=True), pod("b", deleting=True)), estimate=30)])
    assert rem.by_resource == {"pods.": 2} and nsd.requeue_after(rem) == 16


def test_finalizers_wait_the_finalizer_estimate():
    claim = core_pb2.PersistentVolumeClaim()
    claim.metadata.finalizers.append("kubernetes.io/pvc-protection")
    rem = nsd.remaining([nsd.Listed(PVCS, (claim,))])
    assert rem.by_finalizer == {"kubernetes.io/pvc-protection": 1}
    assert nsd.requeue_after(rem) == nsd.FINALIZER_ESTIMATE / 2 + 1


def test_leftovers_without_a_reason_or_errors_retry_with_backoff():
    assert nsd.requeue_after(nsd.remaining([nsd.Listed(DEPLOYMENTS, (apps_pb2.Deployment(),))])) == 0
    assert nsd.requeue_after(nsd.remaining([nsd.Listed(PODS, error="unable to list pods: boom")])) == 0


def test_conditions_read_like_kubernetes():
    rem = nsd.remaining([nsd.Listed(PODS, (pod("a", finalizers=["x/y"]), pod("b")), estimate=5),
                         nsd.Listed(DEPLOYMENTS, (apps_pb2.Deployment(),), error="unable to delete deployments.apps "
                                                                                 "web: boom")])
    ns = nsd.with_conditions(namespace(), nsd.new_conditions(rem, now=100.0))
    got = conditions(ns)
    assert [c.type for c in ns.status.conditions] == list(nsd.CONDITION_TYPES)
    assert got["NamespaceDeletionDiscoveryFailure"] == ("False", "ResourcesDiscovered",
                                                        "All resources successfully discovered")
    assert got["NamespaceContentRemaining"] == (
        "True", "SomeResourcesRemain",
        "Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances")
    assert got["NamespaceFinalizersRemaining"] == (
        "True", "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: x/y in 1 resource "
                                        "instances")
    assert got["NamespaceDeletionContentFailure"] == (
        "True", "ContentDeletionFailed", "Failed to delete all resource types, 1 remaining: unable to delete "
                                         "deployments.apps web: boom")


def test_conditions_are_written_only_when_more_than_their_time_changes():
    rem = nsd.remaining([nsd.Listed(PODS, (pod(),), estimate=30)])
    ns = nsd.with_conditions(namespace(), nsd.new_conditions(rem, now=1.0))
    assert nsd.with_conditions(ns, nsd.new_conditions(rem, now=2.0)) is None
    done = nsd.with_conditions(ns, nsd.new_conditions(nsd.remaining([]), now=3.0))
    assert conditions(done)["NamespaceContentRemaining"] == ("False", "ContentRemoved",
                                                             "All content successfully removed")
    assert len(done.status.conditions) == 5


def test_finalize_removes_only_our_finalizer():
    ns = namespace(finalizers=("example.com/other", "kubernetes"))
    assert list(nsd.without_finalizer(ns).spec.finalizers) == ["example.com/other"]
    assert list(ns.spec.finalizers) == ["example.com/other", "kubernetes"]  # the cached copy is untouched
