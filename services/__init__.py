"""The components: one package per process, each run as `python -m services.<name>` (kubelab/cluster/registry.py
lists them for `kubelab up` and docker compose). A service imports the library `kubelab`, never another
service: they meet only through the API server's objects (`.importlinter`). docs/architecture.md follows one
StatefulSet through all of them; each package's docstring maps its files.

    apiserver    kube-apiserver: the API over gRPC and HTTP, validation, admission, Redis, the watch cache
    statefulset  the StatefulSet controller
    replicaset   the Deployment and ReplicaSet controllers
    provisioner  the PV controller (binder), dynamic provisioners, attach/detach, protection finalizers
    scheduler    kube-scheduler: filter and score plugins, volume binding, binding
    kubelet      the node agent (one per node): pods, their network, volumes, containers, probes, status
    endpoints    the EndpointSlice and Endpoints controllers
    dns          cluster DNS (CoreDNS's kubernetes plugin)
    proxy        kube-proxy: Service ClusterIPs to endpoints (nftables, or a userspace relay)
    lifecycle    the garbage collector, namespace, node lifecycle, taint eviction and node IPAM controllers
    ui           the live web view, with the failure verbs
"""
