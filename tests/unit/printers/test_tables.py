"""Each kind's columns and cells (kubelab.printers.tables), rendered through the CLI's table printer and tab
writer exactly as `get` prints them."""

from kubelab.cli.render import table as printers
from kubelab.cli.render.tabwriter import table_writer
from tests.unit.cli.helpers import NOW, ago, obj, pod


def render(kind, objs, **kw):
    name_prefix = kw.pop("name_prefix", "")
    rows = [printers.header(kind, **kw)] + [printers.row(o, kind, NOW, name_prefix=name_prefix, **kw) for o in objs]
    return table_writer().format("".join("\t".join(r) + "\n" for r in rows))


def test_pods_and_wide_pods():
    p = pod({"phase": "Running", "podIP": "127.0.1.5",
             "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "image": "i",
                                    "state": {"running": {}}}]}, {"nodeName": "node-2"})
    assert render("Pod", [p]) == ("NAME    READY   STATUS    RESTARTS   AGE\n"
                                  "web-0   1/1     Running   0          30s\n")
    assert render("Pod", [p], wide=True) == (
        "NAME    READY   STATUS    RESTARTS   AGE   IP          NODE     NOMINATED NODE   READINESS GATES\n"
        "web-0   1/1     Running   0          30s   127.0.1.5   node-2   <none>           <none>\n")


def test_all_namespaces_adds_a_first_column_and_kind_prefix():
    assert render("Pod", [pod()], with_namespace=True, name_prefix="pod/") == (
        "NAMESPACE   NAME        READY   STATUS    RESTARTS   AGE\n"
        "default     pod/web-0   0/1     Pending   0          30s\n")


DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: default, creationTimestamp: '{t}'}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: nginx, image: nginx}}, {{name: side, image: busybox}}]}}
status: {{replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2}}
"""


def test_deployments():
    d = obj(DEPLOY, t=ago(4 * 3600))
    assert render("Deployment", [d]) == ("NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
                                         "web    2/3     3            2           4h\n")
    assert render("Deployment", [d], wide=True).splitlines()[1] == (
        "web    2/3     3            2           4h    nginx,side   nginx,busybox   app=web")


def test_replicasets_and_statefulsets():
    rs_text = DEPLOY.replace("Deployment", "ReplicaSet").replace("name: web,", "name: web-5d4f,")
    rs = obj(rs_text.replace(", updatedReplicas: 3", ""), t=ago(90))
    assert render("ReplicaSet", [rs]) == ("NAME       DESIRED   CURRENT   READY   AGE\n"
                                          "web-5d4f   3         3         2       90s\n")
    sts = obj(DEPLOY.replace("Deployment", "StatefulSet").replace(", availableReplicas: 2", ""), t=ago(49 * 3600))
    assert render("StatefulSet", [sts]) == "NAME   READY   AGE\nweb    2/3     2d1h\n"


def test_claims_pending_and_bound():
    pending = obj("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: www-web-0, namespace: default, creationTimestamp: '{t}'}}
spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}, storageClassName: standard}}
status: {{phase: Pending}}
""", t=ago(5))
    bound = obj("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: data, namespace: default, creationTimestamp: '{t}'}}
spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}, storageClassName: standard,
        volumeName: pvc-1234}}
status: {{phase: Bound, accessModes: [ReadWriteOnce, ReadWriteMany], capacity: {{storage: 1024Mi}}}}
""", t=ago(5))
    assert render("PersistentVolumeClaim", [bound, pending]) == (
        "NAME        STATUS    VOLUME     CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE\n"
        "data        Bound     pvc-1234   1Gi        RWO,RWX        standard       <unset>                 5s\n"
        "www-web-0   Pending                                        standard       <unset>                 5s\n")


def test_volumes():
    pv = obj("""
apiVersion: v1
kind: PersistentVolume
metadata: {{name: pvc-1234, creationTimestamp: '{t}'}}
spec:
  capacity: {{storage: 1Gi}}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  storageClassName: standard
  claimRef: {{namespace: default, name: data}}
  hostPath: {{path: /mnt/x}}
