"""describe pages: kubectl's layout, character for character, for the kinds kubelab's labs use."""

import time

import pytest

from kubelab.cli.describe import Related, describe
from kubelab.cli.describe.page import rfc1123z
from tests.unit.cli.helpers import NOW, ago, obj, pod


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def event(reason, message, *, kind="Pod", name="web-0", type_="Normal", count=1, first=60, last=60,
          component="default-scheduler"):
    return obj("""
apiVersion: v1
kind: Event
metadata: {{name: ev-{reason}, namespace: default}}
involvedObject: {{kind: {kind}, name: {name}}}
reason: {reason}
message: '{message}'
type: {type_}
count: {count}
source: {{component: {component}}}
firstTimestamp: '{first}'
lastTimestamp: '{last}'
""", reason=reason, message=message, kind=kind, name=name, type_=type_, count=count, component=component,
               first=ago(first), last=ago(last))


RUNNING_POD = dict(
    status={"phase": "Running", "hostIP": "127.0.0.2", "podIP": "127.0.1.5", "podIPs": [{"ip": "127.0.1.5"}],
            "startTime": "2026-05-01T11:59:31Z", "qosClass": "BestEffort",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "image": "busybox",
                                   "containerID": "kubelab://1", "state": {"running": {"startedAt": "2026-05-01T11:59:32Z"}}}]},
    spec={"nodeName": "node-1",
          "containers": [{"name": "app", "image": "busybox", "command": ["sh", "-c", "sleep 1d"],
                          "volumeMounts": [{"name": "www", "mountPath": "/data"}]}],
          "volumes": [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}]},
    meta={"labels": {"app": "web"}, "ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u1", "controller": True}]})


def test_pod_page():
    events = [event("FailedMount", "Multi-Attach error", type_="Warning", count=3, first=50, last=10,
                    component="attachdetach-controller"), event("Scheduled", "Assigned default/web-0 to node-1")]
    page = describe(pod(**RUNNING_POD), "Pod", Related(events=events, now=NOW))
    assert page == """\
Name:         web-0
Namespace:    default
Node:         node-1/127.0.0.2
Start Time:   Fri, 01 May 2026 11:59:31 +0000
Labels:       app=web
Annotations:  <none>
Status:       Running
IP:           127.0.1.5
IPs:
  IP:           127.0.1.5
Controlled By:  StatefulSet/web
Containers:
  app:
    Container ID:  kubelab://1
    Image:         busybox
    Image ID:      
    Port:          <none>
    Host Port:     <none>
    Command:
      sh
      -c
      sleep 1d
    State:          Running
      Started:      Fri, 01 May 2026 11:59:32 +0000
    Ready:          True
    Restart Count:  0
    Environment:    <none>
    Mounts:
      /data from www (rw)
Conditions:
  Type    Status
  Ready   True 
Volumes:
  www:
    Type:        PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)
    ClaimName:   www-web-0
    ReadOnly:    false
QoS Class:       BestEffort
Node-Selectors:  <none>
Tolerations:     <none>
Events:
  Type     Reason       Age                From                     Message
  ----     ------       ----               ----                     -------
  Normal   Scheduled    60s                default-scheduler        Assigned default/web-0 to node-1
  Warning  FailedMount  10s (x3 over 50s)  attachdetach-controller  Multi-Attach error
"""


def test_no_events_and_events_off():
    assert describe(pod(), "Pod", Related(events=[], now=NOW)).endswith("Tolerations:      <none>\nEvents:           <none>\n")
    assert "Events" not in describe(pod(), "Pod", Related(events=None, now=NOW))


def test_terminating_pod_status_line():
    p = pod(RUNNING_POD["status"], RUNNING_POD["spec"], {"deletionTimestamp": ago(-20), "deletionGracePeriodSeconds": 30})
    page = describe(p, "Pod", Related(now=NOW))
    assert "Status:                    Terminating (lasts <invalid>)\nTermination Grace Period:  30s\n" in page


STS = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: default, uid: u1, creationTimestamp: '2026-05-01T11:00:00Z'}
spec:
  replicas: 2
  serviceName: nginx
  selector: {matchLabels: {app: web}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 0}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx, ports: [{containerPort: 80, name: web, protocol: TCP}],
            volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]}]}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec: {accessModes: [ReadWriteOnce], storageClassName: standard, resources: {requests: {storage: 1Gi}}}
status: {replicas: 1}
"""


def test_statefulset_page():
    owned = pod({"phase": "Running"}, meta={"ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u1", "controller": True}]})
    page = describe(obj(STS), "StatefulSet", Related(events=[], pods=[owned, pod()], now=NOW))
    assert page == """\
Name:               web
Namespace:          default
CreationTimestamp:  Fri, 01 May 2026 11:00:00 +0000
Selector:           app=web
Labels:             <none>
Annotations:        <none>
Replicas:           2 desired | 1 total
Update Strategy:    RollingUpdate
  Partition:        0
