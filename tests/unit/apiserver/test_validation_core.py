"""Pods, Services, Nodes: table tests over documentation manifests with one mistake each, the
complete error list of a pod with many mistakes, and the fields a pod update may change."""
import pytest

from kubelab.meta import copy_of
from services.apiserver.validation import validate, validate_status_update, validate_update

from .manifests import POD_WITH_CLAIM, POD_WITH_PROBES, SERVICE, load, manifest, messages, stored

C0 = "spec__containers__0__"


@pytest.mark.parametrize("text, patches, want", [
    (POD_WITH_CLAIM, {"spec__containers": []}, "spec.containers: Required value"),
    (POD_WITH_CLAIM, {C0 + "image": "DELETE"}, "spec.containers[0].image: Required value"),
    (POD_WITH_CLAIM, {C0 + "image": " nginx"},
     'spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace'),
    (POD_WITH_CLAIM, {C0 + "name": "Web"}, 'spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 '
     "label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric "
     "character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
    (POD_WITH_CLAIM, {C0 + "ports": [{"containerPort": 0}]}, "spec.containers[0].ports[0].containerPort: Required value"),
    (POD_WITH_CLAIM, {C0 + "ports": [{"containerPort": 70000}]},
     "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    (POD_WITH_CLAIM, {C0 + "ports": [{"containerPort": 80, "protocol": "HTTP"}]},
     'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
    (POD_WITH_CLAIM, {C0 + "ports": [{"containerPort": 80, "name": "http_server"}]},
     'spec.containers[0].ports[0].name: Invalid value: "http_server": must contain only alpha-numeric characters '
     "(a-z, 0-9), and hyphens (-)"),
    (POD_WITH_CLAIM, {C0 + "env": [{"name": "1ST"}]},
     """spec.containers[0].env[0].name: Invalid value: "1ST": a valid environment variable name must consist of """
     """alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or """
     """'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"""),
    (POD_WITH_CLAIM, {C0 + "env": [{"name": "X", "value": "1", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]},
     'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'),
    (POD_WITH_CLAIM, {C0 + "env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeIP"}}}]},
     'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "spec.nodeIP": error converting '
     "fieldPath: field label not supported: spec.nodeIP"),
    (POD_WITH_CLAIM, {C0 + "volumeMounts__0__name": "data"}, 'spec.containers[0].volumeMounts[0].name: Not found: "data"'),
    (POD_WITH_CLAIM, {C0 + "volumeMounts__0__subPath": "../etc"},
     """spec.containers[0].volumeMounts.subPath: Invalid value: "../etc": must not contain '..'"""),
    (POD_WITH_CLAIM, {"spec__volumes__0__emptyDir": {}},
     "spec.volumes[0].persistentVolumeClaim: Forbidden: may not specify more than 1 volume type"),
    (POD_WITH_CLAIM, {"spec__volumes__0": {"name": "task-pv-storage", "hostPath": {"path": "/data", "type": "Dir"}}},
     'spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", '
     '"Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"'),
    (POD_WITH_CLAIM, {"spec__volumes__0__persistentVolumeClaim__claimName": ""},
     "spec.volumes[0].persistentVolumeClaim.claimName: Required value"),
    (POD_WITH_CLAIM, {"spec__restartPolicy": "Sometimes"},
     'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'),
    (POD_WITH_CLAIM, {"spec__dnsPolicy": "Cluster"}, 'spec.dnsPolicy: Unsupported value: "Cluster": supported values: '
     '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'),
    (POD_WITH_CLAIM, {"spec__nodeName": "Node_1"}, 'spec.nodeName: Invalid value: "Node_1": a lowercase RFC 1123 '
     "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
     "alphanumeric character (e.g. 'example.com', regex used for validation is "
     r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    (POD_WITH_CLAIM, {C0 + "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}},
     'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'),
    (POD_WITH_CLAIM, {C0 + "resources": {"requests": {"memory": "-64Mi"}}},
     'spec.containers[0].resources.requests[memory]: Invalid value: "-64Mi": must be greater than or equal to 0'),
    (POD_WITH_CLAIM, {C0 + "resources": {"limits": {"cpus": "1"}}},
     'spec.containers[0].resources.limits[cpus]: Invalid value: "cpus": must be a standard resource for containers'),
    (POD_WITH_CLAIM, {C0 + "resources": {"limits": {"example.com/gpu": "1"}, "requests": {"example.com/gpu": "0"}}},
     'spec.containers[0].resources.requests: Invalid value: "0": must be equal to example.com/gpu limit of 1'),
    (POD_WITH_PROBES, {C0 + "livenessProbe__exec": {"command": ["true"]}},
     "spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type"),
    (POD_WITH_PROBES, {C0 + "readinessProbe__exec": "DELETE"},
     "spec.containers[0].readinessProbe: Required value: must specify a handler type"),
    (POD_WITH_PROBES, {C0 + "livenessProbe__successThreshold": 2},
     "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"),
    (POD_WITH_PROBES, {C0 + "startupProbe__periodSeconds": -1},
     "spec.containers[0].startupProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0"),
    (POD_WITH_PROBES, {C0 + "livenessProbe__httpGet__scheme": "FTP"},
     'spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"'),
    (POD_WITH_CLAIM, {"spec__tolerations": [{"key": "k", "operator": "Maybe"}]},
     'spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"'),
    (POD_WITH_CLAIM, {"spec__tolerations": [{"key": "k", "effect": "NoRun"}]},
     'spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", '
     '"NoExecute"'),
    (POD_WITH_CLAIM, {"spec__tolerations": [{"operator": "Equal", "value": "x"}]},
     'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which '
     'means "match all values and all keys"'),
    (POD_WITH_CLAIM, {"spec__affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "Near", "values": ["a"]}]}]}}}},
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
     '.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator'),
    (POD_WITH_CLAIM, {"spec__affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "Exists", "values": ["a"]}]}]}}}},
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
     ".matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
    (POD_WITH_CLAIM, {"spec__affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": []}}}},
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: "
     "must have at least one node selector term"),
])
def test_pod_rules(text, patches, want):
    assert want in messages(validate(load(text, **patches)))


def test_documentation_pods_are_valid():
    assert validate(load(POD_WITH_PROBES)) == []
    assert validate(load(POD_WITH_CLAIM)) == []


def test_every_error_of_a_pod_comes_back_at_once():
    pod = manifest(POD_WITH_CLAIM)
    pod["metadata"]["name"] = "Task"
    c = pod["spec"]["containers"][0]
    c["volumeMounts"][0]["name"] = "data"
    c["ports"][0]["containerPort"] = 0
    pod["spec"]["containers"].append({"name": "task-pv-container"})
    pod["spec"]["restartPolicy"] = "Sometimes"
    assert messages(validate(load(pod))) == [
        'metadata.name: Invalid value: "Task": a lowercase RFC 1123 subdomain must consist of lower case '
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        r"'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        "spec.containers[0].ports[0].containerPort: Required value",
        'spec.containers[0].volumeMounts[0].name: Not found: "data"',
        "spec.containers[1].image: Required value",
        'spec.containers[1].name: Duplicate value: "task-pv-container"',
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]


def test_a_spec_seen_before_gets_the_same_answer_at_its_own_path():
    """validate_pod_spec remembers its answers by the spec's bytes (services/apiserver/specmemo.py)."""
    from kubelab.fielderrors import Path
    from services.apiserver.validation.podspec import validate_pod_spec

    pod = load(POD_WITH_CLAIM, **{"spec__restartPolicy": "Sometimes"})
    first = validate_pod_spec(pod.spec, Path("spec"), is_pod=True)
    first.append("a caller's own addition")
    again = validate_pod_spec(copy_of(pod).spec, Path("spec"), is_pod=True)
    assert messages(again) == ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: '
                               '"Always", "OnFailure", "Never"']
    template = validate_pod_spec(pod.spec, Path("spec", "template", "spec"))
    assert messages(template) == [m.replace("spec.", "spec.template.spec.", 1) for m in messages(again)]
    pod.spec.restart_policy = "Always"
    assert validate_pod_spec(pod.spec, Path("spec"), is_pod=True) == []