status: {{phase: Bound}}
""", t=ago(600))
    assert render("PersistentVolume", [pv]) == (
        "NAME       CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS   CLAIM          STORAGECLASS   "
        "VOLUMEATTRIBUTESCLASS   REASON   AGE\n"
        "pvc-1234   1Gi        RWO            Delete           Bound    default/data   standard       "
        "<unset>                          10m\n")


def test_storage_classes_mark_the_default():
    sc = obj("""
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {{name: standard, creationTimestamp: '{t}', annotations: {{storageclass.kubernetes.io/is-default-class: 'true'}}}}
provisioner: kubelab.io/local-path
volumeBindingMode: WaitForFirstConsumer
""", t=ago(60))
    plain = obj("apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {{name: shared, creationTimestamp: '{t}'}}\n"
                "provisioner: kubelab.io/shared\nallowVolumeExpansion: true\n", t=ago(60))
    assert render("StorageClass", [plain, sc]) == (
        "NAME                 PROVISIONER             RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE\n"
        "shared               kubelab.io/shared       Delete          Immediate              true                   60s\n"
        "standard (default)   kubelab.io/local-path   Delete          WaitForFirstConsumer   false                  60s\n")


def test_nodes():
    node = obj("""
apiVersion: v1
kind: Node
metadata: {{name: node-1, creationTimestamp: '{t}', labels: {{node-role.kubernetes.io/control-plane: ''}}}}
spec: {{unschedulable: true}}
status:
  conditions: [{{type: Ready, status: 'False'}}]
  nodeInfo: {{kubeletVersion: v1.31.0-kubelab}}
""", t=ago(120))
    assert render("Node", [node]) == (
        "NAME     STATUS                        ROLES           AGE   VERSION\n"
        "node-1   NotReady,SchedulingDisabled   control-plane   2m    v1.31.0-kubelab\n")


def test_events_table():
    ev = obj("""
apiVersion: v1
kind: Event
metadata: {{name: web-0.1, namespace: default}}
involvedObject: {{kind: Pod, name: web-0}}
reason: FailedScheduling
message: "0/3 nodes are available\\n"
type: Warning
count: 3
firstTimestamp: '{first}'
lastTimestamp: '{last}'
""", first=ago(300), last=ago(20))
    assert render("Event", [ev]) == ("LAST SEEN   TYPE      REASON             OBJECT      MESSAGE\n"
                                     "20s         Warning   FailedScheduling   pod/web-0   0/3 nodes are available\n")


def test_services_leases_attachments_and_revisions():
    svc = obj("apiVersion: v1\nkind: Service\nmetadata: {{name: web, creationTimestamp: '{t}'}}\nspec: {{type: ClusterIP, "
              "clusterIP: None, clusterIPs: [None], ports: [{{port: 80, protocol: TCP}}], selector: {{app: web}}}}\n",
              t=ago(5))
    assert render("Service", [svc]).splitlines()[1] == "web    ClusterIP   None         <none>        80/TCP    5s"
    lease = obj("apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: node-1, creationTimestamp: '{t}'}}\n"
                "spec: {{holderIdentity: node-1}}\n", t=ago(5))
    assert render("Lease", [lease]).splitlines()[1] == "node-1   node-1   5s"
    va = obj("apiVersion: storage.k8s.io/v1\nkind: VolumeAttachment\nmetadata: {{name: csi-1, creationTimestamp: '{t}'}}\n"
             "spec: {{attacher: kubelab.io/network-disk, nodeName: node-2, source: {{persistentVolumeName: pv-1}}}}\n"
             "status: {{attached: true}}\n", t=ago(5))
    assert render("VolumeAttachment", [va]).splitlines() == [
        "NAME    ATTACHER                  PV     NODE     ATTACHED   AGE",
        "csi-1   kubelab.io/network-disk   pv-1   node-2   true       5s"]
    cr = obj("apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {{name: web-7b9, creationTimestamp: '{t}', "
             "ownerReferences: [{{apiVersion: apps/v1, kind: StatefulSet, name: web, uid: u, controller: true}}]}}\n"
             "revision: 2\n", t=ago(5))
    assert render("ControllerRevision", [cr]).splitlines()[1] == "web-7b9   statefulset.apps/web   2          5s"
