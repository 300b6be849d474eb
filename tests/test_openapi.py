"""The generated OpenAPI documents: valid OpenAPI 3.1, and what the bridge really serves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openapi_spec_validator
import pytest
from google.protobuf import descriptor_pb2

from rest_bridge.codegen.openapi import render_openapi
from rest_bridge.codegen.plugin import _chorus_options, collect_methods
from server.app import dialects

ROOT = Path(__file__).resolve().parent.parent
CRISPY = ROOT / "gen" / "chorus_contracts" / "openapi" / "crispy.json"
REF = "#/components/schemas/"
DIALECTS = dialects()  # surface name -> its dialect, from the composition root's surface list

Doc = dict[str, Any]


def validate(doc: Doc) -> None:
    openapi_spec_validator.validate(doc)


def resolve(doc: Doc, schema: Doc) -> Doc:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    assert ref.startswith(REF), ref
    resolved: Doc = doc["components"]["schemas"][ref[len(REF) :]]
    return resolved


def params(operation: Doc, where: str) -> dict[str, Doc]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == where}


# --- the checked-in crispy document -----------------------------------------------------------


@pytest.fixture(scope="module")
def crispy() -> Doc:
    doc: Doc = json.loads(CRISPY.read_text())
    return doc


def test_crispy_document_is_valid_openapi_31(crispy: Doc) -> None:
    assert crispy["openapi"] == "3.1.0"
    assert crispy["info"]["title"] == "Chorus — crispy surface"
    assert crispy["info"]["version"] == "v1"
    validate(crispy)


def test_crispy_routes(crispy: Doc) -> None:
    routes = {(verb, path) for path, item in crispy["paths"].items() for verb in item}
    assert routes == {
        ("get", "/health"),
        ("post", "/chat"),
        ("get", "/chat/{sessionId}/history"),
        ("delete", "/chat/{sessionId}"),
        ("post", "/tools/execute"),
        ("get", "/tools"),
        ("post", "/tts"),
        ("get", "/audio/{file}"),
        ("post", "/documents"),
        ("get", "/documents"),
        ("delete", "/documents/{documentId}"),
        ("post", "/search"),
    }
    audio = crispy["paths"]["/audio/{file}"]["get"]
    # google.api.HttpBody: the clip's bytes under their own type, and the link's token is the credential.
    assert list(audio["responses"]["200"]["content"]) == ["*/*"]
    assert audio["security"] == [] and audio["x-access"] == "public"
    chat = crispy["paths"]["/chat"]["post"]
    assert chat["operationId"] == "ChatService_Chat"
    assert chat["tags"] == ["ChatService"]
    assert chat["summary"] == "Chat sends one user message and streams the assistant's reply."
    assert "`stream` false" in chat["description"]
    assert "parameters" not in chat  # body "*": the bridge reads no query parameters
    ids = [op["operationId"] for item in crispy["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("path", "verb"), [("/chat/{sessionId}/history", "get"), ("/chat/{sessionId}", "delete")])
def test_crispy_session_id_is_a_required_path_parameter(crispy: Doc, path: str, verb: str) -> None:
    operation = crispy["paths"][path][verb]
    assert params(operation, "path") == {
        "sessionId": {
            "name": "sessionId",
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            "description": "Session identifier (UUID).\n\nSets the request field `session_id`.",
        }
    }
    assert params(operation, "query") == {}


def test_crispy_chat_request_schema(crispy: Doc) -> None:
    body = crispy["paths"]["/chat"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": REF + "crispy.v1.ChatRequest"}
    properties = resolve(crispy, body)["properties"]
    assert set(properties) == {"sessionId", "message", "stream"}
    assert properties["sessionId"]["type"] == "string"
    assert properties["message"]["type"] == "string"
    assert properties["stream"]["type"] == "boolean"
    assert properties["stream"]["x-proto3-optional"] is True


def test_crispy_int64_as_number_and_timestamp(crispy: Doc) -> None:
    schemas = crispy["components"]["schemas"]
    timestamp = schemas["crispy.v1.ChatMessage"]["properties"]["timestamp"]
    assert (timestamp["type"], timestamp["format"]) == ("integer", "int64")
    health = schemas["crispy.v1.GetHealthResponse"]["properties"]["timestamp"]
    assert (health["type"], health["format"]) == ("string", "date-time")
    messages = schemas["crispy.v1.GetSessionHistoryResponse"]["properties"]["messages"]
    assert messages["type"] == "array"
    assert messages["items"] == {"$ref": REF + "crispy.v1.ChatMessage"}


def test_crispy_chat_streams_sse_or_answers_json(crispy: Doc) -> None:
    responses = crispy["paths"]["/chat"]["post"]["responses"]
    assert set(responses) == {"200", "default"}
    content = responses["200"]["content"]
    assert set(content) == {"text/event-stream", "application/json"}
    assert (
        resolve(crispy, content["application/json"]["schema"])
        is crispy["components"]["schemas"]["crispy.v1.ChatCompletion"]
    )
    stream = content["text/event-stream"]
    assert stream["x-sse-style"] == "named"
    events = stream["x-sse-events"]
    assert set(events) == {"token", "done", "completion", "error"}
    assert events["token"]["data"] == {"$ref": REF + "crispy.v1.ChatToken"}
    assert events["done"]["data"] == {"$ref": REF + "crispy.v1.ChatDone"}
    assert events["error"]["data"]["properties"] == {"error": {"type": "string", "description": "The error message."}}
    assert "`stream` false" in responses["200"]["description"]


def test_crispy_error_schema_is_the_crispy_envelope(crispy: Doc) -> None:
    for item in crispy["paths"].values():
        for operation in item.values():
            assert operation["responses"]["default"] == {"$ref": "#/components/responses/Error"}
    error = crispy["components"]["responses"]["Error"]["content"]["application/json"]["schema"]
    envelope = resolve(crispy, error)
    assert envelope["required"] == ["error", "requestId"]
    properties = envelope["properties"]
    assert properties["error"]["type"] == "string"
    assert properties["requestId"]["type"] == "string"
    issues = properties["details"]["properties"]["issues"]
    assert issues["type"] == "array"
    issue = issues["items"]["properties"]
    assert issue["path"]["items"] == {"type": ["string", "integer"]}
    assert issue["message"] == {"type": "string"}


def test_crispy_schemas_are_exactly_the_reachable_messages(crispy: Doc) -> None:
    names = set(crispy["components"]["schemas"])
    assert names == {
        "CrispyError",
        *(
            f"crispy.v1.{n}"
            for n in (
                "GetHealthRequest",
                "GetHealthResponse",
                "ChatRequest",
                "ChatResponse",
                "ChatToken",
                "ChatDone",
                "ChatCompletion",
                "Usage",
                "GetSessionHistoryRequest",
                "GetSessionHistoryResponse",
                "ChatMessage",
                "Role",
                "DeleteSessionRequest",
                "DeleteSessionResponse",
                "ExecuteToolRequest",
                "ExecuteToolResponse",
                "ListToolsRequest",
                "ListToolsResponse",
                "ToolDescription",
                "SynthesizeRequest",
                "SynthesizeResponse",
                "GetAudioRequest",
                "CreateDocumentRequest",
                "CreateDocumentResponse",
                "DeleteDocumentRequest",
                "DeleteDocumentResponse",
                "Document",
                "ListDocumentsRequest",
                "ListDocumentsResponse",
                "SearchRequest",
                "SearchResponse",
                "SearchSources",
                "SearchSource",
                "SearchToken",
                "SearchDone",
                "SearchResult",
            )
        ),
    }
    # A closed set of the document is its spellings, nothing else.
    assert crispy["components"]["schemas"]["crispy.v1.Role"]["enum"] == ["user", "assistant"]
    response = crispy["components"]["schemas"]["crispy.v1.ChatResponse"]
    assert response["x-oneof"] == {"event": ["token", "done", "completion"]}
    assert response["properties"]["token"]["x-oneof"] == "event"


# --- a test contract through the plugin's own collector ------------------------------------------

LIBRARY_PROTO = """
syntax = "proto3";

