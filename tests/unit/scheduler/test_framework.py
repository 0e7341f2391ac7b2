"""The framework runner: Status codes, the order plugins run in, what errors say."""
from services.scheduler.framework import (SKIP, SUCCESS, ActionType, ClusterEvent, Code, CycleState, Framework,
                                          Status, default_normalize_score)
from tests.unit.scheduler.builders import node, node_info, pod


class Plugin:
    def __init__(self, name, pre=SUCCESS, flt=SUCCESS, pre_bind=None, bind=None):
        self.name, self._pre, self._flt, self._pre_bind, self._bind = name, pre, flt, pre_bind, bind
        self.calls = []

    def pre_filter(self, state, p):
        self.calls.append("pre_filter")
        return self._pre

    def filter(self, state, p, n):
        self.calls.append("filter")
        return self._flt

    async def pre_bind(self, state, p, n):
        return self._pre_bind or SUCCESS

    async def bind(self, state, p, n):
        self.calls.append("bind")
        return self._bind or SUCCESS


def test_status_codes():
    assert SUCCESS.success and not SUCCESS.rejected
    assert Status.unschedulable("a", "b").message == "a, b" and Status.unschedulable().rejected
    assert Status.unresolvable("x").code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert not Status.error("boom").rejected and SKIP.code == Code.SKIP
    assert {c.name for c in Code} == {"SUCCESS", "ERROR", "UNSCHEDULABLE", "UNSCHEDULABLE_AND_UNRESOLVABLE", "WAIT",
                                      "SKIP"}


def test_prefilter_skip_removes_the_plugins_filter_and_first_rejection_wins():
    a, b, c = Plugin("A", pre=SKIP), Plugin("B", flt=Status.unresolvable("no")), Plugin("C")
    fwk, state = Framework([a, b, c]), CycleState()
    assert fwk.run_pre_filter(state, pod("p")).success
    st = fwk.run_filters(fwk.filters_for(state), state, pod("p"), node_info(node("n")))
    assert (st.plugin, st.reasons) == ("B", ("no",))
    assert a.calls == ["pre_filter"] and c.calls == ["pre_filter"]


def test_prefilter_rejection_and_error():
    fwk = Framework([Plugin("A", pre=Status.unresolvable("nope")), Plugin("B")])
    st = fwk.run_pre_filter(CycleState(), pod("p"))
    assert (st.plugin, st.message) == ("A", "nope")
    st = Framework([Plugin("A", pre=Status.error("broken"))]).run_pre_filter(CycleState(), pod("p"))
    assert st.code == Code.ERROR and st.message == 'running PreFilter plugin "A": broken'


async def test_prebind_and_bind_errors_name_the_plugin_and_bind_skips_pass_on():
    fwk = Framework([Plugin("V", pre_bind=Status.error("binding volumes: context deadline exceeded"))])
    st = await fwk.run_pre_bind(CycleState(), pod("p"), "n")
    assert st.message == 'running PreBind plugin "V": binding volumes: context deadline exceeded'
    first, second = Plugin("First", bind=SKIP), Plugin("Second")
    assert (await Framework([first, second]).run_bind(CycleState(), pod("p"), "n")).success
    assert first.calls == second.calls == ["bind"]


def test_normalize_and_events():
    scores = {"a": 5, "b": 10, "c": 0}
    default_normalize_score(scores)
    assert scores == {"a": 50, "b": 100, "c": 0}
    default_normalize_score(scores, reverse=True)
    assert scores == {"a": 50, "b": 0, "c": 100}
    registered = ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL)
    assert registered.matches(ClusterEvent("Node", ActionType.UPDATE_NODE_LABEL))
    assert not registered.matches(ClusterEvent("Node", ActionType.UPDATE_NODE_CONDITION))
    assert not registered.matches(ClusterEvent("Pod", ActionType.ADD))
