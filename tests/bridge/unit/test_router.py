"""Router: precedence, 404 vs 405, HEAD, custom verbs, decoding, and a brute-force oracle."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rest_bridge.path_template import PathTemplate, SegmentKind, TemplateError, parse_template
from rest_bridge.router import MalformedPath, Match, MethodNotAllowed, NotFound, Router


def router_of(*routes: tuple[str, str]) -> Router:
    """Each route's target is "METHOD template", so assertions read naturally."""
    router = Router()
    for method, template in routes:
        router.add(method, template, f"{method} {template}")
    return router


def target(router: Router, method: str, path: str) -> str:
    return str(router.match(method, path).target)


# --- basics -------------------------------------------------------------------------------


def test_match_returns_target_and_variables() -> None:
    router = router_of(("GET", "/chat/{session_id}/history"))
    result = router.match("GET", "/chat/s-1/history")
    assert isinstance(result, Match)
    assert result == Match("GET /chat/{session_id}/history", {"session_id": "s-1"})
    assert result.target == "GET /chat/{session_id}/history"
    assert result.variables == {"session_id": "s-1"}


def test_targets_can_be_any_object() -> None:
    router = Router()
    handler = object()
    router.add("POST", "/v1/chat/completions", handler)
    assert router.match("POST", "/v1/chat/completions").target is handler


def test_variable_over_a_literal_still_binds() -> None:
    router = router_of(("GET", "/v1/{kind=users}"), ("GET", "/v1/{kind=users}/x:run"))
    assert router.match("GET", "/v1/users").variables == {"kind": "users"}
    assert router.match("GET", "/v1/users/x:run").variables == {"kind": "users"}


def test_bare_wildcards_match_without_capturing() -> None:
    router = router_of(("GET", "/static/*/x"), ("GET", "/assets/**"))
    assert router.match("GET", "/static/a/x").variables == {}
    assert router.match("GET", "/assets/a/b/c").variables == {}


def test_multi_segment_variables() -> None:
    router = router_of(
        ("GET", "/v1/{name=projects/*/locations/*}"),
        ("POST", "/v1/{parent=projects/*}/datasets"),
        ("GET", "/v1/blobs/{path=**}"),
    )
    assert router.match("GET", "/v1/projects/p/locations/l").variables == {
        "name": "projects/p/locations/l"
    }
    assert router.match("POST", "/v1/projects/p/datasets").variables == {"parent": "projects/p"}
    assert router.match("GET", "/v1/blobs/a/b/c.txt").variables == {"path": "a/b/c.txt"}
    assert router.match("GET", "/v1/blobs").variables == {"path": ""}


# --- percent-decoding ---------------------------------------------------------------------


def test_single_segment_variable_decodes_slash_and_unicode() -> None:
    router = router_of(("GET", "/users/{id}"))
    assert router.match("GET", "/users/a%2Fb").variables == {"id": "a/b"}
    assert router.match("GET", "/users/caf%C3%A9").variables == {"id": "café"}
    assert router.match("GET", "/users/%3A%3F%23").variables == {"id": ":?#"}


def test_multi_segment_variable_keeps_reserved_characters_escaped() -> None:
    router = router_of(("GET", "/files/{path=**}"))
    assert router.match("GET", "/files/a%2Fb/c").variables == {"path": "a%2Fb/c"}
    assert router.match("GET", "/files/caf%C3%A9/%24%26").variables == {"path": "café/%24%26"}
    assert router.match("GET", "/files/x%20y").variables == {"path": "x y"}


def test_literals_are_compared_after_decoding() -> None:
    router = router_of(("GET", "/v1/things"), ("GET", "/v1/a%2Fb"))
    assert target(router, "GET", "/v1/th%69ngs") == "GET /v1/things"
    assert target(router, "GET", "/v1/a%2fb") == "GET /v1/a%2Fb"
    with pytest.raises(NotFound):
        router.match("GET", "/v1/a/b")  # a real '/' is a separator, %2F is not


