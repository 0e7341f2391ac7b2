"""Object lifecycle controllers: the garbage collector (ownerReferences and propagation policies), the
namespace controller (empties a terminating Namespace, then finalizes it), the node lifecycle and
taint-eviction controllers, and node IPAM.

    python -m services.lifecycle --apiserver HOST:PORT --listen HOST:PORT [--leader-elect] ...

    garbage_collector.py   plumbing: informers for every kind, handlers -> keys, reconcile(key), writes
    gc_decisions.py        the decisions (classify owners, delete/orphan/keep, blocking dependents), pure
    namespace.py           plumbing: lists and deletes the content of terminating namespaces, finalizes them
    namespace_decisions.py the decisions (what to delete, what remains, conditions, wait or finalize), pure
    node_lifecycle.py      plumbing: node heartbeats -> Unknown conditions, not-ready/unreachable taints,
                           pods marked not Ready; the taint-eviction controller
    node_lifecycle_decisions.py  the decisions (node health, desired taints, pod not ready, eviction), pure
    node_ipam.py           plumbing: a pod CIDR for every Node (--allocate-node-cidrs)
    node_ipam_decisions.py the decision (the lowest free block of the cluster CIDR), pure

Not here yet (see docs/garbage-collection.md): pod garbage collection (podgc).
"""