package openapi_testing.v1;

import "chorus/api/v1/annotations.proto";
import "chorus_testing/v1/kitchen_sink.proto";
import "google/api/annotations.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

// Shelves hold books.
service ShelfService {
  option (chorus.api.v1.service) = {surface: "library"};

  // GetBook reads one book.
  //
  // Also under a room, or by a body.
  rpc GetBook(GetBookRequest) returns (Book) {
    option (google.api.http) = {
      get: "/v1/{name=shelves/*/books/*}"
      additional_bindings {get: "/v1/{name=rooms/*/books/*}"}
      additional_bindings {post: "/v1/books:lookup" body: "*"}
    };
  }
  // CreateBook adds a book.
  rpc CreateBook(CreateBookRequest) returns (Book) {
    option (google.api.http) = {post: "/v1/{parent=shelves/*}/books" body: "book"};
    option (chorus.api.v1.method) = {success_status: 201};
  }
  rpc DeleteBook(DeleteBookRequest) returns (google.protobuf.Empty) {
    option (google.api.http) = {delete: "/v1/{name=shelves/*/books/*}"};
    option (chorus.api.v1.method) = {success_status: 204};
  }
  rpc GetBookTitle(GetBookRequest) returns (Book) {
    option (google.api.http) = {get: "/v1/{name=shelves/*/books/*}:title" response_body: "title"};
  }
  rpc UpdateBook(UpdateBookRequest) returns (Book) {
    option (google.api.http) = {patch: "/v1/{book.name=shelves/*/books/*}" body: "*"};
  }
  rpc RenameBook(RenameBookRequest) returns (Book) {
    option (google.api.http) = {post: "/v1/{name=shelves/*/books/*}:rename" body: "*"};
  }
  rpc Search(SearchRequest) returns (SearchResponse) {
    option (google.api.http) = {get: "/v1/search"};
  }
  rpc WatchBooks(WatchBooksRequest) returns (stream BookEvent) {
    option (google.api.http) = {get: "/v1/books:watch"};
    option (chorus.api.v1.method) = {
      sse: {style: STYLE_DATA_ONLY event_oneof: "kind" type_key: "type" done_data: "[DONE]"}
    };
  }
  rpc Tail(WatchBooksRequest) returns (stream Book) {
    option (google.api.http) = {get: "/v1/books:tail"};
  }
  rpc Echo(chorus_testing.v1.KitchenSink) returns (chorus_testing.v1.KitchenSink) {
    option (google.api.http) = {post: "/v1/echo" body: "*"};
  }
}