Pods Status:        1 Running / 0 Waiting / 0 Succeeded / 0 Failed
Pod Template:
  Labels:  app=web
  Containers:
   nginx:
    Port:         80/TCP
    Host Port:    0/TCP
    Environment:  <none>
    Mounts:
      /usr/share/nginx/html from www (rw)
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Volume Claims:
  Name:          www
  StorageClass:  standard
  Labels:        <none>
  Annotations:   <none>
  Capacity:      1Gi
  Access Modes:  [ReadWriteOnce]
Events:          <none>
""".replace("   nginx:\n    Port:", "   nginx:\n    Image:        nginx\n    Port:")


def test_claim_and_class_pages():
    pvc = obj("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: default, finalizers: [kubernetes.io/pvc-protection]}
spec: {accessModes: [ReadWriteOnce], storageClassName: standard, volumeName: pv-1, volumeMode: Filesystem,
       resources: {requests: {storage: 1Gi}}}
status: {phase: Bound, accessModes: [ReadWriteOnce], capacity: {storage: 1Gi}}
""")
    page = describe(pvc, "PersistentVolumeClaim", Related(events=[], pods=[pod()], now=NOW))
    assert page == """\
Name:          data
Namespace:     default
StorageClass:  standard
Status:        Bound
Volume:        pv-1
Labels:        <none>
Annotations:   <none>
Finalizers:    [kubernetes.io/pvc-protection]
Capacity:      1Gi
Access Modes:  RWO
VolumeMode:    Filesystem
Used By:       web-0
Events:        <none>
"""
    sc = obj("""
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: standard, annotations: {storageclass.kubernetes.io/is-default-class: 'true'}}
provisioner: kubelab.io/local-path
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
""")
    assert describe(sc, "StorageClass", Related(events=[], now=NOW)) == """\
Name:                  standard
IsDefaultClass:        Yes
Annotations:           storageclass.kubernetes.io/is-default-class=true
Provisioner:           kubelab.io/local-path
Parameters:            <none>
AllowVolumeExpansion:  <unset>
MountOptions:          <none>
ReclaimPolicy:         Delete
VolumeBindingMode:     WaitForFirstConsumer
Events:                <none>
"""


def test_volume_page_with_node_affinity():
    pv = obj("""
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-1}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  storageClassName: standard
  claimRef: {namespace: default, name: data}
  hostPath: {path: /mnt/data/pv-1, type: DirectoryOrCreate}
  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In,
                                                                     values: [node-2]}]}]}}
status: {phase: Bound}
""")
    page = describe(pv, "PersistentVolume", Related(events=[], now=NOW))
    assert "Claim:             default/data\n" in page
    assert "Node Affinity:     \n  Required Terms:  \n    Term 0:        kubernetes.io/hostname in [node-2]\n" in page
    assert page.endswith("Source:\n    Type:          HostPath (bare host directory volume)\n"
                         "    Path:          /mnt/data/pv-1\n    HostPathType:  DirectoryOrCreate\nEvents:            <none>\n")


def test_generic_page_for_kinds_without_one():
    lease = obj("apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: scheduler, namespace: kube-system}\n"
                "spec: {holderIdentity: sched-1, leaseDurationSeconds: 15}\n")
    page = describe(lease, "Lease", Related(events=[], now=NOW))
    assert page.startswith("Name:         scheduler\nNamespace:    kube-system\nLabels:       <none>\n")
    assert "Spec:\n  Holder Identity:         sched-1\n  Lease Duration Seconds:  15\n" in page


def test_node_page_lists_its_pods_and_lease():
    node = obj("""
apiVersion: v1
kind: Node
metadata: {name: node-1, creationTimestamp: '2026-05-01T10:00:00Z'}
status:
  capacity: {cpu: '4', memory: 8Gi}
  conditions: [{type: Ready, status: 'True', reason: KubeletReady, message: kubelet is posting ready status}]
  addresses: [{type: InternalIP, address: 127.0.0.2}]
""")
    busy = pod(spec={"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "500m",
                                                                                         "memory": "1Gi"}}}]})
    page = describe(node, "Node", Related(events=[], pods=[busy], now=NOW))
    assert "Lease:\n  HolderIdentity:  <unset>\n" in page
    assert "Non-terminated Pods:          (1 in total)\n" in page
    assert "  default                     web-0    500m (12%)    0 (0%)      1Gi (12%)        0 (0%)         30s\n" in page
    assert "  cpu                500m (12%)  0 (0%)\n" in page


def test_rfc1123z_uses_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    p = obj("apiVersion: v1\nkind: Pod\nmetadata: {name: x, creationTimestamp: '2024-01-02T03:04:05Z'}\n")
    assert rfc1123z(p.metadata, "creation_timestamp") == "Tue, 02 Jan 2024 12:04:05 +0900"