def test_encoded_slash_does_not_split_segments() -> None:
    router = router_of(("GET", "/users/{id}"), ("GET", "/users/{id}/posts"))
    assert target(router, "GET", "/users/a%2Fposts") == "GET /users/{id}"


@pytest.mark.parametrize("path", ["/users/%ZZ", "/users/%", "/users/%C3", "/nowhere/%2"])
def test_malformed_escapes_raise_malformed_path(path: str) -> None:
    router = router_of(("GET", "/users/{id}"))
    with pytest.raises(MalformedPath) as info:
        router.match("GET", path)
    assert isinstance(info.value, NotFound)  # callers that only know 404 still work
    assert info.value.path == path
    assert router.allowed_methods(path) == ()


# --- precedence ---------------------------------------------------------------------------

PRECEDENCE_CASES = [
    # (routes, path, expected winner)
    ((("GET", "/memory/{id}"), ("GET", "/memory/stats")), "/memory/stats", "GET /memory/stats"),
    (
        (("GET", "/agents/{agentId}"), ("GET", "/agents/types")),
        "/agents/types",
        "GET /agents/types",
    ),
    ((("GET", "/v1/{name=**}"), ("GET", "/v1/{id}")), "/v1/x", "GET /v1/{id}"),
    ((("GET", "/v1/**"), ("GET", "/v1/*/b")), "/v1/a/b", "GET /v1/*/b"),
    (
        (("GET", "/v1/{name=projects/**}"), ("GET", "/v1/{name=projects/*/locations/**}")),
        "/v1/projects/p/locations/l",
        "GET /v1/{name=projects/*/locations/**}",
    ),
    ((("GET", "/v1/{a}/{b}"), ("GET", "/v1/{a}/x")), "/v1/q/x", "GET /v1/{a}/x"),
    # Left to right: the earlier literal wins even against more literals later on.
    ((("GET", "/{p}/b/c"), ("GET", "/a/{x}/{y}")), "/a/b/c", "GET /a/{x}/{y}"),
    # Backtracking: the literal branch fails deeper, so the variable branch is used.
    ((("GET", "/a/x"), ("GET", "/{p}/y")), "/a/y", "GET /{p}/y"),
    # A template ending at the path's end beats `**` matching zero segments.
    ((("GET", "/v1/{rest=**}"), ("GET", "/v1")), "/v1", "GET /v1"),
]


@pytest.mark.parametrize(("routes", "path", "expected"), PRECEDENCE_CASES)
def test_precedence_ignores_registration_order(
    routes: tuple[tuple[str, str], ...], path: str, expected: str
) -> None:
    for order in itertools.permutations(routes):
        assert target(router_of(*order), "GET", path) == expected


def test_variable_still_matches_other_values() -> None:
    router = router_of(("GET", "/memory/stats"), ("GET", "/memory/{id}"))
    assert router.match("GET", "/memory/m1") == Match("GET /memory/{id}", {"id": "m1"})


def test_precedence_is_per_method() -> None:
    router = router_of(("GET", "/memory/stats"), ("DELETE", "/memory/{id}"))
    assert router.match("DELETE", "/memory/stats").variables == {"id": "stats"}
    assert router.allowed_methods("/memory/stats") == ("DELETE", "GET", "HEAD")


# --- 404, 405 and Allow -------------------------------------------------------------------


def test_unknown_path_is_not_found() -> None:
    router = router_of(("GET", "/chat"))
    with pytest.raises(NotFound) as info:
        router.match("GET", "/nope")
    assert not isinstance(info.value, MalformedPath)
    assert router.allowed_methods("/nope") == ()


def test_known_path_wrong_method_lists_every_matching_method() -> None:
    router = router_of(
        ("GET", "/api/tasks/{id}"),
        ("PUT", "/api/tasks/{id}"),
        ("DELETE", "/api/tasks/{id}"),
        ("POST", "/api/tasks"),
        ("PATCH", "/api/tasks/special"),
    )
    with pytest.raises(MethodNotAllowed) as info:
        router.match("POST", "/api/tasks/t1")
    assert info.value.allowed == ("DELETE", "GET", "HEAD", "PUT")
    assert info.value.method == "POST"
    assert router.allowed_methods("/api/tasks/t1") == ("DELETE", "GET", "HEAD", "PUT")
    # A literal route for another method also counts for its path.
    assert router.allowed_methods("/api/tasks/special") == ("DELETE", "GET", "HEAD", "PATCH", "PUT")