// Genre of a book.
enum Genre {
  // Not set.
  GENRE_UNSPECIFIED = 0;
  GENRE_FICTION = 1;
}

// Book is a book.
message Book {
  string name = 1;
  // The title.
  string title = 2;
  Genre genre = 3;
  repeated string authors = 4;
  map<string, int64> counts = 5;
  google.protobuf.Timestamp published = 6;
  google.protobuf.Int32Value pages = 7;
  int64 isbn = 8;
  optional string subtitle = 9;
  Book sequel = 10;
}

message GetBookRequest {
  string name = 1;
}

message CreateBookRequest {
  string parent = 1;
  Book book = 2;
  string request_id = 3;
}

message DeleteBookRequest {
  string name = 1;
}

message UpdateBookRequest {
  Book book = 1;
  google.protobuf.FieldMask update_mask = 2;
}

message RenameBookRequest {
  string name = 1;
  string new_title = 2;
}

message SearchRequest {
  // Nested filter.
  message Filter {
    string author = 1;
    Genre genre = 2;
    Filter nested = 3;
  }
  // Free text.
  string query = 1;
  int32 page_size = 2;
  repeated Genre genres = 3;
  Filter filter = 4;
  google.protobuf.Timestamp since = 5;
  map<string, string> labels = 6;
  google.protobuf.Struct extra = 7;
  repeated Filter filters = 8;
  google.protobuf.BoolValue in_stock = 9;
  uint64 min_isbn = 10;
}

message SearchResponse {
  repeated Book books = 1;
}

message WatchBooksRequest {
  string shelf = 1;
}

message BookEvent {
  oneof kind {
    // A book arrived.
    Book added = 1;
    // The name of a book that left.
    string removed = 2;
  }
}
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Doc:
    """The test contract above, compiled by protoc and rendered by the plugin's own code."""
    import grpc_tools
    from google.api import annotations_pb2  # noqa: F401  (registers google.api.http for parsing)

    _chorus_options()  # registers the chorus extensions, as the plugin does before parsing
    tmp = tmp_path_factory.mktemp("openapi_proto")
    source = tmp / "openapi_testing" / "v1" / "library.proto"
    source.parent.mkdir(parents=True)
    source.write_text(LIBRARY_PROTO)
    descriptor_set = tmp / "library.pb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{tmp}",
            f"-I{ROOT / 'tests' / 'protos'}",
            f"-I{ROOT / 'proto'}",
            f"-I{ROOT / 'third_party' / 'googleapis'}",
            f"-I{Path(grpc_tools.__file__).parent / '_proto'}",
            f"--descriptor_set_out={descriptor_set}",
            "--include_imports",
            "--include_source_info",
            "openapi_testing/v1/library.proto",
        ],
        check=True,
        cwd=tmp,
    )
    files = {f.name: f for f in descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes()).file}
    methods = collect_methods(files["openapi_testing/v1/library.proto"])
    rendered = render_openapi("library", methods, files)
    assert render_openapi("library", methods, files) == rendered  # deterministic
    doc: Doc = json.loads(rendered)
    return doc


