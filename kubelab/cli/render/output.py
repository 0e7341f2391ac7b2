"""`-o json|yaml|name|jsonpath=`: objects as kubectl prints them.

kubectl prints objects through unstructured maps, so keys come out sorted; JSON is indented with
four spaces and HTML-escaped as Go's encoder does; several objects become a `v1 List`.
Timestamps have second precision (metav1.Time) or microseconds (metav1.MicroTime).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any, Iterable

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.cli.render import jsonpath
from kubelab.cli.session import CliError
from kubelab.manifest import to_dict

__all__ = ["object_dict", "list_dict", "dumps_json", "dumps_yaml", "object_name", "render_objects"]

# metav1.MicroTime fields; every other Timestamp is a metav1.Time.
_MICRO_TIME_FIELDS = {"event_time", "renew_time", "acquire_time", "last_observed_time"}


def _format_time(value: str, micro: bool) -> str:
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    except ValueError:
        return value
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def _fix_times(msg_desc, data: Any) -> None:
    if not isinstance(data, dict):
        return
    fields = {f.json_name: f for f in msg_desc.fields}
    for key, value in data.items():
        f = fields.get(key)
        if f is None or f.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        mt = f.message_type
        if mt.full_name == "google.protobuf.Timestamp" and isinstance(value, str):
            data[key] = _format_time(value, f.name in _MICRO_TIME_FIELDS)
        elif mt.GetOptions().map_entry:
            vf = mt.fields_by_name["value"]
            if vf.type == FieldDescriptor.TYPE_MESSAGE and isinstance(value, dict):
                for v in value.values():
                    _fix_times(vf.message_type, v)
        elif not mt.full_name.startswith("google.protobuf."):
            for item in value if isinstance(value, list) else [value]:
                _fix_times(mt, item)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def object_dict(obj: Message) -> dict[str, Any]:
    """Kubernetes JSON of one object: apiVersion, kind, metadata, spec, status; keys sorted."""
    data = to_dict(obj)
    _fix_times(obj.DESCRIPTOR, data)
    return _sorted(data)


def list_dict(objs: Iterable[Message]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": [object_dict(o) for o in objs], "kind": "List",
            "metadata": {"resourceVersion": ""}}


def dumps_json(data: Any) -> str:
    text = json.dumps(data, indent=4, ensure_ascii=False)
    # Go's encoder escapes HTML-significant characters; they can only occur inside strings.
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e") + "\n"


_STR = "tag:yaml.org,2002:str"


def _str_presenter(dumper, value: str):
    """go-yaml's choices: literal blocks for multi-line strings, double quotes when quoting is needed."""
    import yaml

    style = None
    if "\n" in value:
        style = "|"
    elif (value == "" or dumper.resolve(yaml.ScalarNode, value, (True, False)) != _STR
          or not dumper.analyze_scalar(value).allow_block_plain):
        style = '"'
    return dumper.represent_scalar(_STR, value, style=style)


@functools.cache
def _dumper():
    """The YAML dumper, built on first use: yaml is imported only by commands that print YAML."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, _str_presenter)
    return Dumper


def dumps_yaml(data: Any) -> str:
    import yaml

    return yaml.dump(data, Dumper=_dumper(), sort_keys=True, default_flow_style=False, allow_unicode=True,
                     width=float("inf"))


def object_name(obj: Message) -> str:
    """`-o name`: `pod/web-0`, `deployment.apps/web`."""
    info = registry.kind_of(obj)
    prefix = f"{info.singular}.{info.group}" if info.group else info.singular
    return f"{prefix}/{obj.metadata.name}"


def render_objects(objs: list[Message], output: str, *, single: bool) -> str:
    """Render for -o json|yaml|name|jsonpath=...; `single`: one object asked for by name."""
    if output == "name":
        return "".join(object_name(o) + "\n" for o in objs)
    data = object_dict(objs[0]) if single and len(objs) == 1 else list_dict(objs)
    if output == "json":
        return dumps_json(data)
    if output == "yaml":
        return dumps_yaml(data)
    if output.startswith("jsonpath="):
        try:
            return jsonpath.render(data, output[len("jsonpath="):])
        except jsonpath.JSONPathError as e:
            raise CliError(f"error: error parsing jsonpath {output[len('jsonpath='):]}, {e}") from None
    raise ValueError(output)