def test_allow_without_get_has_no_head() -> None:
    router = router_of(("POST", "/chat"), ("DELETE", "/chat"))
    with pytest.raises(MethodNotAllowed) as info:
        router.match("GET", "/chat")
    assert info.value.allowed == ("DELETE", "POST")


def test_method_unknown_to_the_router_is_405_not_404() -> None:
    router = router_of(("GET", "/chat"))
    with pytest.raises(MethodNotAllowed) as info:
        router.match("BREW", "/chat")
    assert info.value.allowed == ("GET", "HEAD")


def test_options_is_not_special() -> None:
    router = router_of(("GET", "/chat"))
    with pytest.raises(MethodNotAllowed):
        router.match("OPTIONS", "/chat")
    router.add("OPTIONS", "/chat", "options")
    assert router.match("OPTIONS", "/chat").target == "options"
    assert router.allowed_methods("/chat") == ("GET", "HEAD", "OPTIONS")


def test_methods_are_case_sensitive() -> None:
    router = router_of(("GET", "/chat"))
    with pytest.raises(MethodNotAllowed):
        router.match("get", "/chat")


# --- HEAD ---------------------------------------------------------------------------------


def test_head_falls_back_to_get() -> None:
    router = router_of(("GET", "/v2/memory/{id}"), ("GET", "/health"))
    assert router.match("HEAD", "/v2/memory/m1") == Match("GET /v2/memory/{id}", {"id": "m1"})
    assert target(router, "HEAD", "/health") == "GET /health"


def test_explicit_head_route_wins_over_get() -> None:
    router = router_of(("GET", "/health"), ("HEAD", "/health"), ("GET", "/items/stats"))
    router.add("HEAD", "/items/{id}", "HEAD /items/{id}")
    assert target(router, "HEAD", "/health") == "HEAD /health"
    # An explicit HEAD route beats the GET fallback even when GET's template is more specific.
    assert target(router, "HEAD", "/items/stats") == "HEAD /items/{id}"
    assert router.allowed_methods("/health") == ("GET", "HEAD")


def test_head_without_get_is_405() -> None:
    router = router_of(("POST", "/chat"))
    with pytest.raises(MethodNotAllowed) as info:
        router.match("HEAD", "/chat")
    assert info.value.allowed == ("POST",)


# --- strictness ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/chat/", "//chat", "/chat//history", "", "chat", "/"])
def test_trailing_slash_and_empty_segments_do_not_match(path: str) -> None:
    router = router_of(("GET", "/chat"), ("GET", "/chat/{id}"), ("GET", "/chat/{id}/history"))
    with pytest.raises(NotFound):
        router.match("GET", path)


def test_query_string_is_not_stripped_by_the_router() -> None:
    router = router_of(("GET", "/chat"))
    with pytest.raises(NotFound):
        router.match("GET", "/chat?x=1")


# --- custom verbs -------------------------------------------------------------------------

VERB_ROUTES = (
    ("GET", "/v1/things/{id}"),
    ("DELETE", "/v1/things/{id}"),
    ("POST", "/v1/things/{id}:cancel"),
    ("POST", "/v1/things:batchGet"),
)


@pytest.mark.parametrize("routes", list(itertools.permutations(VERB_ROUTES)))
def test_verb_routes_win_regardless_of_order(routes: tuple[tuple[str, str], ...]) -> None:
    router = router_of(*routes)
    assert router.match("POST", "/v1/things/abc:cancel") == Match(
        "POST /v1/things/{id}:cancel", {"id": "abc"}
    )
    assert target(router, "GET", "/v1/things/abc") == "GET /v1/things/{id}"
    assert target(router, "POST", "/v1/things:batchGet") == "POST /v1/things:batchGet"
    # A verb-less template does not swallow ":cancel" for another method: 405, not id="abc:cancel".
    with pytest.raises(MethodNotAllowed) as info:
        router.match("GET", "/v1/things/abc:cancel")
    assert info.value.allowed == ("POST",)
    assert router.allowed_methods("/v1/things/abc:cancel") == ("POST",)


