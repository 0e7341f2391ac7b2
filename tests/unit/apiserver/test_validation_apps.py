"""Deployments, ReplicaSets, StatefulSets: selectors and templates, strategies, and what a StatefulSet
update may change; messages as pkg/apis/apps/validation words them."""
import pytest

from kubelab.meta import copy_of
from services.apiserver.validation import validate, validate_status_update, validate_update

from .manifests import DEPLOYMENT, REPLICASET, STATEFULSET, load, manifest, messages, stored

STS_FORBIDDEN = ("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                 "'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
                 "'minReadySeconds' are forbidden")
RU = "spec__strategy__rollingUpdate__"


@pytest.mark.parametrize("text, patches, want", [
    (DEPLOYMENT, {"spec__selector": "DELETE"}, "spec.selector: Required value"),
    (DEPLOYMENT, {"spec__selector": {}}, "spec.selector: Invalid value: {}: empty selector is invalid for deployment"),
    (REPLICASET, {"spec__selector": {}}, "spec.selector: Invalid value: {}: empty selector is invalid for deployment"),
    (STATEFULSET, {"spec__selector": {}}, "spec.selector: Invalid value: {}: empty selector is invalid for statefulset"),
    (DEPLOYMENT, {"spec__template__metadata__labels": {"app": "x"}},
     'spec.template.metadata.labels: Invalid value: {"app":"x"}: `selector` does not match template `labels`'),
    (REPLICASET, {"spec__template__metadata__labels": "DELETE"},
     "spec.template.metadata.labels: Invalid value: null: `selector` does not match template `labels`"),
    (STATEFULSET, {"spec__selector__matchLabels": {"app": "db"}},
     'spec.template.metadata.labels: Invalid value: {"app":"nginx"}: `selector` does not match template `labels`'),
    (DEPLOYMENT, {"spec__selector": {"matchExpressions": [{"key": "app", "operator": "Is", "values": ["nginx"]}]}},
     'spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"Is","values":["nginx"]}]}: '
     "invalid label selector"),
    (DEPLOYMENT, {"spec__template__spec__restartPolicy": "OnFailure"},
     'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'),
    (REPLICASET, {"spec__template__spec__restartPolicy": "Never"},
     'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'),
    (STATEFULSET, {"spec__template__spec__restartPolicy": "Never"},
     'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'),
    (DEPLOYMENT, {"spec__template__spec__activeDeadlineSeconds": 60},
     "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"),
    (STATEFULSET, {"spec__template__spec__activeDeadlineSeconds": 60},
     "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported"),
    (DEPLOYMENT, {"spec__replicas": -1}, "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
    (STATEFULSET, {"spec__replicas": -1}, "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
    (DEPLOYMENT, {"spec__template__spec__containers__0__image": "DELETE"},
     "spec.template.spec.containers[0].image: Required value"),
    (DEPLOYMENT, {"spec__strategy": {"type": "BlueGreen"}},
     'spec.strategy: Unsupported value: {"Type":"BlueGreen","RollingUpdate":null}: supported values: "Recreate", '
     '"RollingUpdate"'),
    (DEPLOYMENT, {"spec__strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}},
     "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"),
    (DEPLOYMENT, {RU + "maxUnavailable": 0, RU + "maxSurge": "0%"},
     "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"),
    (DEPLOYMENT, {RU + "maxUnavailable": "150%"},
     'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%'),
    (DEPLOYMENT, {RU + "maxSurge": "a lot"},
     """spec.strategy.rollingUpdate.maxSurge: Invalid value: "a lot": a valid percent string must be a numeric """
     """string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"""),
    (DEPLOYMENT, {RU + "maxSurge": -1},
     "spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"),
    (DEPLOYMENT, {"spec__minReadySeconds": 700},
     "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"),
    (STATEFULSET, {"spec__podManagementPolicy": "Random"},
     "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"),
    (STATEFULSET, {"spec__updateStrategy": {"type": "Canary"}},
     """spec.updateStrategy: Invalid value: {"Type":"Canary","RollingUpdate":null}: must be 'RollingUpdate' or 'OnDelete'"""),
    (STATEFULSET, {"spec__updateStrategy": {"type": "OnDelete", "rollingUpdate": {"partition": 1}}},
     """spec.updateStrategy.rollingUpdate: Invalid value: {"Partition":1,"MaxUnavailable":null}: only allowed for """
     """updateStrategy 'RollingUpdate'"""),
    (STATEFULSET, {"spec__updateStrategy": {"rollingUpdate": {"partition": -1}}},
     "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0"),
    (STATEFULSET, {"spec__updateStrategy": {"rollingUpdate": {"maxUnavailable": 0}}},
     "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0"),
    (STATEFULSET, {"spec__persistentVolumeClaimRetentionPolicy": {"whenScaled": "Keep"}},
     'spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "Keep": supported values: "Retain", '
     '"Delete"'),
    (STATEFULSET, {"spec__ordinals": {"start": -1}},
     "spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0"),
])
def test_workload_rules(text, patches, want):
    assert want in messages(validate(load(text, **patches)))


def test_documentation_workloads_are_valid():
    for text in (DEPLOYMENT, REPLICASET, STATEFULSET):
        assert validate(load(text)) == [], text


def test_a_match_expressions_selector_is_matched_against_the_template():
    sel = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["nginx", "web"]},
                                {"key": "canary", "operator": "DoesNotExist"}]}
    assert validate(load(DEPLOYMENT, spec__selector=sel)) == []
    assert messages(validate(load(DEPLOYMENT, spec__selector=sel, spec__template__metadata__labels__canary="1"))) == [
        'spec.template.metadata.labels: Invalid value: {"app":"nginx","canary":"1"}: `selector` does not match '
        "template `labels`"]


