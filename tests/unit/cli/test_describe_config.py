"""ConfigMap and Secret pages and rows, and the projected/downwardAPI volumes of a pod page, as kubectl prints them."""
from kubelab.cli.describe import Related, describe
from kubelab.cli.render.table import header, row
from tests.unit.cli.helpers import NOW, ago, obj, pod

CM = obj("""
apiVersion: v1
kind: ConfigMap
metadata: {{name: game, namespace: default, creationTimestamp: "{t}", labels: {{app: game}}}}
data: {{lives: "3", game.properties: "enemies=aliens"}}
binaryData: {{icon: iVBORw==}}
""", t=ago(90))
SECRET = obj("""
apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: default, creationTimestamp: "{t}"}}
type: kubernetes.io/basic-auth
data: {{username: YWRtaW4=, password: czNjcjN0}}
""", t=ago(3600))


def test_rows():
    assert header("ConfigMap") == ["NAME", "DATA", "AGE"] and row(CM, "ConfigMap", NOW) == ["game", "3", "90s"]
    assert header("Secret") == ["NAME", "TYPE", "DATA", "AGE"]
    assert row(SECRET, "Secret", NOW) == ["db", "kubernetes.io/basic-auth", "2", "60m"]


def test_config_map_page():
    assert describe(CM, "ConfigMap", Related(events=[], now=NOW)) == (
        "Name:         game\nNamespace:    default\nLabels:       app=game\nAnnotations:  <none>\n\n"
        "Data\n====\ngame.properties:\n----\nenemies=aliens\nlives:\n----\n3\n\n"
        "BinaryData\n====\nicon: 4 bytes\n\nEvents:  <none>\n")


def test_secret_page_shows_sizes_only():
    assert describe(SECRET, "Secret", Related(events=[], now=NOW)) == (
        "Name:         db\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\n"
        "Type:  kubernetes.io/basic-auth\n\nData\n====\npassword:  6 bytes\nusername:  5 bytes\n")


def test_projected_and_downward_api_volumes_on_the_pod_page():
    p = pod(spec={"volumes": [
        {"name": "all", "projected": {"sources": [{"configMap": {"name": "cfg"}}, {"secret": {"name": "s"}},
                                                  {"downwardAPI": {"items": []}}]}},
        {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}]})
    page = describe(p, "Pod", Related())
    volumes = page[page.index("Volumes:"):page.index("QoS Class")]
    assert volumes == (
        "Volumes:\n  all:\n"
        "    Type:                Projected (a volume that contains injected data from multiple sources)\n"
        "    ConfigMapName:       cfg\n    ConfigMapOptional:   <nil>\n"
        "    SecretName:          s\n    SecretOptionalName:  <nil>\n    DownwardAPI:         true\n"
        "  info:\n    Type:  DownwardAPI (a volume populated by information about the pod)\n    Items:\n"
        "      metadata.labels -> labels\n")