def test_colon_is_data_when_no_verb_route_matches() -> None:
    router = router_of(("GET", "/v1/things/{id}"), ("POST", "/v1/other/{id}:cancel"))
    # "cancel" is a registered verb, but no verb route matches /v1/things/abc.
    assert router.match("GET", "/v1/things/abc:cancel").variables == {"id": "abc:cancel"}
    assert router.match("GET", "/v1/things/abc:undo").variables == {"id": "abc:undo"}
    assert router.match("GET", "/v1/things/:cancel").variables == {"id": ":cancel"}


def test_escaped_colon_is_never_a_verb() -> None:
    router = router_of(("GET", "/v1/things/{id}"), ("POST", "/v1/things/{id}:cancel"))
    assert router.match("GET", "/v1/things/abc%3Acancel").variables == {"id": "abc:cancel"}
    with pytest.raises(MethodNotAllowed):
        router.match("POST", "/v1/things/abc%3Acancel")


def test_verb_with_multi_segment_variable_and_encoding() -> None:
    router = router_of(("POST", "/v1/{name=projects/*/jobs/*}:run"))
    assert router.match("POST", "/v1/projects/p/jobs/caf%C3%A9%3F:run").variables == {
        "name": "projects/p/jobs/café%3F"
    }
    with pytest.raises(NotFound):
        router.match("POST", "/v1/projects/p/jobs/j")  # the verb is required


def test_verb_route_on_double_star() -> None:
    router = router_of(("POST", "/v1/{name=**}:undelete"), ("GET", "/v1/{name=**}"))
    assert router.match("POST", "/v1/a/b:undelete") == Match(
        "POST /v1/{name=**}:undelete", {"name": "a/b"}
    )
    assert router.match("GET", "/v1/a/b") == Match("GET /v1/{name=**}", {"name": "a/b"})


# --- registration errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("/v1/{id}", "/v1/{name}"),
        ("/v1/{id}", "/v1/*"),
        ("/v1/{name=projects/*}", "/v1/projects/{project}"),
        ("/v1/{path=**}", "/v1/**"),
        ("/v1/{id}:cancel", "/v1/{x}:cancel"),
        ("/v1/things", "/v1/th%69ngs"),
    ],
)
def test_duplicate_shapes_are_rejected(first: str, second: str) -> None:
    router = router_of(("GET", first))
    with pytest.raises(ValueError, match="duplicate route"):
        router.add("GET", second, "dup")


def test_same_template_for_other_methods_or_verbs_is_fine() -> None:
    router = router_of(
        ("GET", "/v1/{id}"),
        ("POST", "/v1/{id}"),
        ("POST", "/v1/{id}:cancel"),
        ("POST", "/v1/{id}:retry"),
    )
    assert target(router, "POST", "/v1/x:retry") == "POST /v1/{id}:retry"


@pytest.mark.parametrize("method", ["get", "", "G ET", "*"])
def test_bad_methods_are_rejected(method: str) -> None:
    with pytest.raises(ValueError, match="upper-case token"):
        Router().add(method, "/x", "t")


def test_template_errors_propagate() -> None:
    with pytest.raises(TemplateError, match="'\\*\\*' must be the last segment"):
        Router().add("GET", "/v1/{x=**}/tail", "t")


# --- properties ---------------------------------------------------------------------------

TEMPLATE_SEGMENT = st.sampled_from(["a", "b", "*", "{v}"])
TEMPLATE_LAST = st.sampled_from(["a", "b", "*", "{v}", "**", "{v=**}"])
METHODS = st.sampled_from(["GET", "POST", "DELETE"])


