"""Manifests for the validation and defaulting tests: examples from the Kubernetes documentation, as
they appear there, and a loader that decodes one strictly, patches it, and applies defaults."""
from __future__ import annotations

import copy
from typing import Any

import yaml
from google.protobuf.message import Message

from kubelab.manifest import from_dict
from services.apiserver.defaults import apply_defaults

# concepts/workloads/controllers/deployment
DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
"""

# concepts/workloads/controllers/replicaset (frontend.yaml)
REPLICASET = """
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend
  labels:
    app: guestbook
    tier: frontend
spec:
  replicas: 3
  selector:
    matchLabels:
      tier: frontend
  template:
    metadata:
      labels:
        tier: frontend
    spec:
      containers:
      - name: php-redis
        image: us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5
"""

# concepts/workloads/controllers/statefulset (the headless Service and the StatefulSet)
SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
"""

STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: nginx
  serviceName: "nginx"
  replicas: 3
  minReadySeconds: 10
  template:
    metadata:
      labels:
        app: nginx
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.24
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      storageClassName: "my-storage-class"
      resources:
        requests:
          storage: 1Gi
"""

# tasks/configure-pod-container/configure-persistent-volume-storage
PV = """
apiVersion: v1
kind: PersistentVolume
metadata:
  name: task-pv-volume
  labels:
    type: local
spec:
  storageClassName: manual
  capacity:
    storage: 10Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: "/mnt/data"
"""

PVC = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: task-pv-claim
spec:
  storageClassName: manual
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 3Gi
"""

# concepts/storage/volumes (local volume) and concepts/storage/storage-classes
LOCAL_PV = """
apiVersion: v1
kind: PersistentVolume
metadata:
  name: example-pv
spec:
  capacity:
    storage: 100Gi
  volumeMode: Filesystem
  accessModes:
  - ReadWriteOnce
  persistentVolumeReclaimPolicy: Delete
  storageClassName: local-storage
  local:
    path: /mnt/disks/ssd1
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - key: kubernetes.io/hostname
          operator: In
          values:
          - example-node
"""

STORAGECLASS = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-storage
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
"""

# tasks/configure-pod-container/configure-liveness-readiness-startup-probes
POD_WITH_PROBES = """
apiVersion: v1
kind: Pod
metadata:
  labels:
    test: liveness
  name: liveness-http
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/e2e-test-images/agnhost:2.40
    args:
    - liveness
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
        httpHeaders:
        - name: Custom-Header
          value: Awesome
      initialDelaySeconds: 3
      periodSeconds: 3
    readinessProbe:
      exec:
        command:
        - cat
        - /tmp/healthy
    startupProbe:
      tcpSocket:
        port: liveness-port
      failureThreshold: 30
      periodSeconds: 10
    ports:
    - name: liveness-port
      containerPort: 8080
"""

# concepts/storage/persistent-volumes (a Pod using a claim)
POD_WITH_CLAIM = """
apiVersion: v1
kind: Pod
metadata:
  name: task-pv-pod
spec:
  volumes:
    - name: task-pv-storage
      persistentVolumeClaim:
        claimName: task-pv-claim
  containers:
    - name: task-pv-container
      image: nginx
      ports:
        - containerPort: 80
          name: "http-server"
      volumeMounts:
        - mountPath: "/usr/share/nginx/html"
          name: task-pv-storage
"""

LEASE = """
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: kube-scheduler
  namespace: kube-system
spec:
  holderIdentity: scheduler-1
  leaseDurationSeconds: 15
"""

_CLUSTER_SCOPED = {"Namespace", "Node", "PersistentVolume", "StorageClass", "VolumeAttachment"}


def manifest(text: str) -> dict[str, Any]:
    return yaml.safe_load(text)


def load(text_or_dict: str | dict, *, defaults: bool = True, **patches: Any) -> Message:
    """Decode a manifest as the API server would see it: in the default namespace when namespaced,
    patched (`spec__replicas=-1` sets spec.replicas; a value of `DELETE` removes the key), defaulted."""
    data = copy.deepcopy(manifest(text_or_dict) if isinstance(text_or_dict, str) else text_or_dict)
    if data["kind"] not in _CLUSTER_SCOPED:
        data.setdefault("metadata", {}).setdefault("namespace", "default")
    for dotted, value in patches.items():
        *parents, leaf = dotted.split("__")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        if value == "DELETE":
            node.pop(leaf, None)
        elif isinstance(node, list):
            node[int(leaf)] = value
        else:
            node[leaf] = value
    obj = from_dict(data)
    return apply_defaults(obj) if defaults else obj


def messages(errors) -> list[str]:
    return [str(e) for e in errors]


def stored(obj: Message, resource_version: str = "7") -> Message:
    """`obj` as the API server keeps it: with a uid, a creation time, a resourceVersion."""
    obj.metadata.uid = "5f1ee1d4-0000-4000-8000-000000000001"
    obj.metadata.resource_version = resource_version
    obj.metadata.generation = 1
    obj.metadata.creation_timestamp.FromSeconds(1_700_000_000)
    return obj
