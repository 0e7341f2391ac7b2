"""kubelab drain's choice of pods, with kubectl's messages (pkg/drain/filters.go)."""
from kubelab.cli.cmd.drain import pods_for_deletion
from tests.unit.scheduler.builders import pod


def owned(name, kind="ReplicaSet", **kw):
    p = pod(name, **kw)
    p.metadata.owner_references.add(kind=kind, name="owner", uid="u", controller=True)
    return p


def names(plan):
    return [p.metadata.name for p in plan.delete]


def test_managed_pods_are_evicted_mirror_pods_skipped():
    mirror = pod("static")
    mirror.metadata.annotations["kubernetes.io/config.mirror"] = "x"
    plan = pods_for_deletion([owned("web"), mirror])
    assert names(plan) == ["web"] and not plan.errors and not plan.warnings


def test_unmanaged_pods_need_force():
    plan = pods_for_deletion([pod("x"), owned("web")])
    assert plan.error_text() == "cannot delete Pods declare no controller (use --force to override): default/x"
    plan = pods_for_deletion([pod("x")], force=True)
    assert names(plan) == ["x"] and plan.warning_text() == "deleting Pods that declare no controller: default/x"


def test_daemonset_pods_need_ignore_daemonsets_and_stay():
    ds = owned("agent", kind="DaemonSet")
    assert pods_for_deletion([ds]).error_text() == (
        "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/agent")
    plan = pods_for_deletion([ds], ignore_daemonsets=True)
    assert names(plan) == [] and plan.warning_text() == "ignoring DaemonSet-managed Pods: default/agent"


def test_emptydir_data_needs_delete_emptydir_data():
    p = owned("cache")
    p.spec.volumes.add(name="tmp").empty_dir.medium = ""
    assert pods_for_deletion([p]).error_text() == (
        "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache")
    assert names(pods_for_deletion([p], delete_emptydir=True)) == ["cache"]


def test_finished_pods_go_whatever_they_are():
    done = pod("job")
    done.status.phase = "Succeeded"
    assert names(pods_for_deletion([done])) == ["job"]


def test_several_errors_are_aggregated_like_kubectl():
    ds = owned("agent", kind="DaemonSet")
    assert pods_for_deletion([ds, pod("x"), pod("y")]).error_text() == (
        "[cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/agent, "
        "cannot delete Pods declare no controller (use --force to override): default/x, default/y]")