@st.composite
def templates(draw: st.DrawFn) -> str:
    head = draw(st.lists(TEMPLATE_SEGMENT, max_size=3))
    parts = [*head, draw(TEMPLATE_LAST)]
    # Number the variables so names are unique within a template.
    path = "/" + "/".join(p.replace("{v", f"{{v{i}") for i, p in enumerate(parts))
    return path + draw(st.sampled_from(["", "", ":x", ":y"]))  # sometimes a custom verb


# Segments with ':' exercise custom verbs (":x" alone has nothing before the verb).
paths = st.lists(
    st.sampled_from(["a", "b", "c", "", "a:x", "c:y", ":x", "b:z"]), min_size=1, max_size=5
).map(lambda segs: "/" + "/".join(segs))


def path_reading(accepted: list[tuple[str, PathTemplate]], path: str) -> str:
    """Reference custom-verb rule: the verb reading wins if any route with that verb matches."""
    head, colon, verb = path.rsplit("/", 1)[-1].rpartition(":")
    if colon and head and any(t.verb == verb and t.match(path) is not None for _, t in accepted):
        return verb
    return ""


def precedence_key(template: PathTemplate) -> tuple[int, ...]:
    """Reference ranking: per position literal < `*` < end-of-template < `**`."""
    rank = {SegmentKind.LITERAL: 0, SegmentKind.STAR: 1, SegmentKind.DOUBLE_STAR: 3}
    return (*(rank[s.kind] for s in template.segments), 2)


def build(routes: list[tuple[str, str]]) -> tuple[Router, list[tuple[str, PathTemplate]]]:
    router, accepted = Router(), []
    for method, source in routes:
        try:
            router.add(method, source, (method, source))
        except ValueError:  # duplicate shape: the reference must skip it too
            continue
        accepted.append((method, parse_template(source)))
    return router, accepted


@settings(max_examples=300)
@given(
    routes=st.lists(st.tuples(METHODS, templates()), min_size=1, max_size=12),
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
    path=paths,
)
def test_router_agrees_with_brute_force(
    routes: list[tuple[str, str]], method: str, path: str
) -> None:
    router, accepted = build(routes)
    verb = path_reading(accepted, path)
    matching = [(m, t) for m, t in accepted if t.verb == verb and t.match(path) is not None]
    mine = [t for m, t in matching if m == method]
    if mine:
        best = min(mine, key=precedence_key)
        expected = best.match(path)
        assert expected is not None
        assert router.match(method, path) == Match((method, best.source), expected)
    elif matching:
        with pytest.raises(MethodNotAllowed) as info:
            router.match(method, path)
        allowed = {m for m, _ in matching}
        if "GET" in allowed:
            allowed.add("HEAD")
        assert info.value.allowed == tuple(sorted(allowed))
    else:
        with pytest.raises(NotFound):
            router.match(method, path)


def shape(route: tuple[str, str]) -> tuple[object, ...]:
    parsed = parse_template(route[1])
    return (route[0], parsed.verb, *((s.kind, s.literal) for s in parsed.segments))


@given(
    routes=st.lists(st.tuples(METHODS, templates()), min_size=1, max_size=8, unique_by=shape),
    path=paths,
    data=st.data(),
)
def test_registration_order_never_matters(
    routes: list[tuple[str, str]], path: str, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(routes))

    def outcome(router: Router) -> object:
        try:
            return router.match("GET", path)
        except MethodNotAllowed as exc:
            return exc.allowed
        except NotFound:
            return None

    assert outcome(build(routes)[0]) == outcome(build(shuffled)[0])


@given(value=st.text(st.characters(codec="utf-8"), min_size=1, max_size=30))
def test_encoded_values_round_trip_through_the_router(value: str) -> None:
    router = router_of(("GET", "/chat/{session_id}/history"), ("GET", "/chat/stats/history"))
    path = parse_template("/chat/{session_id}/history").expand({"session_id": value})
    result = router.match("GET", path)
    if value == "stats":
        assert result.target == "GET /chat/stats/history"
    else:
        assert result.variables == {"session_id": value}
