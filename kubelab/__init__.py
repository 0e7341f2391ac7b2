"""kubelab's library: what more than one process needs, written once. The services (`services/`) import it;
it imports no service, and nothing but the CLI imports the CLI (`.importlinter`, tests/unit/test_layers.py).
docs/architecture.md follows one object through the processes that use these modules.

The API
    api/                   generated messages (`api/v1/`, rebuilt by `python -m kubelab.api.gen`), the kind
                           registry (`api/registry.py`), which fields Kubernetes always writes (`api/presence.py`)
    client.py              the async API client: verbs, retries with a request id, watches that resume
    errors.py              ApiError and the predicates is_not_found, is_conflict, ... (apimachinery errors)
    manifest.py            YAML/JSON <-> messages, strictly, with Kubernetes' error wording
    fielderrors.py         field.Error and field.ErrorList, worded as apimachinery's
    validation_names.py    name and label validators (apimachinery util/validation)
    labels.py              label and field selectors
    quantity.py            resource quantities
    strategicpatch.py      strategic merge patch

Rules several processes apply
    meta.py                object metadata: copies, resourceVersions, controller references, terminating
    podutil.py             pod conditions, Ready, available, terminal (pkg/api/v1/pod)
    controller_ref_manager.py  adoption and release of owned objects (ControllerRefManager)
    nodeaffinity.py        node selector and topology terms
    printers/              each kind's table columns and cells, a pod's status summary (server-side printing:
                           the API server's Table answers, the web view, `kubelab get`)
    storage/               claims, volumes and classes; which volume a claim gets (component-helpers storage/volume)
    network.py, podnet.py, hostaddr.py, nft.py, kubeletaddr.py   the address plan and the kernel objects of the
                           pod network, Service addresses on the host, the proxy's nftables table, a kubelet's address

The controller runtime (client-go, controller-runtime, component-base)
    informer.py            shared informers and their read-only indexed caches
    workqueue.py           the dedup, delaying, rate-limited work queue
    controller.py          Controller: handlers -> keys -> workers -> reconcile(key) -> Result
    expectations.py        creates and deletes issued but not yet seen
    leaderelection.py      Lease-based leader election
    events.py              the event recorder, with counting, aggregation and spam filtering
    config.py              one frozen configuration dataclass per process: flags, environment, validate()
    skeleton.py            the skeleton every process runs in, the API server included (health, metrics, SIGTERM)
    process.py             a component's process: the skeleton plus client, informers, events, controllers, election
    metrics.py, logs.py    Prometheus metrics; key=value logs

Around the cluster
    cluster/               the local launcher behind `kubelab up` (component registry, state dir, processes)
    observe/               the timeline, recorded histories and their invariants, chaos schedules
    cli/                   the `kubelab` command
"""
