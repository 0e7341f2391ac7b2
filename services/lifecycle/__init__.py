"""Object lifecycle controllers: the garbage collector (ownerReferences and propagation policies).

    python -m services.lifecycle --apiserver HOST:PORT --listen HOST:PORT [--leader-elect] ...

    garbage_collector.py   plumbing: informers for every kind, handlers -> keys, reconcile(key), writes
    gc_decisions.py        the decisions (classify owners, delete/orphan/keep, blocking dependents), pure

Not here yet (see docs/garbage-collection.md): the namespace controller (the API server deletes a
Namespace at once instead of emptying it first) and the node lifecycle controller.
"""
