"""kube-apiserver, in kubelab's terms: the API over gRPC and Kubernetes' HTTP API, from Redis.

The only process that talks to Redis (``store.py``, ``watchcache.py``); every other component reads and
writes through it with ``kubelab.client``. Its errors, and the one mapping of what a request raised to the
API error it answers, are in ``errors.py``.
"""
