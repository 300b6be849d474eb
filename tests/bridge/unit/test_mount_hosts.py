"""Which Host values a mount serves: patterns match the host name, or name and port when
they carry one (fnmatch patterns: an IPv6 literal's brackets would be a character class)."""

from __future__ import annotations

import pytest

from rest_bridge.app import Mount
from rest_bridge.request_head import read_head

ANY_NAME_ON_8000 = Mount("agentchassis", hosts=("*:8000", "agentchassis.localhost"))


@pytest.mark.parametrize(
    ("authority", "served"),
    [
        ("localhost:8000", True),
        ("192.0.2.7:8000", True),
        ("[::1]:8000", True),
        ("agentchassis.localhost", True),
        ("agentchassis.localhost:8080", True),  # a pattern without a port: any port
        ("localhost:8080", False),
        ("localhost:80000", False),
        ("localhost:18000", False),
        ("localhost", False),
        ("[::1]", False),
    ],
)
def test_a_pattern_with_a_port_matches_name_and_port(authority: str, served: bool) -> None:
    assert ANY_NAME_ON_8000.serves_host(authority) is served


def test_a_pattern_without_a_port_ignores_it() -> None:
    named = Mount("chittyos-ai", hosts=("ai.*",))
    assert named.serves_host("ai.localhost") and named.serves_host("ai.localhost:8000")
    assert not Mount("crispy", hosts=("localhost:8000",)).serves_host("localhost:8080")
    assert Mount("crispy").serves_host("anything:1")


def test_the_request_head_keeps_the_port_for_the_mounts() -> None:
    head = read_head([(b"host", b"LocalHost:8000")])
    assert (head.host, head.authority) == ("localhost", "localhost:8000")
    # An IPv6 literal's colons are not a port.
    assert read_head([(b"host", b"[::1]")]).host == "[::1]"
    assert read_head([(b"host", b"[::1]:8000")]).host == "[::1]"
