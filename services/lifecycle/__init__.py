"""Object lifecycle controllers: the garbage collector (ownerReferences and propagation policies) and the
namespace controller (empties a terminating Namespace, then finalizes it).

    python -m services.lifecycle --apiserver HOST:PORT --listen HOST:PORT [--leader-elect] ...

    garbage_collector.py   plumbing: informers for every kind, handlers -> keys, reconcile(key), writes
    gc_decisions.py        the decisions (classify owners, delete/orphan/keep, blocking dependents), pure
    namespace.py           plumbing: lists and deletes the content of terminating namespaces, finalizes them
    namespace_decisions.py the decisions (what to delete, what remains, conditions, wait or finalize), pure

Not here yet (see docs/garbage-collection.md): the node lifecycle controller.
"""
