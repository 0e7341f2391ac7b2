"""Name validators: verdicts and exact messages of apimachinery v1.34 `util/validation`."""

import pytest

from kubelab import validation_names as vn

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


@pytest.mark.parametrize("good", ["a", "web", "web-0", "0", "a.b.c", "example.com", "a" * 63 + "." + "b" * 63])
def test_dns1123_subdomain_accepts(good):
    assert vn.is_dns1123_subdomain(good) == []


@pytest.mark.parametrize("bad", ["", "Web", "-a", "a-", "a..b", ".a", "a_b", "a\n", "ä"])
def test_dns1123_subdomain_rejects_with_message(bad):
    assert vn.is_dns1123_subdomain(bad) == [SUBDOMAIN_MSG]


def test_dns1123_subdomain_length():
    assert vn.is_dns1123_subdomain("a" * 253) == []
    assert vn.is_dns1123_subdomain("a" * 254) == ["must be no more than 253 characters"]


def test_dns1123_label():
    assert vn.is_dns1123_label("web-0") == []
    assert vn.is_dns1123_label("a.b") == ["must not contain dots"]
    assert vn.is_dns1123_label("Web") == [LABEL_MSG]
    assert vn.is_dns1123_label("a" * 64) == ["must be no more than 63 characters"]
    assert vn.is_dns1123_label("-" * 64) == ["must be no more than 63 characters", LABEL_MSG]


def test_dns1035_label():
    assert vn.is_dns1035_label("my-svc") == []
    assert vn.is_dns1035_label("1svc") == [DNS1035_MSG]
    assert vn.is_dns1035_label("a" * 64) == ["must be no more than 63 characters"]


@pytest.mark.parametrize("good", ["app", "App_1.x-y", "example.com/app", "kubernetes.io/hostname", "a" * 63])
def test_qualified_name_accepts(good):
    assert vn.is_qualified_name(good) == []


def test_qualified_name_messages():
    assert vn.is_qualified_name("-a") == [NAME_PART_MSG]
    assert vn.is_qualified_name("") == ["name part must be non-empty", NAME_PART_MSG]
    assert vn.is_qualified_name("/a") == ["prefix part must be non-empty"]
    assert vn.is_qualified_name("Example.com/a") == ["prefix part " + SUBDOMAIN_MSG]
    assert vn.is_qualified_name("a" * 64) == ["name part must be no more than 63 characters"]
    too_many = vn.is_qualified_name("a/b/c")
    assert len(too_many) == 1 and too_many[0].startswith("a qualified name must consist of")
    assert too_many[0].endswith("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")


def test_label_value():
    assert vn.is_valid_label_value("") == []
    assert vn.is_valid_label_value("v1.2_x-y") == []
    assert vn.is_valid_label_value("-x") == [VALUE_MSG]
    assert vn.is_valid_label_value("a" * 64) == ["must be no more than 63 characters"]


def test_length_is_counted_in_bytes_like_go():
    assert vn.is_dns1123_label("é" * 32) == ["must be no more than 63 characters", LABEL_MSG]


def test_generate_name_prefix_may_end_with_dash():
    assert vn.name_is_dns_subdomain("web-", prefix=True) == []
    assert vn.name_is_dns_subdomain("web-", prefix=False) == [SUBDOMAIN_MSG]
    assert vn.name_is_dns_label("db-", prefix=True) == []
    assert vn.name_is_dns1035_label("1db-", prefix=True) == [DNS1035_MSG]
