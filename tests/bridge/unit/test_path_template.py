"""Path template grammar, percent-decoding and expansion (google/api/http.proto)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rest_bridge.path_template import (
    RESERVED,
    InvalidPercentEncoding,
    PathTemplate,
    SegmentKind,
    TemplateError,
    Variable,
    parse_template,
    unescape,
)

LIT, STAR, DEEP = SegmentKind.LITERAL, SegmentKind.STAR, SegmentKind.DOUBLE_STAR


def kinds(template: str) -> list[tuple[SegmentKind, str]]:
    return [(s.kind, s.literal) for s in parse_template(template).segments]


# --- grammar ---------------------------------------------------------------------------


def test_literal_segments() -> None:
    parsed = parse_template("/v1/things")
    assert kinds("/v1/things") == [(LIT, "v1"), (LIT, "things")]
    assert parsed.variables == ()
    assert parsed.verb == ""
    assert str(parsed) == "/v1/things"


def test_bare_wildcards_capture_nothing() -> None:
    parsed = parse_template("/v1/*/x/**")
    assert kinds("/v1/*/x/**") == [(LIT, "v1"), (STAR, ""), (LIT, "x"), (DEEP, "")]
    assert parsed.variables == ()
    assert parsed.match("/v1/a/x/b/c") == {}


def test_short_variable_is_single_star() -> None:
    for source in ("/v1/{id}", "/v1/{id=*}"):
        parsed = parse_template(source)
        assert kinds(source) == [(LIT, "v1"), (STAR, "")]
        assert parsed.variables == (Variable("id", 1, 2, multi=False),)
        assert parsed.match("/v1/abc") == {"id": "abc"}


def test_multi_segment_variable() -> None:
    parsed = parse_template("/v1/{name=projects/*/locations/*}/datasets")
    assert kinds("/v1/{name=projects/*/locations/*}/datasets") == [
        (LIT, "v1"),
        (LIT, "projects"),
        (STAR, ""),
        (LIT, "locations"),
        (STAR, ""),
        (LIT, "datasets"),
    ]
    assert parsed.variables == (Variable("name", 1, 5, multi=True),)
    assert parsed.match("/v1/projects/p/locations/l/datasets") == {"name": "projects/p/locations/l"}


def test_double_star_variable_runs_to_the_end() -> None:
    parsed = parse_template("/v1/{name=a/*/b/**}")
    assert parsed.variables == (Variable("name", 1, None, multi=True),)
    assert parsed.match("/v1/a/x/b") == {"name": "a/x/b"}  # ** matches zero segments
    assert parsed.match("/v1/a/x/b/c/d") == {"name": "a/x/b/c/d"}
    assert parsed.match("/v1/a/x/c") is None


def test_single_literal_variable_is_single_segment() -> None:
    parsed = parse_template("/v1/{kind=users}")
    assert parsed.variables == (Variable("kind", 1, 2, multi=False),)
    assert parsed.match("/v1/users") == {"kind": "users"}
    assert parsed.match("/v1/groups") is None


def test_nested_field_paths_and_several_variables() -> None:
    parsed = parse_template("/v1/{book.shelf.id}/books/{book.id}")
    assert [v.field_path for v in parsed.variables] == ["book.shelf.id", "book.id"]
    assert parsed.match("/v1/s1/books/b2") == {"book.shelf.id": "s1", "book.id": "b2"}


@pytest.mark.parametrize(
    ("source", "segments", "verb"),
    [
        ("/v1/things:batchGet", ["things"], "batchGet"),
        ("/v1/{id}:cancel", [""], "cancel"),
        ("/v1/{name=**}:undelete", [""], "undelete"),
        ("/v1/a:b/c", ["a:b", "c"], ""),  # ':' in a middle segment is a literal
        ("/v1/x:y:z", ["x:y"], "z"),  # the last ':' starts the verb
        ("/v1/{name=a:b}", ["a:b"], ""),  # ':' inside braces is never a verb
    ],
)
def test_verbs(source: str, segments: list[str], verb: str) -> None:
    parsed = parse_template(source)
    assert parsed.verb == verb
    assert [s.literal for s in parsed.segments[1:]] == segments


def test_template_literals_are_compared_decoded() -> None:
    parsed = parse_template("/v1/a%2Fb/caf%C3%A9")
    assert kinds("/v1/a%2Fb/caf%C3%A9")[1:] == [(LIT, "a/b"), (LIT, "café")]
    assert parsed.match("/v1/a%2fb/caf%c3%a9") == {}
    assert parsed.match("/v1/a/b/café") is None  # a real '/' splits segments


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("", "must start with '/'"),
        ("v1/things", "must start with '/'"),
        ("/", "empty segment"),
        ("//a", "empty segment"),
        ("/a//b", "empty segment"),
        ("/a/", "empty segment"),
        ("/{a", "unbalanced '{'"),
        ("/a}", "unbalanced '}'"),
        ("/{a}}", "unbalanced '}'"),
        ("/{a={b}}", "nested variable"),
        ("/{a=x/{b}}", "nested variable"),
        ("/**/a", "'**' must be the last segment"),
        ("/{x=**}/a", "'**' must be the last segment"),
        ("/{x=**/a}", "'**' must be the last segment"),
        ("/**/**", "'**' must be the last segment"),
        ("/{a}/{a}", "duplicate variable 'a'"),
        ("/{a.b}/x/{a.b=**}", "duplicate variable 'a.b'"),
        ("/{a}/{a.b}", "overlap"),
        ("/{}", "invalid field path ''"),
        ("/{1a}", "invalid field path '1a'"),
        ("/{a.}", "invalid field path 'a.'"),
        ("/{a-b}", "invalid field path 'a-b'"),
        ("/{a/b}", "expected '}'"),
        ("/{x=}", "empty segment"),
        ("/x{a}", "whole segments"),
        ("/{a}x", "whole segments"),
        ("/a b", "invalid literal"),
        ("/a?b", "invalid literal"),
        ("/a#b", "invalid literal"),
        ("/café", "invalid literal"),
        ("/a%ZZ", "invalid literal"),
        ("/a%FF", "not UTF-8"),
        ("/a:", "invalid verb ''"),
        ("/a:b%20", "invalid verb"),
        ("/:cancel", "empty segment"),
        ("/v1/{id}/:cancel", "empty segment"),
    ],
)
def test_parse_errors(source: str, reason: str) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template(source)
    assert reason in str(info.value)
    assert info.value.template == source
    assert isinstance(info.value, ValueError)


def test_parse_classmethod() -> None:
    assert PathTemplate.parse("/v1/{id}") == parse_template("/v1/{id}")


# --- percent-decoding -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "full", "keep_reserved"),
    [
        ("plain", "plain", "plain"),
        ("a%2Fb", "a/b", "a%2Fb"),
        ("a%2fb", "a/b", "a%2fb"),  # kept escapes stay exactly as sent
        ("caf%C3%A9", "café", "café"),
        ("%20%25%7E", " %~", " %~"),  # space, '%' and '~' are not reserved
        ("%3A%3F%23%5B%5D%40", ":?#[]@", "%3A%3F%23%5B%5D%40"),
        ("%21%24%26%27%28%29%2A%2B%2C%3B%3D", "!$&'()*+,;=", "%21%24%26%27%28%29%2A%2B%2C%3B%3D"),
    ],
)
def test_unescape(raw: str, full: str, keep_reserved: str) -> None:
    assert unescape(raw) == full
    assert unescape(raw, keep_reserved=True) == keep_reserved


@pytest.mark.parametrize("raw", ["%", "a%2", "%G0", "%+1", "% 1", "%FF", "%C3", "%C3%28"])
def test_unescape_rejects_malformed_escapes(raw: str) -> None:
    with pytest.raises(InvalidPercentEncoding):
        unescape(raw)
    with pytest.raises(InvalidPercentEncoding):
        unescape(raw, keep_reserved=True)


def test_reserved_set_is_rfc6570() -> None:
    assert set(":/?#[]@!$&'()*+,;=") == RESERVED


def test_single_segment_variable_decodes_everything() -> None:
    parsed = parse_template("/users/{id}")
    assert parsed.match("/users/a%2Fb") == {"id": "a/b"}
    assert parsed.match("/users/caf%C3%A9") == {"id": "café"}
    assert parsed.match("/users/%3A%40%21%2A") == {"id": ":@!*"}


def test_multi_segment_variable_keeps_reserved_escaped() -> None:
    parsed = parse_template("/files/{path=**}")
    assert parsed.match("/files/dir/a%2Fb") == {"path": "dir/a%2Fb"}
    assert parsed.match("/files/caf%C3%A9/x%20y") == {"path": "café/x y"}
    assert parsed.match("/files/a%3Ab%3fc%40") == {"path": "a%3Ab%3fc%40"}
    assert parsed.match("/files/100%25") == {"path": "100%"}


def test_malformed_path_does_not_match() -> None:
    parsed = parse_template("/users/{id}")
    assert parsed.match("/users/%ZZ") is None
    assert parsed.match("/users/%C3") is None


def test_empty_segments_match_nothing() -> None:
    assert parse_template("/chat").match("/chat/") is None
    assert parse_template("/chat/{id}").match("/chat/") is None
    assert parse_template("/a/{x}/b").match("/a//b") is None
    assert parse_template("/f/{p=**}").match("/f/a//b") is None
    assert parse_template("/f/{p=**}").match("/f") == {"p": ""}


def test_paths_must_start_with_slash() -> None:
    assert parse_template("/a").match("a") is None


def test_verb_matching_on_a_single_template() -> None:
    parsed = parse_template("/v1/things/{id}:cancel")
    assert parsed.match("/v1/things/abc:cancel") == {"id": "abc"}
    assert parsed.match("/v1/things/abc") is None
    assert parsed.match("/v1/things/abc%3Acancel") is None  # an escaped ':' is data
    assert parsed.match("/v1/things/:cancel") is None
    # Without a verb the whole segment, colon included, is data (grpc-gateway's Pattern).
    assert parse_template("/v1/things/{id}").match("/v1/things/abc:cancel") == {"id": "abc:cancel"}


# --- expansion ----------------------------------------------------------------------------


def test_expand_encodes_per_http_proto() -> None:
    parsed = parse_template("/v1/{name=projects/*}/x/{a.b}:do")
    assert parsed.expand({"name": "projects/p q", "a.b": "é/:"}) == (
        "/v1/projects/p%20q/x/%C3%A9%2F%3A:do"
    )


def test_expand_errors() -> None:
    with pytest.raises(ValueError, match="no value for path variable 'id'"):
        parse_template("/v1/{id}").expand({})
    with pytest.raises(ValueError, match="bare"):
        parse_template("/v1/*").expand({})


# --- properties ---------------------------------------------------------------------------

UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
segment_text = st.text(alphabet=UNRESERVED, min_size=1, max_size=8)
any_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=20)


@given(
    segments=st.lists(segment_text, min_size=1, max_size=6),
    data=st.data(),
)
def test_variables_capture_the_segments_they_replace(
    segments: list[str], data: st.DataObject
) -> None:
    positions = data.draw(st.sets(st.integers(0, len(segments) - 1)))
    parts = [f"{{v{i}}}" if i in positions else s for i, s in enumerate(segments)]
    parsed = parse_template("/" + "/".join(parts))
    expected = {f"v{i}": segments[i] for i in positions}
    assert parsed.match("/" + "/".join(segments)) == expected


@given(value=any_text)
def test_single_segment_values_round_trip(value: str) -> None:
    parsed = parse_template("/v1/items/{id}:get")
    assert parsed.match(parsed.expand({"id": value})) == {"id": value}


@given(parts=st.lists(any_text.filter(lambda s: not {"/", "%"} & set(s)), min_size=1, max_size=4))
def test_multi_segment_values_round_trip_except_reserved(parts: list[str]) -> None:
    parsed = parse_template("/v1/{path=**}")
    value = "/".join(parts)
    captured = parsed.match(parsed.expand({"path": value}))
    assert captured is not None
    # Reserved characters (other than the separating '/') come back still escaped...
    expected = "".join(quote(c, safe="") if c in RESERVED - {"/"} else c for c in value)
    assert captured["path"] == expected
    # ...so decoding each segment once more recovers the original value ('%' excluded: a
    # decoded "%3A" is indistinguishable from a kept escape, as in the spec).
    assert "/".join(unescape(s) for s in captured["path"].split("/")) == value
