"""The EndpointSlice controller and the legacy Endpoints controller, one process (as both run inside
kube-controller-manager).

    python -m services.endpoints --apiserver HOST:PORT --listen HOST:PORT [--leader-elect] ...

    endpointslice.py        plumbing: handlers -> Service keys, reconcile(key): snapshot, plan, write
    slice_decisions.py      the decision (reconciler.go): slices to create, update, delete; pure
    slice_endpoints.py      one pod's endpoint and ports, new slices, labels, ownership; pure
    slice_writer.py         the effects: slice writes, failures in upstream's words
    endpoints.py            plumbing of the Endpoints controller, its deletes and leftover check
    endpoints_decisions.py  its decision: subsets, RepackSubsets, sorting, the 1000 cap; pure
    membership.py           which Services a pod or node concerns; a Service's pods
    utils.py                shared rules: which pods, hostname, FindPort, address families; pure
    trigger_time.py         the last-change-trigger-time annotation
    tracker.py              expectations for our own writes (no duplicate slices from a lagging cache)
"""
