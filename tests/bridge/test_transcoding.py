"""google.api.http transcoding through the real bridge: paths, bodies, query parameters, statuses.

Every call goes over HTTP to the bridge and over gRPC to the echo servicer, which returns the
request as it decoded it (`{"method", "request"}`), so each test asserts where values landed.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest


def echo(response: httpx.Response, method: str, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["method"] == method
    request: dict[str, Any] = body["request"]
    return request


def violations(response: httpx.Response) -> list[tuple[str, str]]:
    """The BadRequest field violations of a google.rpc.Status error body."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 3  # INVALID_ARGUMENT
    bad = [d for d in body["details"] if d["@type"] == "type.googleapis.com/google.rpc.BadRequest"]
    assert len(bad) == 1, body
    return [(v["field"], v["description"]) for v in bad[0]["fieldViolations"]]


# --- path templates ---------------------------------------------------------------------------


def test_single_segment_variable(client: httpx.Client) -> None:
    assert echo(client.get("/v1/items/abc"), "GetItem") == {"id": "abc"}


def test_additional_binding_routes_to_the_same_method(client: httpx.Client) -> None:
    assert echo(client.get("/v1/shelves/s1/items/i2"), "GetItem") == {"shelf": "s1", "id": "i2"}


def test_literal_route_beats_variable(client: httpx.Client) -> None:
    assert echo(client.get("/v1/items/stats"), "GetItemStats") == {}
    assert echo(client.get("/v1/items/stats", params={"view": "full"}), "GetItemStats") == {"view": "full"}
    # Only the exact literal wins; anything else is the variable.
    assert echo(client.get("/v1/items/statsx"), "GetItem") == {"id": "statsx"}
    assert echo(client.get("/v1/items/Stats"), "GetItem") == {"id": "Stats"}


def test_multi_segment_variable(client: httpx.Client) -> None:
    assert echo(client.get("/v1/shelves/s1/books/b2"), "GetBook") == {"name": "shelves/s1/books/b2"}
    assert client.get("/v1/shelves/s1/books").status_code == 404
    assert client.get("/v1/shelves/s1/books/b2/pages").status_code == 404
    assert client.get("/v1/shelves/s1/novels/b2").status_code == 404


def test_double_star_variable(client: httpx.Client) -> None:
    assert echo(client.get("/v1/files/a/b/c.txt"), "GetFile") == {"path": "a/b/c.txt"}
    assert echo(client.get("/v1/files/x"), "GetFile") == {"path": "x"}
    # `**` also matches zero segments (the field stays empty).
    assert echo(client.get("/v1/files"), "GetFile") == {}
    # Empty segments match nothing, not even `**`.
    assert client.get("/v1/files/a//b").status_code == 404
    assert client.get("/v1/files/a/").status_code == 404


def test_percent_decoding_in_single_segment_variable(client: httpx.Client) -> None:
    # Fully decoded: %2F is data inside one segment, never a separator.
    assert echo(client.get("/v1/items/a%2Fb%20c%C3%A9"), "GetItem") == {"id": "a/b cé"}
    assert echo(client.get("/v1/items/a%3Ab"), "GetItem") == {"id": "a:b"}
    # `+` is a space only in form-encoded queries, never in a path.
    assert echo(client.get("/v1/items/a+b"), "GetItem") == {"id": "a+b"}


def test_percent_decoding_in_multi_segment_variables(client: httpx.Client) -> None:
    # Reserved characters stay escaped as sent; the rest is decoded.
    assert echo(client.get("/v1/shelves/s%2F1/books/b%20%C3%A9"), "GetBook") == {"name": "shelves/s%2F1/books/b é"}
    assert echo(client.get("/v1/files/dir%2Fsub/f%3Fx%20y"), "GetFile") == {"path": "dir%2Fsub/f%3Fx y"}


def test_custom_verb(client: httpx.Client) -> None:
    response = client.post("/v1/things/t1:cancel", json={"reason": "stale", "force": True})
    assert echo(response, "CancelThing", 202) == {"name": "things/t1", "reason": "stale", "force": True}
    assert echo(client.get("/v1/things/t1"), "GetThing") == {"name": "things/t1"}


