"""The election decisions (client-go tryAcquireOrRenew / isLeaseValid) on a fake clock, and the elector's
use of them over a client double."""
import grpc
import pytest

from kubelab.api.v1 import coordination_pb2
from kubelab.errors import ApiError
from kubelab.leaderelection import ElectionState, LeaderElectionConfig, LeaderElector, LeaseRecord
from kubelab.workqueue import FakeClock

CFG = LeaderElectionConfig()  # 15 s lease, 10 s renew deadline, 2 s retry
WALL = 1_700_000_000.0


def held_by(holder: str, renewed: float = WALL, transitions: int = 0) -> LeaseRecord:
    return LeaseRecord(holder, 15, WALL - 100, renewed, transitions)


def test_defaults_and_validation_messages():
    assert (CFG.lease_duration, CFG.renew_deadline, CFG.retry_period) == (15.0, 10.0, 2.0)
    CFG.validate()
    with pytest.raises(ValueError, match="^leaseDuration must be greater than renewDeadline$"):
        LeaderElectionConfig(10, 10, 2).validate()
    with pytest.raises(ValueError, match=r"^renewDeadline must be greater than retryPeriod\*JitterFactor$"):
        LeaderElectionConfig(15, 2.4, 2).validate()  # 2.4 == 2 * 1.2: not greater
    LeaderElectionConfig(3, 2, 0.5).validate()  # the short test settings are valid


def test_no_lease_creates_one():
    st = ElectionState("a", CFG)
    rec = st.decide(None, now=0, wall=WALL)
    assert rec == LeaseRecord("a", 15, WALL, WALL, 0)


def test_valid_lease_of_another_blocks_until_lease_duration_from_own_observation():
    clock = FakeClock(1000)
    st = ElectionState("b", CFG)
    # renewTime says "long ago" (another host's clock, or a paused leader): irrelevant.
    old = held_by("a", renewed=WALL - 3600, transitions=4)
    assert st.decide(old, clock(), WALL) is None
    clock.advance(14.9)
    assert st.decide(old, clock(), WALL) is None
    clock.advance(0.1)
    rec = st.decide(old, clock(), WALL + 15)
    assert rec.holder_identity == "b" and rec.lease_transitions == 5 and rec.acquire_time == WALL + 15


def test_renewal_seen_restarts_the_candidates_wait():
    clock = FakeClock(0)
    st = ElectionState("b", CFG)
    assert st.decide(held_by("a", WALL), clock(), WALL) is None
    clock.advance(10)
    assert st.decide(held_by("a", WALL + 10), clock(), WALL) is None  # renewed: a new observation
    clock.advance(10)
    assert st.decide(held_by("a", WALL + 10), clock(), WALL) is None  # 10 s since that one
    clock.advance(5)
    assert st.decide(held_by("a", WALL + 10), clock(), WALL).holder_identity == "b"


def test_released_lease_is_taken_at_once():
    st = ElectionState("b", CFG)
    released = LeaseRecord("", 1, WALL, WALL, 3)
    rec = st.decide(released, 0, WALL)
    assert rec.holder_identity == "b" and rec.lease_transitions == 4


def test_renewing_own_lease_keeps_acquire_time_and_transitions():
    clock = FakeClock(0)
    st = ElectionState("a", CFG)
    mine = LeaseRecord("a", 15, WALL - 50, WALL - 2, 7)
    rec = st.decide(mine, clock(), WALL)
    assert rec == LeaseRecord("a", 15, WALL - 50, WALL, 7)
    st.written(rec, started=0, now=0.01)
    fast = st.fast_renew(2.0, WALL + 2)
    assert fast == LeaseRecord("a", 15, WALL - 50, WALL + 2, 7)


def test_fast_renew_only_while_our_lease_is_valid():
    st = ElectionState("a", CFG)
    assert st.fast_renew(0, WALL) is None  # nothing observed
    st.written(LeaseRecord("a", 15, WALL, WALL, 0), started=0, now=0)
    assert st.fast_renew(14.9, WALL) is not None
    assert st.fast_renew(15, WALL) is None
    st.observe(held_by("b"), 16)
    assert st.fast_renew(16.5, WALL) is None


