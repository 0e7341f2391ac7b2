"""The Kubernetes HTTP API, served by the API server beside gRPC (kube-apiserver's REST front).

A thin adapter: each handler decodes a request, makes one call into the same ``Resources`` (validation,
defaults, store) and ``WatchCache`` the gRPC servicer uses, and encodes the answer as Kubernetes JSON.

    app        the aiohttp application: routes, content negotiation, errors as Status
    paths      /api/v1/..., /apis/<group>/<version>/... to (kind, namespace, name, subresource)
    status     ApiError -> metav1.Status with its HTTP code (the one mapping)
    discovery  /version, /api, /apis, APIResourceLists
    tables     server-side Table printing, from kubelab.cli.printers' columns
    watch      watch as newline-delimited JSON
    objects    request bodies to messages, messages to JSON, list pages
"""