def test_all_errors_of_a_deployment_come_back_together():
    d = manifest(DEPLOYMENT)
    d["metadata"]["name"] = "Nginx"
    d["spec"]["replicas"] = -3
    d["spec"]["template"]["metadata"]["labels"] = {"app": "web"}
    d["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    d["spec"]["template"]["spec"]["containers"][0]["image"] = ""
    assert messages(validate(load(d))) == [
        'metadata.name: Invalid value: "Nginx": a lowercase RFC 1123 subdomain must consist of lower case '
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        r"'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        "spec.replicas: Invalid value: -3: must be greater than or equal to 0",
        'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
        "spec.template.spec.containers[0].image: Required value",
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    ]


def test_statefulset_template_pod_spec_is_left_to_pod_creation():
    # Kubernetes validates only the labels of a StatefulSet's template (ValidatePodTemplateSpecForStatefulSet).
    assert validate(load(STATEFULSET, spec__template__spec__containers__0__image="DELETE")) == []


def test_statefulset_may_scale_and_change_its_template():
    old = stored(load(STATEFULSET))
    new = copy_of(old)
    new.spec.replicas = 5
    new.spec.template.spec.containers[0].image = "registry.k8s.io/nginx-slim:0.27"
    new.spec.update_strategy.rolling_update.partition = 2
    new.spec.min_ready_seconds = 0
    new.spec.persistent_volume_claim_retention_policy.when_scaled = "Delete"
    new.spec.revision_history_limit = 3
    assert validate_update(new, old) == []


@pytest.mark.parametrize("change", [
    lambda s: s.volume_claim_templates[0].spec.resources.requests.__setitem__("storage", "2Gi"),
    lambda s: setattr(s, "service_name", "nginx-headless"),
    lambda s: setattr(s, "pod_management_policy", "Parallel"),
    lambda s: s.selector.match_labels.__setitem__("tier", "web"),
])
def test_statefulset_other_spec_fields_are_forbidden(change):
    old = stored(load(STATEFULSET))
    new = copy_of(old)
    change(new.spec)
    assert STS_FORBIDDEN in messages(validate_update(new, old))


def test_deployment_and_replicaset_selectors_are_immutable():
    for text in (DEPLOYMENT, REPLICASET):
        old = stored(load(text))
        new = copy_of(old)
        new.spec.selector.match_labels["track"] = "stable"
        new.spec.template.metadata.labels["track"] = "stable"
        (err,) = messages(validate_update(new, old))
        assert err.startswith('spec.selector: Invalid value: {"matchLabels":{') and err.endswith(": field is immutable")


def test_workload_status_counts():
    old = stored(load(STATEFULSET))
    new = copy_of(old)
    new.status.replicas, new.status.ready_replicas, new.status.current_replicas = 1, 2, -1
    assert messages(validate_status_update(new, old)) == [
        "status.currentReplicas: Invalid value: -1: must be greater than or equal to 0",
        "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
    ]
