"""`kubelab logs` / `kubelab exec`: parsing, container choice, the kubelet's address."""
import pytest

from kubelab.api.v1 import core_pb2
from kubelab.cli.cmd.exec import split_exec_args
from kubelab.cli.kubelet import DEFAULT_CONTAINER_ANNOTATION, choose_container, kubelet_address
from kubelab.cli.main import build_parser
from kubelab.cli.session import CliError


def parse(*argv):
    args = build_parser().parse_args(list(argv))
    return split_exec_args(args) if argv[0] == "exec" else args


def test_exec_flags_before_and_after_the_pod():
    a = parse("exec", "web", "-c", "nginx", "--", "ls", "-la")
    assert (a.pod, a.container, a.command) == ("web", "nginx", ["ls", "-la"])
    a = parse("exec", "-it", "web", "--", "sh", "-c", "echo -n hi")
    assert a.stdin and a.tty and a.command == ["sh", "-c", "echo -n hi"]
    a = parse("exec", "web", "-n", "prod", "--", "cat", "-n", "f")
    assert a.namespace == "prod" and a.command == ["cat", "-n", "f"]
    with pytest.raises(CliError, match="put the command after --"):
        parse("exec", "web", "-c", "x")


def test_logs_flags():
    a = parse("logs", "pod/web", "-f", "-p", "-c", "x", "--tail", "5", "--since", "2m", "--timestamps")
    assert (a.pod, a.follow, a.previous, a.container, a.tail, a.since, a.timestamps) == (
        "pod/web", True, True, "x", 5, "2m", True)


def new_pod(*names, init=(), default=None):
    p = core_pb2.Pod()
    p.metadata.name = "web"
    p.spec.containers.extend(core_pb2.Container(name=n) for n in names)
    p.spec.init_containers.extend(core_pb2.Container(name=n) for n in init)
    if default:
        p.metadata.annotations[DEFAULT_CONTAINER_ANNOTATION] = default
    return p


def test_choose_container(capsys):
    assert choose_container(new_pod("a"), None, "logs") == "a"
    assert capsys.readouterr().err == ""
    assert choose_container(new_pod("a", "b", init=("i",)), None, "logs") == "a"
    assert capsys.readouterr().err == 'Defaulted container "a" out of: a, b, i (init)\n'
    assert choose_container(new_pod("a", "b", default="b"), None, "logs") == "b"
    assert choose_container(new_pod("a", init=("i",)), "i", "logs") == "i"
    with pytest.raises(CliError, match="container z is not valid for pod web"):
        choose_container(new_pod("a"), "z", "logs")


def test_kubelet_address():
    n = core_pb2.Node()
    n.metadata.name = "node-1"
    with pytest.raises(CliError, match="does not report"):
        kubelet_address(n)
    n.status.addresses.add(type="Hostname", address="node-1")
    n.status.addresses.add(type="InternalIP", address="127.1.1.1")
    n.status.daemon_endpoints.kubelet_endpoint.port = 10250
    assert kubelet_address(n) == "127.1.1.1:10250"