def test_library_document_is_valid(library: Doc) -> None:
    validate(library)
    assert library["info"]["title"] == "Chorus — library surface"
    assert [t["name"] for t in library["tags"]] == ["ShelfService"]
    assert library["tags"][0]["description"] == "Shelves hold books."


def test_additional_bindings_are_operations_of_their_own(library: Doc) -> None:
    paths = library["paths"]
    first = paths["/v1/{name}"]["get"]
    assert first["operationId"] == "ShelfService_GetBook"
    assert first["summary"] == "GetBook reads one book."
    assert first["description"] == "Also under a room, or by a body."
    name = params(first, "path")["name"]
    assert name["required"] is True
    assert name["schema"] == {"type": "string", "pattern": "^shelves/[^/]+/books/[^/]+$"}
    assert "`shelves/*/books/*`" in name["description"]
    # Same OpenAPI shape, another sub-pattern: kept apart by a suffixed placeholder.
    room = paths["/v1/{name_1}"]["get"]
    assert room["operationId"] == "ShelfService_GetBook_1"
    assert params(room, "path")["name_1"]["schema"]["pattern"] == "^rooms/[^/]+/books/[^/]+$"
    lookup = paths["/v1/books:lookup"]["post"]
    assert lookup["operationId"] == "ShelfService_GetBook_2"
    assert lookup["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": REF + "openapi_testing.v1.GetBookRequest"
    }
    assert "parameters" not in lookup


def test_success_status_201_and_a_named_body_field(library: Doc) -> None:
    create = library["paths"]["/v1/{parent}/books"]["post"]
    assert set(create["responses"]) == {"201", "default"}
    # Book is a request body here and a response too: its output form is a component of its own.
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": REF + "openapi_testing.v1.Book-Output"
    }
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"] == REF + "openapi_testing.v1.Book"
    assert params(create, "path")["parent"]["schema"]["pattern"] == "^shelves/[^/]+$"
    # Neither the path field nor the body field is a query parameter; the rest are.
    assert list(params(create, "query")) == ["requestId"]


def test_success_status_204_has_no_content(library: Doc) -> None:
    delete = library["paths"]["/v1/{name}"]["delete"]
    assert set(delete["responses"]) == {"204", "default"}
    assert "content" not in delete["responses"]["204"]