def test_validation_expects_defaults():
    errs = messages(validate(load(POD_WITH_CLAIM, defaults=False)))
    assert "spec.terminationGracePeriodSeconds: Required value" in errs
    assert "spec.containers[0].imagePullPolicy: Required value" in errs
    assert "spec.restartPolicy: Required value" in errs


POD_UPDATE = ("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
              "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
              "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
              "previously negative)")


def test_a_pod_may_change_its_image_and_add_tolerations():
    old = stored(load(POD_WITH_CLAIM))
    new = copy_of(old)
    new.spec.containers[0].image = "nginx:1.27"
    new.spec.tolerations.add(key="node.kubernetes.io/unreachable", operator="Exists", effect="NoExecute",
                             toleration_seconds=300)
    new.spec.active_deadline_seconds = 600
    assert validate_update(new, old) == []


def test_other_pod_spec_changes_are_forbidden_and_shown():
    old = stored(load(POD_WITH_CLAIM))
    new = copy_of(old)
    new.spec.containers[0].ports[0].container_port = 8080
    new.spec.node_name = "node-2"
    (err,) = messages(validate_update(new, old))
    head, *diff = err.split("\n")
    assert head == POD_UPDATE
    assert diff == ["- containers[0].ports[0].containerPort: 80", "+ containers[0].ports[0].containerPort: 8080",
                    '+ nodeName: "node-2"']


