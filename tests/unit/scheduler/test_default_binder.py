"""DefaultBinder over a client double: a bind whose answer was lost meets its own binding when retried."""
import grpc
import pytest

from kubelab.errors import ApiError
from services.scheduler.framework import CycleState
from services.scheduler.plugins.default_binder import DefaultBinder
from tests.unit.scheduler.builders import pod


class BoundAlready:
    """The API as a retried bind finds it: the pod is bound to `node` (under `uid`)."""

    def __init__(self, node: str, uid: str = "uid-web-0"):
        self.node, self.uid = node, uid

    async def bind(self, namespace, name, node_name, uid):
        raise ApiError(grpc.StatusCode.ABORTED, "Conflict", f'Operation cannot be fulfilled on pods/binding "{name}": '
                       f'pod {name} is already assigned to node "{self.node}"')

    async def get(self, kind, name, namespace):
        return pod(name, uid=self.uid, node_name=self.node)


@pytest.mark.parametrize("client, success", [
    (BoundAlready("node-1"), True),  # our own binding, stored before its answer was lost
    (BoundAlready("node-2"), False),  # someone else's
    (BoundAlready("node-1", uid="uid-other"), False),  # another pod of that name
])
async def test_a_conflict_is_success_when_the_pod_is_bound_where_we_chose(client, success):
    status = await DefaultBinder(client).bind(CycleState(), pod("web-0"), "node-1")
    assert status.success == success
    if not success:
        assert "already assigned" in status.message