def test_response_body_and_custom_verb(library: Doc) -> None:
    title = library["paths"]["/v1/{name}:title"]["get"]
    schema = title["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"type": "string", "description": "The title."}


def test_body_star_drops_path_fields(library: Doc) -> None:
    rename = library["paths"]["/v1/{name}:rename"]["post"]
    body = rename["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"newTitle"}
    assert "parameters" in rename and list(params(rename, "query")) == []
    update = library["paths"]["/v1/{book.name}"]["patch"]
    assert params(update, "path")["book.name"]["required"] is True
    assert update["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": REF + "openapi_testing.v1.UpdateBookRequest"
    }
    assert "`book.name`" in update["requestBody"]["description"]


def test_query_parameters(library: Doc) -> None:
    query = params(library["paths"]["/v1/search"]["get"], "query")
    assert list(query) == [
        "query",
        "pageSize",
        "genres",
        "filter.author",
        "filter.genre",
        "since",
        "inStock",
        "minIsbn",
    ]
    assert query["query"]["schema"] == {"type": "string"}
    assert query["query"]["description"] == "Free text."
    assert query["pageSize"]["schema"] == {"type": "integer", "format": "int32"}
    assert query["genres"]["schema"] == {"type": "array", "items": {"$ref": REF + "openapi_testing.v1.Genre"}}
    assert (query["genres"]["style"], query["genres"]["explode"]) == ("form", True)
    assert query["filter.genre"]["schema"] == {"$ref": REF + "openapi_testing.v1.Genre"}
    assert query["since"]["schema"] == {"type": "string", "format": "date-time"}
    assert query["inStock"]["schema"] == {"type": "boolean"}
    assert query["minIsbn"]["schema"] == {"type": "string", "format": "uint64"}


def test_message_schema_mappings(library: Doc) -> None:
    schemas = library["components"]["schemas"]
    book = schemas["openapi_testing.v1.Book"]
    assert book["description"] == "Book is a book."
    p = book["properties"]
    assert p["genre"] == {"$ref": REF + "openapi_testing.v1.Genre"}
    assert schemas["openapi_testing.v1.Genre"]["enum"] == ["GENRE_UNSPECIFIED", "GENRE_FICTION"]
    assert schemas["openapi_testing.v1.Genre"]["type"] == "string"
    assert "`GENRE_UNSPECIFIED`: Not set." in schemas["openapi_testing.v1.Genre"]["description"]
    assert p["authors"] == {"type": "array", "items": {"type": "string"}}
    assert p["counts"] == {"type": "object", "additionalProperties": {"type": "string", "format": "int64"}}
    assert p["published"] == {"type": "string", "format": "date-time"}
    assert p["pages"] == {"type": "integer", "format": "int32"}
    assert p["isbn"] == {"type": "string", "format": "int64"}
    assert p["subtitle"]["x-proto3-optional"] is True
    assert p["sequel"] == {"$ref": REF + "openapi_testing.v1.Book"}  # recursive
    # The map entry types are inlined, never components; WKTs neither.
    assert not [n for n in schemas if n.endswith("Entry") or n.startswith("google.protobuf.")]


def test_kitchen_sink_json_mapping(library: Doc) -> None:
    described = library["components"]["schemas"]["chorus_testing.v1.KitchenSink"]["properties"]
    assert described["fDouble"]["description"] == "Every scalar type, without presence."
    assert described["customName"]["description"] == "An explicit json_name."
    p = {k: {n: v for n, v in s.items() if n != "description"} for k, s in described.items()}
    assert p["fDouble"] == {"type": "number", "format": "double"}
    assert p["fFloat"] == {"type": "number", "format": "float"}
    assert p["fSint32"] == {"type": "integer", "format": "int32"}
    assert p["fUint32"] == {"type": "integer", "format": "uint32"}
    assert p["fSfixed64"] == {"type": "string", "format": "int64"}
    assert p["fFixed64"] == {"type": "string", "format": "uint64"}
    assert p["fBool"] == {"type": "boolean"}
    assert p["fBytes"] == {"type": "string", "format": "byte"}
    assert p["rInt64"] == {"type": "array", "items": {"type": "string", "format": "int64"}}
    assert p["rInner"] == {"type": "array", "items": {"$ref": REF + "chorus_testing.v1.Inner"}}
    assert p["mIntInner"] == {
        "type": "object",
        "additionalProperties": {"$ref": REF + "chorus_testing.v1.Inner"},
        "propertyNames": {"pattern": "^-?[0-9]+$"},
    }
    assert p["mBoolEnum"]["propertyNames"] == {"enum": ["true", "false"]}
    assert p["mValue"] == {"type": "object", "additionalProperties": {}}
    assert p["ts"] == {"type": "string", "format": "date-time"}
    assert p["dur"]["type"] == "string" and p["dur"]["pattern"].endswith("s$")
    assert p["mask"] == {"type": "string"}
    assert p["st"] == {"type": "object"}
    assert p["val"] == {}
    assert p["lv"] == {"type": "array"}
    assert p["empty"] == {"type": "object"}
    assert p["any"]["required"] == ["@type"]
    assert p["nullVal"] == {"type": "null"}
    assert p["wDouble"] == {"type": "number", "format": "double"}
    assert p["wInt64"] == {"type": "string", "format": "int64"}
    assert p["wUint32"] == {"type": "integer", "format": "uint32"}
    assert p["wBool"] == {"type": "boolean"}
    assert p["wString"] == {"type": "string"}
    assert p["wBytes"] == {"type": "string", "format": "byte"}
    assert p["rWrap"] == {"type": "array", "items": {"type": "integer", "format": "int32"}}
    assert p["customName"] == {"type": "string"}
    assert "renamed" not in p
    assert p["epochMs"]["type"] == "integer"
    assert p["epochList"]["items"] == {"type": "integer", "format": "int64"}
    assert (p["optEpoch"]["type"], p["optEpoch"]["format"]) == ("integer", "uint64")
    assert p["optEpoch"]["x-proto3-optional"] is True
    assert p["cText"]["x-oneof"] == "choice"
    sink = library["components"]["schemas"]["chorus_testing.v1.KitchenSink"]
    assert sink["x-oneof"] == {"choice": ["cText", "cNumber", "cInner", "cTime"]}


def test_data_only_sse_with_type_key_and_done(library: Doc) -> None:
    watch = library["paths"]["/v1/books:watch"]["get"]
    assert list(params(watch, "query")) == ["shelf"]
    content = watch["responses"]["200"]["content"]
    assert set(content) == {"text/event-stream"}  # no stream flag: never plain JSON
    stream = content["text/event-stream"]
    assert stream["x-sse-style"] == "data"
    assert stream["x-sse-type-key"] == "type"
    assert stream["x-sse-done-data"] == "[DONE]"
    events = stream["x-sse-events"]
    assert set(events) == {"added", "removed", "error"}
    assert events["added"]["data"]["allOf"] == [
        {"type": "object", "properties": {"type": {"const": "added"}}, "required": ["type"]},
        {"$ref": REF + "openapi_testing.v1.Book-Output"},
    ]
    assert events["removed"] == {"data": {"type": "string"}, "description": "The name of a book that left."}
    assert events["error"]["data"]["allOf"][0]["properties"] == {"type": {"const": "error"}}
    assert "`data: [DONE]`" in stream["schema"]["description"]


def test_stream_without_sse_rules_is_data_only(library: Doc) -> None:
    stream = library["paths"]["/v1/books:tail"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    assert stream["x-sse-style"] == "data"
    assert set(stream["x-sse-events"]) == {"message", "error"}
    assert stream["x-sse-events"]["message"]["data"] == {"$ref": REF + "openapi_testing.v1.Book-Output"}
    assert stream["x-sse-events"]["error"]["data"]["required"] == ["error"]


def test_sse_schema_describes_each_event_as_parsed(library: Doc) -> None:
    """`schema` of an event stream is one parsed event (OpenAPI 3.2's `itemSchema` reading):
    the event's type and its `data`, a JSON text whose schema is `contentSchema`."""
    stream = library["paths"]["/v1/books:watch"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    items = stream["schema"]["anyOf"]
    by_data = {json.dumps(i["properties"]["data"].get("contentSchema", i["properties"]["data"])): i for i in items}
    assert len(items) == 4  # added, removed, error, [DONE]
    for item in items:
        assert item["required"] == ["event", "data"]
        assert item["properties"]["event"] == {"const": "message"}  # data-only: no `event:` line
    added = by_data[json.dumps(stream["x-sse-events"]["added"]["data"])]
    assert added["properties"]["data"]["contentMediaType"] == "application/json"
    assert {"const": "[DONE]"} in [i["properties"]["data"] for i in items]


def test_named_sse_events_carry_their_event_type(crispy: Doc) -> None:
    stream = crispy["paths"]["/chat"]["post"]["responses"]["200"]["content"]["text/event-stream"]
    events = {i["properties"]["event"]["const"]: i["properties"]["data"] for i in stream["schema"]["anyOf"]}
    assert set(events) == {"token", "done", "completion", "error"}
    assert events["token"]["contentSchema"] == {"$ref": REF + "crispy.v1.ChatToken"}
    assert events["error"]["contentSchema"]["required"] == ["error"]


def test_document_spellings_and_field_behavior_in_the_mcos_document() -> None:
    """`(chorus.api.v1.enum_value).json` and `google.api.field_behavior` reach the schemas."""
    mcos: Doc = json.loads((CRISPY.parent / "mcos.json").read_text())
    validate(mcos)
    schemas = mcos["components"]["schemas"]
    assert schemas["mcos.v1.TaskStatus"]["enum"] == ["open", "in_progress", "completed"]
    assert schemas["mcos.v1.TaskPriority"]["enum"] == ["low", "medium", "high", "urgent"]
    assert schemas["mcos.v1.Role"]["enum"] == ["user", "assistant", "system"]
    for name in ("mcos.v1.Task", "mcos.v1.Task-Output"):
        task = schemas[name]["properties"]
        assert {key for key, field in task.items() if field.get("readOnly")} == {"id", "created_at", "updated_at"}
        assert task["status"]["$ref"] == REF + "mcos.v1.TaskStatus"
    listed = params(mcos["paths"]["/api/tasks"]["get"], "query")
    assert listed["status"]["schema"] == {"$ref": REF + "mcos.v1.TaskStatus"}
    sync: Doc = json.loads((CRISPY.parent / "chittyos-sync.json").read_text())
    replace = sync["components"]["schemas"]["chittyos.sync.v1.ReplaceTodosRequest"]
    assert replace["required"] == ["todos"]
    platform = params(sync["paths"]["/{platform_1}"]["get"], "path")["platform_1"]["schema"]
    assert platform == {"$ref": REF + "chittyos.sync.v1.Platform", "pattern": "^notion$"}


def test_output_schemas_require_what_the_bridge_always_writes(library: Doc) -> None:
    schemas = library["components"]["schemas"]
    # Fields without presence are always written; messages, wrappers and `optional` only when set.
    book = schemas["openapi_testing.v1.Book-Output"]
    assert book["required"] == ["name", "title", "genre", "authors", "counts", "isbn"]
    assert "required" not in schemas["openapi_testing.v1.Book"]  # a request may leave any field out
    # A type only responses use has one component, in its output form.
    assert schemas["openapi_testing.v1.SearchResponse"]["required"] == ["books"]
    assert "openapi_testing.v1.SearchResponse-Output" not in schemas
    # Oneof members are written only when set.
    assert "required" not in schemas["openapi_testing.v1.BookEvent"]


@pytest.mark.parametrize("surface", sorted(DIALECTS))
def test_each_surface_documents_its_dialects_own_error_schemas(surface: str) -> None:
    """The documents take the error envelopes from the dialects that write them: no second copy."""
    doc: Doc = json.loads((ROOT / "gen" / "chorus_contracts" / "openapi" / f"{surface}.json").read_text())
    dialect = DIALECTS[surface]
    error = doc["components"]["responses"]["Error"]
    assert error["content"]["application/json"]["schema"] == {"$ref": REF + dialect.error_schema_name}
    assert doc["components"]["schemas"][dialect.error_schema_name] == dialect.error_schema
    assert error["headers"][dialect.request_id_header.decode()]["required"] is True
    for item in doc["paths"].values():
        for operation in item.values():
            assert operation["responses"]["default"] == {"$ref": "#/components/responses/Error"}
            for media in operation["responses"].get("200", {}).get("content", {}).values():
                for event in media.get("x-sse-events", {}).values():
                    if event.get("description", "").startswith("An error raised after"):
                        data = event["data"]
                        assert dialect.stream_error_schema in (data, *data.get("allOf", []))


def test_other_surfaces_get_a_status_like_error(library: Doc) -> None:
    error = library["components"]["responses"]["Error"]["content"]["application/json"]["schema"]
    status = resolve(library, error)
    assert status["required"] == ["code", "message", "details"]
    assert status["properties"]["code"]["type"] == "integer"
    assert "CrispyError" not in library["components"]["schemas"]


# How each surface's clients send credentials, as its document (/work/shared/spec) says.
_CREDENTIALS = {
    "crispy": {("apiKey", "header", "x-api-key"), ("apiKey", "header", "x-tenant-id")},
    "mcos": {("apiKey", "header", "CF-Access-JWT-Assertion")},
    "chaozcode": {("http", "bearer", "")},
    "agentchassis": {("apiKey", "header", "X-API-Key"), ("http", "bearer", "")},
    **{f"chittyos-{s}": {("http", "bearer", "")} for s in ("id", "auth", "sync", "mcp", "ai")},
}


@pytest.mark.parametrize("surface", sorted(DIALECTS))
def test_each_surface_documents_its_dialects_security_schemes(surface: str) -> None:
    doc: Doc = json.loads((ROOT / "gen" / "chorus_contracts" / "openapi" / f"{surface}.json").read_text())
    schemes = doc["components"]["securitySchemes"]
    assert schemes == DIALECTS[surface].security_schemes
    sent = {(s["type"], s.get("in") or s.get("scheme"), s.get("name", "")) for s in schemes.values()}
    assert sent == _CREDENTIALS[surface]
    validate(doc)


def test_a_surface_without_a_dialect_has_no_security_schemes(library: Doc) -> None:
    assert "securitySchemes" not in library["components"]
