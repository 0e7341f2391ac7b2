"""NodeUnschedulable, NodeName, NodeAffinity and TaintToleration decisions, one node at a time."""
from kubelab.api.v1 import core_pb2
from services.scheduler.framework import Code, CycleState
from services.scheduler.plugins.node_affinity import NodeAffinity
from services.scheduler.plugins.node_name import NodeName
from services.scheduler.plugins.node_unschedulable import NodeUnschedulable
from services.scheduler.plugins.taint_toleration import TaintToleration
from tests.unit.scheduler.builders import node, node_info, pod


def run_filter(plugin, p, n):
    state = CycleState()
    if hasattr(plugin, "pre_filter"):
        st = plugin.pre_filter(state, p)
        if st.code == Code.SKIP:
            return st
    return plugin.filter(state, p, node_info(n))


def test_cordoned_node_rejects_pods_unless_they_tolerate_it():
    cordoned = node("n1", unschedulable=True)
    st = run_filter(NodeUnschedulable(), pod("p"), cordoned)
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, ("node(s) were unschedulable",))
    tolerant = pod("p", tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists",
                                      "effect": "NoSchedule"}])
    assert run_filter(NodeUnschedulable(), tolerant, cordoned).success
    assert run_filter(NodeUnschedulable(), pod("p"), node("n2")).success


def test_node_name_skips_pods_without_one_and_rejects_other_nodes():
    assert run_filter(NodeName(), pod("p"), node("n1")).code == Code.SKIP
    pinned = pod("p", node_name="n2")
    assert run_filter(NodeName(), pinned, node("n2")).success
    st = run_filter(NodeName(), pinned, node("n1"))
    assert st.reasons == ("node(s) didn't match the requested node name",)


def test_node_selector_must_match_every_label():
    p = pod("p", node_selector={"disk": "ssd", "zone": "a"})
    assert run_filter(NodeAffinity(), p, node("n1", labels={"disk": "ssd", "zone": "a"})).success
    st = run_filter(NodeAffinity(), p, node("n2", labels={"disk": "ssd"}))
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE,
                                     ("node(s) didn't match Pod's node affinity/selector",))
    assert run_filter(NodeAffinity(), pod("q"), node("n2")).code == Code.SKIP


def _affinity_pod(*terms: list[tuple[str, str, list[str]]], fields=()) -> core_pb2.Pod:
    p = pod("p")
    required = p.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution
    for exprs in terms:
        term = required.node_selector_terms.add()
        for key, op, values in exprs:
            term.match_expressions.add(key=key, operator=op, values=values)
        for key, op, values in fields:
            term.match_fields.add(key=key, operator=op, values=values)
    return p


def test_required_affinity_terms_are_ored_and_expressions_anded():
    p = _affinity_pod([("zone", "In", ["a", "b"]), ("gpu", "DoesNotExist", [])], [("zone", "In", ["c"])])
    fa = NodeAffinity()
    assert run_filter(fa, p, node("n1", labels={"zone": "b"})).success
    assert not run_filter(fa, p, node("n2", labels={"zone": "b", "gpu": "1"})).success
    assert run_filter(fa, p, node("n3", labels={"zone": "c", "gpu": "1"})).success
    assert not run_filter(fa, p, node("n4")).success


def test_affinity_operators_gt_lt_notin_exists_and_match_fields():
    fa = NodeAffinity()
    p = _affinity_pod([("cores", "Gt", ["4"]), ("cores", "Lt", ["16"]), ("arch", "NotIn", ["arm"]),
                       ("ssd", "Exists", [])])
    assert run_filter(fa, p, node("n1", labels={"cores": "8", "ssd": "x"})).success
    assert not run_filter(fa, p, node("n2", labels={"cores": "4", "ssd": "x"})).success
    assert not run_filter(fa, p, node("n3", labels={"cores": "8", "ssd": "x", "arch": "arm"})).success
    by_name = _affinity_pod([], fields=[("metadata.name", "In", ["n9"])])
    assert run_filter(fa, by_name, node("n9")).success
    assert not run_filter(fa, by_name, node("n1")).success


def test_preferred_affinity_scores_by_weight_normalized():
    p = pod("p")
    pref = p.spec.affinity.node_affinity.preferred_during_scheduling_ignored_during_execution
    t = pref.add(weight=30)
    t.preference.match_expressions.add(key="zone", operator="In", values=["a"])
    t = pref.add(weight=10)
    t.preference.match_expressions.add(key="ssd", operator="Exists")
    fa, state = NodeAffinity(), CycleState()
    nodes = [node_info(node("n1", labels={"zone": "a", "ssd": "1"})), node_info(node("n2", labels={"ssd": "1"})),
             node_info(node("n3"))]
    scores = {n.name: fa.score(state, p, n) for n in nodes}
    assert scores == {"n1": 40, "n2": 10, "n3": 0}
    fa.normalize(state, p, scores)
    assert scores == {"n1": 100, "n2": 25, "n3": 0}


def test_untolerated_noschedule_or_noexecute_taint_rejects():
    tt = TaintToleration()
    tainted = node("n1", taints=[("dedicated", "gpu", "NoSchedule")])
    st = run_filter(tt, pod("p"), tainted)
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, ("node(s) had untolerated taint(s)",))
    assert run_filter(tt, pod("p", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu"}]),
                      tainted).success
    assert not run_filter(tt, pod("p", tolerations=[{"key": "dedicated", "value": "cpu"}]), tainted).success
    assert run_filter(tt, pod("p", tolerations=[{"operator": "Exists"}]), tainted).success
    assert not run_filter(tt, pod("p", tolerations=[{"key": "dedicated", "operator": "Exists",
                                                     "effect": "NoExecute"}]), tainted).success
    assert run_filter(tt, pod("p"), node("n2", taints=[("x", "", "PreferNoSchedule")])).success


def test_prefer_no_schedule_taints_lower_the_score():
    tt, state, p = TaintToleration(), CycleState(), pod("p")
    nodes = [node_info(node("n1")), node_info(node("n2", taints=[("a", "", "PreferNoSchedule"),
                                                                 ("b", "", "PreferNoSchedule")])),
             node_info(node("n3", taints=[("a", "", "PreferNoSchedule")]))]
    assert tt.pre_score(state, p, nodes).success
    scores = {n.name: tt.score(state, p, n) for n in nodes}
    tt.normalize(state, p, scores)
    assert scores == {"n1": 100, "n2": 0, "n3": 50}
    assert tt.pre_score(state, p, nodes[:1]).code == Code.SKIP
