"""The local launcher: component registry, state dir, embedded Redis, processes and the partition proxy.

Modules, each one concept:

- `registry`: the one list of components (name, module, upstream, port, per node) and their commands;
- `state`: the state dir and its `cluster.json`;
- `ports`: free ports, so that clusters run side by side;
- `networks`: the pod and Service address ranges of the clusters on this machine, never shared;
- `procs`: spawning and signalling processes, identified by pid and start time;
- `specs`: argv and environment of each process of a local cluster;
- `redis_server`: the embedded Redis;
- `proxy` (a process) and `proxyctl` (its control): the TCP proxy behind `partition` and `heal`;
- `healthcheck`: gRPC health checks (also `python -m kubelab.cluster.healthcheck ADDR`);
- `h2health`: the same health check over a bare HTTP/2 socket, without grpcio (`kubelab ps`);
- `status`: the rows of `kubelab ps`;
- `logs`: following component logs;
- `bootstrap`: default objects of a new cluster;
- `kubeconfig`: `<state-dir>/kubeconfig`, for kubectl and client libraries;
- `nodes`: taking nodes out for `kubelab up --nodes N` (cordon, evict, delete the Node and Lease);
- `launcher`: `up`, `down` and the failure verbs;
- `journal`: what the launcher did to which process, when (read by `kubelab timeline`).

Import the submodules you need; this package imports nothing heavy, so that `python -m
kubelab.cluster.proxy` starts fast.
"""
