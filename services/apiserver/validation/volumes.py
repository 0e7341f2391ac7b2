"""Volume sources (in pods and PersistentVolumes) and node selectors (k/k core validation).

Exactly one source per volume: the first one set counts, every further one is `Forbidden: may not
specify more than 1 volume type`, checked in Kubernetes' order.
"""
from __future__ import annotations

import posixpath

from kubelab.fielderrors import Path, forbidden, invalid, not_supported, required, too_long
from kubelab.validation_names import is_valid_label_value, name_is_dns_subdomain

from .common import Errors
from .containers import validate_path_no_backsteps
from .meta import validate_label_name
from .projected import FILE_MODE_ERROR, key_to_paths, validate_downward_api_source, validate_projected_source

__all__ = ["validate_volume_source", "validate_node_selector", "validate_node_selector_term",
           "validate_host_path", "HOST_PATH_TYPES"]

HOST_PATH_TYPES = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File",
                   "FileOrCreate", "Socket"]
# (proto field, JSON name), in the order Kubernetes checks them.
_POD_SOURCES = [("empty_dir", "emptyDir"), ("host_path", "hostPath"), ("gce_persistent_disk", "gcePersistentDisk"),
                ("secret", "secret"), ("nfs", "nfs"), ("persistent_volume_claim", "persistentVolumeClaim"),
                ("downward_api", "downwardAPI"), ("config_map", "configMap"), ("projected", "projected")]
_PV_SOURCES = [("host_path", "hostPath"), ("gce_persistent_disk", "gcePersistentDisk"), ("nfs", "nfs"),
               ("local", "local"), ("csi", "csi")]


def validate_host_path(hp, path: Path) -> Errors:
    if not hp.path:
        return [required(path.child("path"))]
    errs = validate_path_no_backsteps(hp.path, path.child("path"))
    if hp.HasField("type") and hp.type not in HOST_PATH_TYPES:
        errs.append(not_supported(path.child("type"), hp.type, HOST_PATH_TYPES))
    return errs


def _source(kind: str, src, path: Path) -> Errors:
    """The rules of one source; `path` is where Kubernetes reports them (GCE PD's is a known oddity)."""
    errs: Errors = []
    if kind == "host_path":
        errs += validate_host_path(src, path)
    elif kind == "gce_persistent_disk":
        if not src.pd_name:
            errs.append(required(path.child("pdName")))
        if not 0 <= src.partition <= 255:
            errs.append(invalid(path.child("partition"), src.partition, "must be between 1 and 255, inclusive"))
    elif kind == "nfs":
        if not src.server:
            errs.append(required(path.child("server")))
        if not src.path:
            errs.append(required(path.child("path")))
        if not posixpath.isabs(src.path):
            errs.append(invalid(path.child("path"), src.path, "must be an absolute path"))
    elif kind == "persistent_volume_claim":
        if not src.claim_name:
            errs.append(required(path.child("claimName")))
    elif kind in ("secret", "config_map"):
        name = src.secret_name if kind == "secret" else src.name
        if not name:
            errs.append(required(path.child("secretName" if kind == "secret" else "name")))
        if src.HasField("default_mode") and not 0 <= src.default_mode <= 0o777:
            errs.append(invalid(path.child("defaultMode"), src.default_mode, FILE_MODE_ERROR))
        errs += key_to_paths(src.items, path.child("items"))
    elif kind in ("downward_api", "projected"):
        errs += (validate_downward_api_source if kind == "downward_api" else validate_projected_source)(src, path)
    elif kind == "local":
        if not src.path:
            return [required(path.child("path"))]
        errs += validate_path_no_backsteps(src.path, path.child("path"))
    elif kind == "csi":
        errs += _csi_driver_name(src.driver, path.child("driver"))
        if not src.volume_handle:
            errs.append(required(path.child("volumeHandle")))
    return errs


def _csi_driver_name(driver: str, path: Path) -> Errors:
    errs: Errors = []
    if not driver:
        errs.append(required(path))
    if len(driver) > 63:
        errs.append(too_long(path, "", 63))
    return errs + [invalid(path, driver, m) for m in name_is_dns_subdomain(driver.lower())]


def validate_volume_source(holder, path: Path, pod_volume: bool) -> Errors:
    """Exactly one volume source on a pod Volume (`pod_volume`) or a PersistentVolumeSpec."""
    errs: Errors = []
    count = 0
    for kind, json_name in (_POD_SOURCES if pod_volume else _PV_SOURCES):
        if not holder.HasField(kind):
            continue
        if count:
            errs.append(forbidden(path.child(json_name), "may not specify more than 1 volume type"))
            continue
        count += 1
        where = path.child("persistentDisk" if kind == "gce_persistent_disk" else json_name)
        errs += _source(kind, getattr(holder, kind), where)
    if count == 0:
        errs.append(required(path, "must specify a volume type"))
    return errs


def _requirement(req, path: Path, strict_values: bool) -> Errors:
    errs: Errors = []
    op, values = req.operator, list(req.values)
    if op in ("In", "NotIn"):
        if not values:
            errs.append(required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
    elif op in ("Exists", "DoesNotExist"):
        if values:
            errs.append(forbidden(path.child("values"),
                                  "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    elif op in ("Gt", "Lt"):
        if len(values) != 1:
            errs.append(required(path.child("values"),
                                 "must be specified single value when `operator` is 'Lt' or 'Gt'"))
    else:
        errs.append(invalid(path.child("operator"), op, "not a valid selector operator"))
    errs += validate_label_name(req.key, path.child("key"))
    if strict_values:
        for i, v in enumerate(values):
            errs += [invalid(path.child("values").index(i), v, m) for m in is_valid_label_value(v)]
    return errs


def _field_requirement(req, path: Path) -> Errors:
    errs: Errors = []
    if req.operator in ("In", "NotIn"):
        if len(req.values) != 1:
            errs.append(required(path.child("values"), "must be only one value when `operator` is 'In' or "
                                                       "'NotIn' for node field selector"))
    else:
        errs.append(invalid(path.child("operator"), req.operator, "not a valid selector operator"))
    if req.key != "metadata.name":
        errs.append(invalid(path.child("key"), req.key, "not a valid field selector key"))
    else:
        for i, v in enumerate(req.values):
            errs += [invalid(path.child("values").index(i), v, m) for m in name_is_dns_subdomain(v)]
    return errs


def validate_node_selector_term(term, path: Path, strict_values: bool = True) -> Errors:
    errs: Errors = []
    for j, req in enumerate(term.match_expressions):
        errs += _requirement(req, path.child("matchExpressions").index(j), strict_values)
    for j, req in enumerate(term.match_fields):
        errs += _field_requirement(req, path.child("matchFields").index(j))
    return errs


def validate_node_selector(sel, path: Path) -> Errors:
    """ValidateNodeSelector: at least one term, each with valid requirements."""
    terms_path = path.child("nodeSelectorTerms")
    if not sel.node_selector_terms:
        return [required(terms_path, "must have at least one node selector term")]
    errs: Errors = []
    for i, term in enumerate(sel.node_selector_terms):
        errs += validate_node_selector_term(term, terms_path.index(i))
    return errs