def test_pod_containers_may_not_be_added_and_tolerations_not_removed():
    old = stored(load(POD_WITH_CLAIM, spec__tolerations=[{"key": "a", "operator": "Exists"}]))
    new = copy_of(old)
    new.spec.containers.add(name="sidecar", image="busybox")
    assert messages(validate_update(new, old))[-1] == "spec.containers: Forbidden: pod updates may not add or remove containers"
    new = copy_of(old)
    del new.spec.tolerations[:]
    assert "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds" in \
        messages(validate_update(new, old))


def test_pod_status_update_checks_metadata_only():
    old = stored(load(POD_WITH_CLAIM))
    new = copy_of(old)
    new.status.phase = "Running"
    new.status.pod_ip = "10.0.0.7"
    assert validate_status_update(new, old) == []


@pytest.mark.parametrize("patches, want", [
    ({"spec__ports": []}, None),  # a headless Service needs no ports
    ({"spec__clusterIP": "DELETE", "spec__ports": []}, "spec.ports: Required value"),
    ({"spec__ports": [{"port": 80}, {"port": 443}]}, "spec.ports[0].name: Required value"),
    ({"spec__ports": [{"port": 80, "protocol": "ICMP"}]},
     'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'),
    ({"spec__ports": [{"port": 80, "targetPort": "http_port"}]},
     'spec.ports[0].targetPort: Invalid value: "http_port": must contain only alpha-numeric characters (a-z, 0-9), '
     "and hyphens (-)"),
    ({"spec__type": "Internal"}, 'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", '
     '"ExternalName", "LoadBalancer", "NodePort"'),
    ({"spec__sessionAffinity": "Sticky"}, 'spec.sessionAffinity: Unsupported value: "Sticky": supported values: '
     '"ClientIP", "None"'),
    ({"spec__type": "NodePort"}, "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort "
     "services"),
])
def test_service_rules(patches, want):
    errs = messages(validate(load(SERVICE, **patches)))
    assert errs == [] if want is None else want in errs


def test_node_taints_and_capacity():
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
            "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "a", "effect": "NoSchedule"},
                                {"key": "b", "effect": "NoRun"}]},
            "status": {"capacity": {"cpu": "4", "memory": "-1Gi"}}}
    errs = messages(validate(load(node)))
    assert errs == [
        'metadata.taints[1]: Duplicate value: {"Key":"a","Value":"","Effect":"NoSchedule","TimeAdded":null}: '
        "taints must be unique by key and effect pair",
        'metadata.taints[2].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", '
        '"NoExecute"',
        'status.capacity.memory: Invalid value: "-1Gi": must be greater than or equal to 0',
        'status.allocatable.memory: Invalid value: "-1Gi": must be greater than or equal to 0',
    ]
