"""The built-in nslookup's output, busybox 1.28's (`networking/nslookup.c` at 1_28_4), formatted from a
resolver and a reverse lookup handed in (the real ones are getaddrinfo and getnameinfo)."""
from services.kubelet.builtin import nslookup

PTR = {"198.19.0.10": "kube-dns.kube-system.svc.cluster.local",
       "198.18.1.6": "web-0.nginx.default.svc.cluster.local"}
NAMES = {"198.19.0.10": ["198.19.0.10"], "web-0.nginx": ["198.18.1.6"],
         "two": ["198.18.1.7", "198.18.2.9"]}


def resolve(name):
    if name not in NAMES:
        raise OSError(-2, "Name or service not known")
    return NAMES[name]


def test_the_statefulset_tutorials_output():
    out, err, code = nslookup.lookup("web-0.nginx", "198.19.0.10", resolve, PTR.get)
    assert out == ("Server:    198.19.0.10\n"
                   "Address 1: 198.19.0.10 kube-dns.kube-system.svc.cluster.local\n"
                   "\n"
                   "Name:      web-0.nginx\n"
                   "Address 1: 198.18.1.6 web-0.nginx.default.svc.cluster.local\n")
    assert (err, code) == ("", 0)


def test_addresses_without_a_ptr_name_end_the_line():
    out, _, _ = nslookup.lookup("two", "198.19.0.10", resolve, lambda ip: None)
    assert out.splitlines()[-3:] == ["Name:      two", "Address 1: 198.18.1.7", "Address 2: 198.18.2.9"]


def test_a_name_that_does_not_resolve():
    out, err, code = nslookup.lookup("web-9.nginx", "198.19.0.10", resolve, PTR.get)
    assert out == "Server:    198.19.0.10\nAddress 1: 198.19.0.10 kube-dns.kube-system.svc.cluster.local\n\n"
    assert (err, code) == ("nslookup: can't resolve 'web-9.nginx'\n", 1)


def test_first_nameserver_of_resolv_conf():
    text = "search default.svc.cluster.local svc.cluster.local\nnameserver 198.19.0.10\nnameserver 1.1.1.1\n" \
           "options ndots:5\n"
    assert nslookup.first_nameserver(text) == "198.19.0.10"
    assert nslookup.first_nameserver("search x\n") == "127.0.0.1"


def test_usage_on_no_name(capsys):
    assert nslookup.main([]) == 1
    assert "Usage: nslookup [HOST] [SERVER]" in capsys.readouterr().err
