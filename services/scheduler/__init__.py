"""kube-scheduler, in kubelab's terms: binds pending pods to nodes through filter and score plugins
(k/k `pkg/scheduler`; docs/scheduler.md).

    python -m services.scheduler --apiserver HOST:PORT --listen HOST:PORT [--leader-elect] ...

    scheduler.py      the engine: one scheduling loop, a binding cycle per pod (schedule_one.go)
    algorithm.py      one pod's node: PreFilter, Filter, Score, select (schedulePod); pure
    framework.py      the extension points, Status and its codes, the plugin runner
    plugins/          one module per in-tree plugin, and the default profile (new_default_framework)
    queue.py          activeQ, backoffQ, unschedulable pods, requeue on cluster events
    eventhandlers.py  informer events -> cache, queue, cluster events
    cache.py          nodes and their pods, assumed pods included; nodeinfo.py what a node holds, in numbers
    volumecache.py    claims, volumes and classes with the scheduler's assumptions (assume_cache.go)
    volumebinder.py   volume binding's API side: write the decision, wait for the PV controller (binder.go)
    fiterror.py       why a pod fits nowhere, in kube-scheduler's words
    status.py         events, the PodScheduled condition, preemption's evictions
    config.py, metrics.py   flags; scheduler_* metrics
"""
