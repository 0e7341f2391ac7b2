"""The Kubernetes HTTP API, served by the API server beside gRPC (kube-apiserver's REST front).

A thin adapter: each handler decodes a request, makes one call into the same ``Resources`` (validation,
defaults, store) and ``WatchCache`` the gRPC servicer uses, and encodes the answer as Kubernetes JSON.

    server     the listener, started and stopped with the gRPC server (--http-listen)
    app        the routes and the resources' handlers (CRUD, subresources, PATCH)
    documents  /version, discovery and OpenAPI handlers
    responses  JSON answers, Warning headers, errors as Status (middleware), request bodies
    paths      /api/v1/..., /apis/<group>/<version>/... to (kind, namespace, name, subresource)
    status     ApiError -> metav1.Status with its HTTP code (the one mapping)
    discovery  /version, /api, /apis, APIResourceLists, aggregated discovery
    openapi    OpenAPI v3 generated from the proto messages
    tables     server-side Table printing, from kubelab.printers' columns
    watch      watch as newline-delimited JSON
    patches    PATCH bodies by Content-Type (merge, JSON, strategic, apply) and their field validation
    scale      the autoscaling/v1 Scale subresource
    podproxy   pods/log and pods/exec, proxied to the node's kubelet
    objects    request bodies to messages, messages to JSON (cached per revision), list pages
"""
