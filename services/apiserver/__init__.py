"""kube-apiserver, in kubelab's terms: the API over gRPC and Kubernetes' HTTP API, from Redis.

The only process that talks to Redis (``store.py``, ``watchcache.py``); every other component reads and
writes through it with ``kubelab.client``. Its errors, and the one mapping of what a request raised to the
API error it answers, are in ``errors.py``. docs/apiserver.md describes the process, its flags and health.

The files, from the process down to the storage:

- ``__main__.py``: the process, on every process's skeleton (``kubelab.skeleton``: gRPC server, SIGTERM,
  logs, metrics): its ``setup`` adds the Redis store, watch cache, ApiServer service, HTTP API, health.
- ``workers.py``: ``--workers N``: the other API server processes behind the same address (SO_REUSEPORT),
  started, restarted and stopped by the first.
- ``config.py``: its flags, KUBELAB_* environment fallbacks (``kubelab.config.new_config``) and checks.
- ``metrics.py``: its Prometheus numbers (objects per kind, the cache's revision).
- ``servicer.py``: the gRPC ApiServer service: decode, one call into ``Resources``, encode; List and Watch
  answer with bytes joined by ``wire.py`` from the watch cache's ready-made objects.
- ``wire.py``: the protobuf wire form of ListResponse, WatchEvent and WatchEventBatch, written by hand.
- ``http/``: Kubernetes' HTTP API (kubectl, client libraries) over the same ``Resources``.
- ``resources.py``: the verbs (create, get, list, update, patch, delete, bind) for every kind: the
  generic registry store.
- ``strategy.py``, ``defaults.py``, ``admission.py``, ``validation/``: what a write goes through:
  per-kind REST strategy, defaulting, admission, validation.
- ``specmemo.py``: the bounded memory of per-spec answers (a pod spec's validation, a Pod's defaults).
- ``serviceregistry.py``, ``serviceallocator.py``, ``ipallocator.py``: Services' ClusterIPs and NodePorts.
- ``bootstrap.py``: what exists from the start (system namespaces, ``default/kubernetes``, kube-dns's
  Service).
- ``watchcache.py``, ``cached.py``, ``filters.py``: the cache of every object and of recent changes that
  List and Watch are served from, and the selectors applied to it.
- ``store.py``: the Redis layout: objects, one global revision, the change stream.
- ``errors.py``: the API errors and ``to_api_error``.
"""
