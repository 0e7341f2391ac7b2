"""The node agent: one process per node (`python -m services.kubelet`), see docs/kubelet.md.

The process and the node
    app           the process: the skeleton plus the logs/exec server (setup); --kill-containers
    config        flags and their derived defaults
    kubelet       one node: informers (its pods by spec.nodeName), a worker per pod, the pod network, orphans
    node          Node registration, status and the heartbeat Lease (kubelet_node_status.go, nodelease)
    hollow        --hollow N nodes without processes (kubemark)
    podcontext    what every pod worker of the node shares
    paths         where the node keeps pods, runs and logs on disk
A pod
    podworker     one pod's level-triggered sync (SyncPod)
    podlifecycle  starting, watching, probing, stopping, deleting its containers (the worker's effects)
    podsetup      pod record, hosts files, mounts and each container's run spec
    podstatus     the reported status (generateAPIPodStatus; pure)
    statusmanager writes statuses to the API server, merged with what others own (status_manager.go)
    decisions     restart policy, init order, phase (computePodActions; pure)
    containers    one container's runs as the worker tracks them
    backoff       CrashLoopBackOff (pure)
    probes        probe thresholds (pure); prober: exec, httpGet, tcpSocket and grpc probes
    hooks         postStart and preStop
Network
    ipam          pod IPs from the node's podCIDR (host-local)
    podnetwork    the node's bridge, a network namespace and veth per pod, routes to other nodes (CNI bridge)
    hostfiles     hostname, /etc/hosts, resolv.conf (pure)
Volumes and configuration
    volumes       pod volume -> host directory, claims through their volumes; mountwait: FailedMount events
    hostpath      node paths, hostPath type checks
    attach        the attach stream of a container's main process
    projection    configMap, secret, downwardAPI and projected volume files; atomicwriter writes them
    envvars       a container's environment; serviceenv: Service variables; podrefs: the objects a pod reads
Containers
    images        built-in images and the command to run (builtin/: nginx, pause, kvstore, nslookup, ...)
    runtime/      the shim per container run, its records on disk, the runtime (containerd's part)
    containerlogs reading CRI log files
    server        logs, exec and attach over gRPC (the kubelet's server)
"""
