"""`kubelab run`: kubectl's argument handling, messages and the pod it builds (pkg/cmd/run/run.go)."""
import pytest

from kubelab.cli.cmd.run import new_pod, parse_run
from kubelab.cli.main import build_parser
from kubelab.cli.session import CliError


def options(*argv):
    return parse_run(build_parser().parse_args(["run", *argv]))


def test_the_tutorials_dns_test_command():
    o = options("-i", "--tty", "--image", "busybox:1.28", "dns-test", "--restart=Never", "--rm", "--",
                "nslookup", "web-0.nginx")
    assert (o.name, o.image, o.arguments, o.restart) == ("dns-test", "busybox:1.28", ["nslookup", "web-0.nginx"],
                                                          "Never")
    assert o.stdin and o.tty and o.attach and o.remove
    pod = new_pod(o)
    assert pod.metadata.name == "dns-test" and dict(pod.metadata.labels) == {"run": "dns-test"}
    (c,) = pod.spec.containers
    assert (c.name, c.image, list(c.args), list(c.command)) == ("dns-test", "busybox:1.28",
                                                                ["nslookup", "web-0.nginx"], [])
    assert c.stdin and c.stdin_once and c.tty
    assert (pod.spec.restart_policy, pod.spec.dns_policy) == ("Never", "ClusterFirst")


def test_words_after_dash_dash_keep_their_flags():
    o = options("client", "--image", "busybox", "--", "sh", "-c", "echo -n hi")
    assert o.arguments == ["sh", "-c", "echo -n hi"]


def test_arguments_without_dash_dash_and_flags_after_the_name():
    o = options("sleeper", "--image", "busybox", "sleep", "3600", "--env", "A=1", "--env=B=x=y")
    assert (o.name, o.arguments, o.env) == ("sleeper", ["sleep", "3600"], [("A", "1"), ("B", "x=y")])


def test_command_flag_fills_command_instead_of_args():
    c = new_pod(options("x", "--image", "busybox", "--command", "--", "sleep", "5")).spec.containers[0]
    assert (list(c.command), list(c.args)) == (["sleep", "5"], [])


def test_labels_env_port_and_defaults():
    o = options("web", "--image", "nginx", "--labels", "app=web,tier=front", "--port", "80", "--env", "K=V")
    pod = new_pod(o)
    c = pod.spec.containers[0]
    assert dict(pod.metadata.labels) == {"app": "web", "tier": "front"}
    assert [p.container_port for p in c.ports] == [80]
    assert [(e.name, e.value) for e in c.env] == [("K", "V")]
    assert not (c.stdin or c.stdin_once or c.tty)
    assert pod.spec.restart_policy == "Always" and not o.attach


def test_leave_stdin_open_keeps_stdin_after_the_first_attach():
    c = new_pod(options("x", "--image", "busybox", "-i", "--leave-stdin-open")).spec.containers[0]
    assert c.stdin and not c.stdin_once


def test_attach_without_stdin_and_no_attach_with_it():
    assert options("x", "--image", "busybox", "--attach").attach
    assert not options("x", "--image", "busybox", "-i", "--no-attach").attach


@pytest.mark.parametrize("argv, message", [
    (["x", "--image", "busybox", "--rm"], "error: --rm should only be used for attached containers"),
    (["x"], 'error: required flag(s) "image" not set'),
    (["--image", "busybox"], "error: NAME is required for run"),
    (["--image", "busybox", "--", "sh"], "error: NAME is required for run"),
    (["x", "--image", "busybox", "-t"], "error: -i/--stdin is required for containers with -t/--tty=true"),
    (["x", "--image", "busybox", "--port", "http"], "error: --port must be a number"),
    (["x", "--image", "busybox", "--restart", "always"],
     "error: invalid restart policy: always, valid values are: Always, OnFailure, Never"),
    (["x", "--image", "busybox", "--env", "NOVALUE"], "error: invalid env: NOVALUE"),
    (["x", "--image", "busybox", "--env", "=v"], "error: invalid env: =v"),
    (["x", "--image", "busybox", "--env", "1A=v"], "error: invalid env: 1A=v"),
    (["x", "--image", "busybox", "-l", "a=b=c"], "error: unexpected label spec: a=b=c"),
    (["x", "--image", "busybox", "-l", "=b"], "error: unexpected empty label key"),
    (["x", "--image", "busybox", "--bogus"], "error: unknown flag: --bogus"),
])
def test_bad_input_gets_kubectls_message(argv, message):
    with pytest.raises(CliError) as e:
        options(*argv)
    assert str(e.value) == message
