"""A controller written with the official client, as a student would: every ConfigMap labelled
`mirror=yes` gets a copy named `<name>-mirror`. List, then watch from the list's resourceVersion;
on any failure (the API server gone, a 410) start over, so it survives API server restarts."""
import threading
import time

import urllib3
from kubernetes import client, watch


def reconcile(v1: client.CoreV1Api, cm) -> None:
    if (cm.metadata.labels or {}).get("mirror") != "yes":
        return
    copy = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"{cm.metadata.name}-mirror"), data=cm.data)
    try:
        v1.create_namespaced_config_map(cm.metadata.namespace, copy)
    except client.ApiException as e:
        if e.status != 409:  # already mirrored
            raise


def run(v1: client.CoreV1Api, namespace: str, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            listed = v1.list_namespaced_config_map(namespace)
            for cm in listed.items:
                reconcile(v1, cm)
            for event in watch.Watch().stream(v1.list_namespaced_config_map, namespace, timeout_seconds=2,
                                              resource_version=listed.metadata.resource_version):
                if event["type"] in ("ADDED", "MODIFIED"):
                    reconcile(v1, event["object"])
        except (client.ApiException, urllib3.exceptions.HTTPError, OSError):
            time.sleep(0.2)
