"""The garbage collector as a process (with the Deployment/ReplicaSet controllers where owners need them);
fixtures shared with tests/integration/replicaset."""
from tests.integration.replicaset.conftest import controllers, nodes, ns  # noqa: F401  (fixtures)
