"""The node agent: one process per node (`python -m services.kubelet`), see docs/kubelet.md.

    config        flags and their derived defaults        node          Node registration, status, Lease
    kubelet       one node: informers, workers, orphans   hollow        --hollow N nodes without processes
    podworker     one pod's level-triggered sync          podlifecycle  starting, probing, stopping, deleting
    podsetup      pod record, hosts files, run specs      podstatus     the reported status (pure)
    decisions     restart policy, init order, phase       backoff       CrashLoopBackOff (pure)
    probes        probe thresholds (pure)                 prober        exec/httpGet/tcpSocket/grpc probes
    volumes       pod volume -> host directory            hostpath      node paths, hostPath type checks
    envvars       container environment                   hostfiles     hostname, /etc/hosts, resolv.conf
    images        built-in images, the command to run     ipam          pod IPs from the pod CIDR
    hooks         postStart and preStop                   containerlogs reading CRI log files
    runtime/      shim, run records, the runtime          server        logs and exec over gRPC
"""
