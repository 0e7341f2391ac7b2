"""kubectl describe pages for ConfigMaps and Secrets (kubectl pkg/describe/describe.go describeConfigMap,
describeSecret). A Secret's values are never shown, only their sizes (a service account token excepted,
as kubectl does); keys are listed in order (Go's map order is random)."""

from __future__ import annotations

from google.protobuf.message import Message

from kubelab.cli.describe.page import PrefixWriter, Related, annotations_multiline, labels_multiline

__all__ = ["describe_config_map", "describe_secret"]

SERVICE_ACCOUNT_TOKEN_TYPE = "kubernetes.io/service-account-token"


def _header(w: PrefixWriter, obj: Message) -> None:
    w.write(0, f"Name:\t{obj.metadata.name}\n")
    w.write(0, f"Namespace:\t{obj.metadata.namespace}\n")
    labels_multiline(w, "Labels", obj.metadata.labels)
    annotations_multiline(w, "Annotations", obj.metadata.annotations)


def describe_config_map(cm: Message, related: Related, w: PrefixWriter) -> None:
    _header(w, cm)
    w.write(0, "\nData\n====\n")
    for key in sorted(cm.data):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{cm.data[key]}\n")
    w.write(0, "\nBinaryData\n====\n")
    for key in sorted(cm.binary_data):
        w.write(0, f"{key}: {len(cm.binary_data[key])} bytes\n")
    w.write(0, "\n")


def describe_secret(secret: Message, related: Related, w: PrefixWriter) -> None:
    _header(w, secret)
    w.write(0, f"\nType:\t{secret.type}\n")
    w.write(0, "\nData\n====\n")
    for key in sorted(secret.data):
        value = secret.data[key]
        if key == "token" and secret.type == SERVICE_ACCOUNT_TOKEN_TYPE:
            w.write(0, f"{key}:\t{value.decode('utf-8', 'replace')}\n")
        else:
            w.write(0, f"{key}:\t{len(value)} bytes\n")
    related.events = None  # kubectl's Secret page has no events
