"""NodeResourcesFit (cpu, memory, pods against allocatable minus bound and assumed pods), its
LeastAllocated score, and NodeResourcesBalancedAllocation."""
from services.scheduler.framework import Code, CycleState
from services.scheduler.nodeinfo import DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, pod_requests
from services.scheduler.plugins.balanced_allocation import BalancedAllocation, balanced_score
from services.scheduler.plugins.node_resources_fit import NodeResourcesFit, least_requested_score
from tests.unit.scheduler.builders import node, node_info, pod


def fit(p, ni):
    return NodeResourcesFit().filter(CycleState(), p, ni)


def test_requests_fit_what_bound_pods_leave():
    ni = node_info(node("n1", cpu="2", memory="4Gi"), pod("a", "1500m", "1Gi"))
    assert fit(pod("p", "500m", "3Gi"), ni).success
    st = fit(pod("p", "501m", "3Gi"), ni)
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE, ("Insufficient cpu",))
    st = fit(pod("p", "1", "4Gi"), ni)
    assert st.reasons == ("Insufficient cpu", "Insufficient memory")


def test_pod_count_limit():
    ni = node_info(node("n1", pods="2"), pod("a"), pod("b"))
    assert fit(pod("p"), ni).reasons == ("Too many pods",)


def test_pods_without_requests_always_fit_cpu_and_memory():
    ni = node_info(node("n1", cpu="1", memory="1Gi"), pod("a", "1", "1Gi"))
    assert fit(pod("p"), ni).success


def test_assumed_pods_count_like_bound_ones():
    from services.scheduler.cache import SchedulerCache
    from services.scheduler.nodeinfo import new_pod_info
    cache = SchedulerCache()
    cache.set_node(node("n1", cpu="1"))
    cache.assume_pod(new_pod_info(pod("a", "800m")), "n1")
    assert fit(pod("p", "300m"), cache.nodes["n1"]).reasons == ("Insufficient cpu",)


def test_requests_sum_containers_and_take_the_largest_init_container():
    p = pod("p", "100m", "100Mi")
    c = p.spec.containers.add(name="d")
    c.resources.requests["cpu"] = "200m"
    init = p.spec.init_containers.add(name="init")
    init.resources.requests["cpu"] = "1"
    sidecar = p.spec.init_containers.add(name="sidecar", restart_policy="Always")
    sidecar.resources.requests["memory"] = "50Mi"
    cpu, mem, ncpu, nmem = pod_requests(p)
    assert cpu == 1000 and mem == (150 << 20)
    # Non-zero: d counts 200Mi of memory by default, the sidecar 100m of cpu; the init container
    # (1 cpu, running before the sidecar starts) still needs more cpu than everything else.
    assert ncpu == 1000 and nmem == (100 << 20) + DEFAULT_MEMORY_REQUEST + (50 << 20)


def test_empty_pod_counts_default_requests_for_scoring():
    assert pod_requests(pod("p")) == (0, 0, DEFAULT_MILLI_CPU_REQUEST, DEFAULT_MEMORY_REQUEST)


def test_least_allocated_prefers_emptier_nodes():
    assert least_requested_score(1000, 4000) == 75
    assert least_requested_score(5000, 4000) == 0
    assert least_requested_score(1, 0) == 0
    p = pod("p", "1", "1Gi")
    empty = node_info(node("n1", cpu="4", memory="4Gi"))
    busy = node_info(node("n2", cpu="4", memory="4Gi"), pod("a", "2", "2Gi"))
    f = NodeResourcesFit()
    assert f.score(CycleState(), p, empty) == 75
    assert f.score(CycleState(), p, busy) == 25


def test_balanced_allocation_prefers_equal_cpu_and_memory_shares():
    assert balanced_score([(2, 4), (2, 4)]) == 100
    assert balanced_score([(4, 4), (0, 4)]) == 50
    assert balanced_score([(1, 4)]) == 100
    b = BalancedAllocation()
    p = pod("p", "1", "1Gi")
    even = node_info(node("n1", cpu="4", memory="4Gi"), pod("a", "1", "1Gi"))
    skewed = node_info(node("n2", cpu="4", memory="4Gi"), pod("a", "3"))
    assert b.score(CycleState(), p, even) > b.score(CycleState(), p, skewed)
