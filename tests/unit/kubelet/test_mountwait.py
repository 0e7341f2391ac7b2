"""When a pod hears about the volumes it waits for (services/kubelet/mountwait.py)."""
from services.kubelet.mountwait import VOLUME_EVENT_INTERVAL, MountWait
from services.kubelet.volumes import VolumeProblem

UNATTACHED = VolumeProblem("data", "FailedMount", "not attached yet", unattached=True)
UNBOUND = VolumeProblem("conf", "FailedMount", 'persistentvolumeclaim "conf" is not bound')
TIMED_OUT = ("FailedMount", "Unable to attach or mount volumes: unmounted volumes=[data], unattached "
                            "volumes=[data]: timed out waiting for the condition")


def test_an_unattached_disk_is_reported_only_when_the_wait_times_out():
    wait = MountWait(timeout=120.0)
    assert wait.events([UNATTACHED], 0.0) == []
    assert wait.events([UNATTACHED], 119.0) == []
    assert wait.events([UNATTACHED], 120.0) == [TIMED_OUT]
    assert wait.events([UNATTACHED], 130.0) == []  # a new wait began
    assert wait.events([UNATTACHED], 240.0) == [TIMED_OUT]


def test_other_problems_are_reported_at_once_and_the_wait_restarts_once_all_is_mounted():
    wait = MountWait(timeout=120.0)
    assert wait.events([UNATTACHED, UNBOUND], 0.0) == [("FailedMount", UNBOUND.message)]
    assert wait.events([UNATTACHED, UNBOUND], VOLUME_EVENT_INTERVAL - 1) == []
    assert wait.events([UNATTACHED, UNBOUND], VOLUME_EVENT_INTERVAL) == [("FailedMount", UNBOUND.message)]
    assert wait.events([], 100.0) == []
    assert wait.events([UNATTACHED], 130.0) == []
    assert wait.events([UNATTACHED], 250.0) == [TIMED_OUT]