def test_custom_verb_route_is_not_swallowed_by_the_plain_route(client: httpx.Client) -> None:
    response = client.get("/v1/things/t1:cancel")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    # An escaped colon is never a verb, and an unknown verb is data.
    assert echo(client.get("/v1/things/t1%3Acancel"), "GetThing") == {"name": "things/t1%3Acancel"}
    assert echo(client.get("/v1/things/t1:frobnicate"), "GetThing") == {"name": "things/t1:frobnicate"}
    response = client.post("/v1/things/t1:frobnicate", json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


# --- bodies ---------------------------------------------------------------------------------------


def test_body_star_maps_the_whole_body(client: httpx.Client) -> None:
    body = {
        "text": "hi",
        "count": 3,
        "big": "9007199254740993",
        "flag": True,
        "tags": ["a", "b"],
        "item": {"id": "i", "displayName": "Thing", "details": {"weight": 5}},
        "scores": {"x": 1},
        "shade": "SHADE_DARK",
        "at": "2024-05-01T12:00:00.5Z",
        "ttl": "2s",
        "maybeCount": 0,
    }
    assert echo(client.post("/v1/echo", json=body), "EchoBody") == {
        "text": "hi",
        "count": 3,
        "big": "9007199254740993",
        "flag": True,
        "tags": ["a", "b"],
        "item": {"id": "i", "displayName": "Thing", "details": {"weight": "5"}},
        "scores": {"x": 1},
        "shade": "SHADE_DARK",
        "at": "2024-05-01T12:00:00.500Z",
        "ttl": "2s",
        "maybeCount": 0,
    }


def test_body_star_accepts_proto_names_and_enum_numbers(client: httpx.Client) -> None:
    body = {"maybe_count": 7, "shade": 1, "item": {"display_name": "x"}}
    assert echo(client.post("/v1/echo", json=body), "EchoBody") == {
        "maybeCount": 7,
        "shade": "SHADE_LIGHT",
        "item": {"displayName": "x"},
    }


def test_empty_body_is_an_empty_message(client: httpx.Client) -> None:
    assert echo(client.post("/v1/echo", content=b""), "EchoBody") == {}
    assert echo(client.post("/v1/echo", content=b"{}", headers={"content-type": "application/json"}), "EchoBody") == {}


def test_named_body_field_and_response_body(client: httpx.Client) -> None:
    item = {"displayName": "Widget", "quantity": 3, "labels": ["red"], "details": {"note": "n", "weight": "12"}}
    response = client.post("/v1/items", json=item)
    assert response.status_code == 201, response.text
    # response_body: "item" -> only that field, in the bridge's own JSON form (all no-presence fields).
    assert response.json() == {
        "id": "created-1",
        "displayName": "Widget",
        "quantity": 3,
        "labels": ["red"],
        "shade": "SHADE_UNSPECIFIED",
        "details": {"note": "n", "weight": "12"},
    }


def test_named_body_field_with_path_and_query(client: httpx.Client) -> None:
    # The additional binding has no response_body: the whole response comes back.
    response = client.post("/v1/shelves/s1/items", params={"validateOnly": "true"}, json={"displayName": "W"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["item"]["id"] == "created-1"
    assert body["request"] == {"shelf": "s1", "item": {"displayName": "W"}, "validateOnly": True}


def test_empty_named_body_still_sets_the_field(client: httpx.Client) -> None:
    response = client.post("/v1/shelves/s1/items", json={})
    assert response.status_code == 201, response.text
    assert response.json()["request"] == {"shelf": "s1", "item": {}}


def test_query_cannot_set_the_body_field(client: httpx.Client) -> None:
    response = client.post("/v1/items", params={"item.quantity": "3"}, json={})
    assert violations(response) == [("item.quantity", 'Field "item.quantity" is bound from the path/body')]


def test_nested_path_variable_inside_the_body_field(client: httpx.Client) -> None:
    response = client.patch(
        "/v1/items/i9",
        params={"updateMask": "displayName,details.note", "allow_missing": "true"},
        json={"id": "from-body", "displayName": "New"},
    )
    # The path wins over the body for item.id; the mask and flag come from the query.
    assert echo(response, "UpdateItem") == {
        "item": {"id": "i9", "displayName": "New"},
        "updateMask": "displayName,details.note",
        "allowMissing": True,
    }


def test_field_mask_query_accepts_proto_names(client: httpx.Client) -> None:
    response = client.patch("/v1/items/i9", params={"update_mask": "display_name,details.note"}, json={})
    assert echo(response, "UpdateItem")["updateMask"] == "displayName,details.note"


# --- query parameters -------------------------------------------------------------------------------

EVERY_KIND = (
    ("query", "q w"),
    ("filter.minPrice", "5"),
    ("filter.range.low", "1"),
    ("filter.range.high", "9"),
    ("filter.label", "x&y"),
    ("tags", "a"),
    ("tags", "b"),
    ("ids", "1"),
    ("ids", "2"),
    ("shade", "SHADE_DARK"),
    ("shades", "SHADE_LIGHT"),
    ("shades", "2"),
    ("since", "2024-05-01T14:00:00.25+02:00"),
    ("timeout", "1.5s"),
    ("readMask", "displayName,filter.minPrice"),
    ("pageSize", "0"),
    ("pageToken", ""),
    ("strict", "false"),
    ("includeDeleted", "true"),
    ("big", "9007199254740993"),
    ("ratio", "0.25"),
    ("blob", "aGk_"),
    ("limit", "0"),
)


def test_query_parameters_of_every_kind(client: httpx.Client) -> None:
    assert echo(client.get("/v1/search", params=EVERY_KIND), "Search") == {
        "query": "q w",
        "filter": {"minPrice": 5, "range": {"low": 1, "high": 9}, "label": "x&y"},
        "tags": ["a", "b"],
        "ids": [1, 2],
        "shade": "SHADE_DARK",
        "shades": ["SHADE_LIGHT", "SHADE_DARK"],
        "since": "2024-05-01T12:00:00.250Z",
        "timeout": "1.500s",
        "readMask": "displayName,filter.minPrice",
        # Wrappers and `optional` fields keep presence even at their zero value.
        "pageSize": 0,
        "pageToken": "",
        "strict": False,
        "includeDeleted": True,
        "big": "9007199254740993",
        "ratio": 0.25,
        "blob": "aGk/",
        "limit": 0,
    }


def test_query_parameters_by_proto_name(client: httpx.Client) -> None:
    params = (("filter.min_price", "7"), ("include_deleted", "1"), ("page_size", "20"), ("read_mask", "page_size"))
    assert echo(client.get("/v1/search", params=params), "Search") == {
        "filter": {"minPrice": 7},
        "includeDeleted": True,
        "pageSize": 20,
        "readMask": "pageSize",
    }


def test_plain_form_encoding_in_the_query(client: httpx.Client) -> None:
    assert echo(client.get("/v1/search?query=a+b%26c%3Dd&tags=%C3%A9"), "Search") == {
        "query": "a b&c=d",
        "tags": ["é"],
    }


def test_query_must_be_utf8(client: httpx.Client) -> None:
    assert violations(client.get("/v1/search?query=%FF")) == [("", "Query string is not valid UTF-8")]
    assert violations(client.get("/v1/search?%C3=x")) == [("", "Query string is not valid UTF-8")]


def test_non_repeated_query_key_twice_is_rejected(client: httpx.Client) -> None:
    response = client.get("/v1/search", params=[("query", "a"), ("query", "b")])
    assert violations(response) == [("query", 'Field "query" must not be repeated')]
    # The same field under its JSON and proto names is still the same field.
    response = client.get("/v1/search", params=[("filter.minPrice", "1"), ("filter.min_price", "2")])
    assert violations(response) == [("filter.min_price", 'Field "filter.min_price" must not be repeated')]


def test_unknown_query_keys_are_rejected(client: httpx.Client) -> None:
    response = client.get("/v1/search", params=[("bogus", "1"), ("filter.bogus", "2"), ("tags.x", "3")])
    assert violations(response) == [
        ("bogus", 'Unrecognized key "bogus"'),
        ("filter.bogus", 'Unrecognized key "filter.bogus"'),
        ("tags.x", 'Unrecognized key "tags.x"'),
    ]


def test_bad_query_values_are_all_reported(client: httpx.Client) -> None:
    params = (
        ("shade", "PURPLE"),
        ("ids", "x"),
        ("since", "yesterday"),
        ("strict", "maybe"),
        ("pageSize", "1.5"),
        ("timeout", "5"),
        ("filter", "x"),
    )
    assert violations(client.get("/v1/search", params=params)) == [
        ("shade", 'Invalid enum value "PURPLE"'),
        ("ids", 'Invalid integer "x"'),
        ("since", "Invalid timestamp"),
        ("strict", 'Invalid boolean "maybe"'),
        ("pageSize", 'Invalid integer "1.5"'),
        ("timeout", "Invalid duration"),
        ("filter", 'Field "filter" is a message and cannot be set from a query parameter'),
    ]


def test_query_cannot_set_a_path_field(client: httpx.Client) -> None:
    assert violations(client.get("/v1/items/abc", params={"id": "zzz"})) == [
        ("id", 'Field "id" is bound from the path/body')
    ]
    # Fields not in the path are fine.
    assert echo(client.get("/v1/items/abc", params={"view": "v", "shelf": "s"}), "GetItem") == {
        "id": "abc",
        "view": "v",
        "shelf": "s",
    }


def test_nested_path_variable_leaves_its_siblings_to_the_query(client: httpx.Client) -> None:
    # http.proto: every field not bound by the path (or body) is a query parameter,
    # so `filter.label` in the path does not take the rest of `filter` with it.
    response = client.get("/v1/labels/red:search", params={"filter.minPrice": "5", "filter.range.low": "1"})
    assert echo(response, "Search") == {"filter": {"label": "red", "minPrice": 5, "range": {"low": 1}}}
    assert violations(client.get("/v1/labels/red:search", params={"filter.label": "blue"})) == [
        ("filter.label", 'Field "filter.label" is bound from the path/body')
    ]


# --- success statuses -------------------------------------------------------------------------------


def test_success_statuses(client: httpx.Client) -> None:
    assert client.post("/v1/items", json={}).status_code == 201
    assert client.post("/v1/things/t:cancel", json={}).status_code == 202
    response = client.delete("/v1/items/i1")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
    assert response.headers["x-deleted-id"] == "i1"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/items/abc"), ("GET", "/v1/shelves/s/books/b"), ("POST", "/v1/echo")],
)
def test_plain_200(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