def test_leading_ends_at_renew_deadline_before_anyone_may_take_over():
    clock = FakeClock(0)
    leader, candidate = ElectionState("a", CFG), ElectionState("b", CFG)
    rec = leader.decide(None, clock(), WALL)
    started = clock()
    clock.advance(0.05)  # the write takes a while
    leader.written(rec, started, clock())
    assert candidate.decide(rec, clock(), WALL) is None  # candidate sees the write afterwards
    clock.advance(9.9)
    assert leader.leading(clock())
    clock.advance(0.05)
    assert not leader.leading(clock())  # 10 s after the renew started
    stopped = clock()
    clock.advance(100)  # SIGSTOP: the monotonic clock runs on
    assert not leader.leading(clock())
    took_over = candidate.decide(rec, 0.05 + 15, WALL)
    assert took_over is not None and stopped < 0.05 + 15


def test_resumed_leader_does_not_renew_a_lease_taken_over():
    leader = ElectionState("a", CFG)
    mine = LeaseRecord("a", 15, WALL, WALL, 0)
    leader.written(mine, 0, 0)
    # paused for 60 s; meanwhile b took the lease
    theirs = LeaseRecord("b", 15, WALL + 20, WALL + 58, 1)
    assert not leader.leading(60)
    assert leader.fast_renew(60, WALL + 60) is None
    assert leader.decide(theirs, 60, WALL + 60) is None
    assert not leader.holds() and not leader.leading(60)


def test_release_record_and_lease_round_trip():
    st = ElectionState("a", CFG)
    st.written(LeaseRecord("a", 15, WALL, WALL, 2), 0, 0)
    assert st.release_record(WALL + 1) == LeaseRecord("", 1, WALL + 1, WALL + 1, 2)
    lease = coordination_pb2.Lease()
    rec = LeaseRecord("a", 15, WALL + 0.123456, WALL + 1.5, 3)
    rec.apply_to(lease)
    assert lease.spec.renew_time.nanos == 500_000_000
    assert LeaseRecord.from_lease(lease) == rec


class SlowLeaseClient:
    """A client whose reads and writes of the Lease take the next of `delays` seconds each (an outage, a
    partition: the client retries or the request hangs), then 0."""

    def __init__(self, clock: FakeClock, delays: list[float], lease: coordination_pb2.Lease | None = None):
        self.clock, self.delays, self.lease = clock, list(delays), lease
        self.writes = 0

    def _take(self) -> None:
        self.clock.advance(self.delays.pop(0) if self.delays else 0.0)

    async def get(self, kind, name, namespace):
        self._take()
        if self.lease is None:
            raise ApiError(grpc.StatusCode.NOT_FOUND, "NotFound", f'leases.coordination.k8s.io "{name}" not found')
        out = coordination_pb2.Lease()
        out.CopyFrom(self.lease)
        return out

    async def create(self, lease):
        self._take()
        self.lease, self.writes = lease, self.writes + 1
        return lease

    update = create


def own_lease() -> coordination_pb2.Lease:
    lease = coordination_pb2.Lease()
    lease.metadata.name, lease.metadata.namespace = "c", "kube-system"
    LeaseRecord("a", 15, WALL, WALL, 0).apply_to(lease)
    return lease


@pytest.mark.parametrize("existing", [False, True])
async def test_a_lease_acquired_after_a_slow_read_is_not_already_overdue(existing):
    """The read waited 25 s for the API server to come back: the renew deadline starts at the write."""
    clock = FakeClock(100)
    client = SlowLeaseClient(clock, [25.0], own_lease() if existing else None)
    elector = LeaderElector(client, "c", identity="a", clock=clock, wall=lambda: WALL)
    assert await elector.try_acquire_or_renew()
    assert elector.state.leading(clock())
    clock.advance(CFG.renew_deadline - 0.1)
    assert elector.state.leading(clock())


async def test_an_acquisition_whose_write_hung_past_the_renew_deadline_renews_before_leading():
    """The write hung 12 s in a partition: leading on it would stop at once; it renews first instead."""
    clock = FakeClock(100)
    client = SlowLeaseClient(clock, [0.0, 12.0], None)
    elector = LeaderElector(client, "c", identity="a", clock=clock, wall=lambda: WALL)
    await elector._acquire()
    assert elector.is_leader() and client.writes == 2
    clock.advance(CFG.renew_deadline - 0.1)
    assert elector.is_leader()
