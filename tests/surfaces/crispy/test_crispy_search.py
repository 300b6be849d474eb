"""Crispy's documents (our extension) and `POST /search` (spec 004, M3-M4), end to end."""

from __future__ import annotations

import re
from pathlib import Path

import grpc
import httpx
import pytest
from chorus_contracts.crispy.v1 import search_pb2, search_pb2_grpc

from tests.support.chorus_process import ChorusProcess, run_cli
from tests.support.crispy_server import DEMO, SEED_CONFIG
from tests.support.envelopes import assert_error
from tests.support.openai_upstream import OpenAIUpstream
from tests.support.search_corpus import DOCUMENTS, QUESTIONS, UNANSWERABLE, section_of
from tests.support.sse import parse_sse

OTHER = {"x-tenant-id": "other"}
NOTHING_FOUND = "I couldn't find anything about that in your documents"


@pytest.fixture(scope="module")
def corpus(rest: httpx.Client) -> None:
    """The labelled corpus in tenant e2e (ids fixed: storing again replaces)."""
    for document_id, (title, text) in DOCUMENTS.items():
        body = {"id": document_id, "title": title, "text": text, "metadata": {"source": "search_corpus"}}
        stored = rest.post("/documents", json=body, headers=DEMO)
        assert stored.status_code == 201, stored.text
    # `other` holds a document under one of e2e's ids, about something else.
    garden = {"id": "tenancy-guide", "title": "Bread", "text": "Knead the dough for ten minutes, then let it rise."}
    assert rest.post("/documents", json=garden, headers=OTHER).status_code == 201


def _search(rest: httpx.Client, query: str, headers: dict[str, str] = DEMO, **extra: object) -> httpx.Response:
    return rest.post("/search", json={"query": query, **extra}, headers=headers)


def test_create_document_chunks_on_structure(rest: httpx.Client) -> None:
    text = "# Handbook\n\nIntro.\n\n## Holidays\n\nTake them.\n\n## Laptops\n\nLock them."
    body = {"title": "Handbook", "text": text, "metadata": {"team": "people", "version": 2}}
    response = rest.post("/documents", json=body, headers=DEMO)
    assert response.status_code == 201, response.text
    created = response.json()
    assert list(created) == ["document", "requestId"]
    document = created["document"]
    assert re.fullmatch(r"doc_[0-9a-f]{16}", document["id"])
    assert document["title"] == "Handbook" and document["format"] == "markdown"
    assert document["metadata"] == {"team": "people", "version": 2}
    assert document["characters"] == len(text)
    assert document["chunks"] == 3  # one per section: the intro, Holidays, Laptops
    assert isinstance(document["createdAt"], int)
    plain = rest.post(
        "/documents", json={"title": "Plain", "text": "# not a heading\n\nsecond", "format": "text"}, headers=DEMO
    )
    assert plain.json()["document"]["chunks"] == 1  # two paragraphs packed: plain text has no sections
    assert rest.delete(f"/documents/{document['id']}", headers=DEMO).status_code == 200
    assert rest.delete(f"/documents/{plain.json()['document']['id']}", headers=DEMO).status_code == 200


def test_create_document_validation(rest: httpx.Client) -> None:
    bad = rest.post("/documents", json={"title": "", "text": " ", "format": "pdf", "id": "a/b"}, headers=DEMO)
    issues = [(i["path"], i["message"]) for i in assert_error(bad, "crispy", 400)["details"]["issues"]]
    assert issues == [
        (["title"], "String must contain at least 1 character(s)"),
        (["text"], "String must contain at least 1 character(s)"),
        (["format"], "Unsupported format 'pdf'; supported formats: markdown, text"),
        (["id"], "Must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'"),
    ]
    assert_error(rest.post("/documents", json={"title": "t", "text": "x"}), "crispy", 401)


def test_list_documents_paginates(rest: httpx.Client, corpus: None) -> None:
    seen: list[str] = []
    cursor = ""
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = rest.get("/documents", params=params, headers=DEMO)
        assert page.status_code == 200, page.text
        body = page.json()
        assert list(body) == ["documents", "nextCursor", "requestId"]
        assert len(body["documents"]) <= 2
        seen += [d["id"] for d in body["documents"]]
        cursor = body["nextCursor"]
        if not cursor:
            break
    assert set(DOCUMENTS) <= set(seen) and len(seen) == len(set(seen))
    created = [
        d["createdAt"] for d in rest.get("/documents", params={"limit": "100"}, headers=DEMO).json()["documents"]
    ]
    assert created == sorted(created, reverse=True)
    # Another tenant lists its own documents only.
    theirs = rest.get("/documents", headers=OTHER).json()["documents"]
    assert [(d["id"], d["title"]) for d in theirs] == [("tenancy-guide", "Bread")]
    assert_error(rest.get("/documents", params={"limit": "500"}, headers=DEMO), "crispy", 400)
    assert_error(rest.get("/documents", params={"cursor": "nonsense!"}, headers=DEMO), "crispy", 400)


def test_search_answers_from_the_tenants_chunks_with_citations(rest: httpx.Client, corpus: None) -> None:
    response = _search(rest, "What is tenant isolation?", topK=3)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["answer", "sources", "confidence", "followUps", "requestId"]
    assert body["requestId"] == response.headers["x-request-id"]
    sources = body["sources"]
    assert 1 <= len(sources) <= 3
    best = sources[0]
    assert best["documentId"] == "tenancy-guide" and best["heading"] == section_of("tenancy-guide", "Tenant isolation")
    assert best["chunk"].startswith("Tenant isolation ensures")
    assert [s["score"] for s in sources] == sorted((s["score"] for s in sources), reverse=True)
    assert all(0.25 <= s["score"] <= 1 for s in sources)
    # The builtin model was given the numbered chunks alone: its answer carries them and their marks.
    assert "[1]" in body["answer"] and "Tenant isolation ensures" in body["answer"]
    assert 0 < body["confidence"] <= 1
    assert 2 <= len(body["followUps"]) <= 3
    for question in body["followUps"]:  # each one retrieves something itself
        assert _search(rest, question, topK=1).json()["sources"], question


def test_search_retrieves_the_labelled_section(rest: httpx.Client, corpus: None) -> None:
    """Recall@3 on the labelled corpus (tests/support/search_corpus.py): every section found."""
    found = 0
    for question, document_id, heading in QUESTIONS:
        sources = _search(rest, question, topK=3).json()["sources"]
        found += any(
            s["documentId"] == document_id and s["heading"] == section_of(document_id, heading) for s in sources
        )
    assert found == len(QUESTIONS)


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_nothing_relevant_says_so(rest: httpx.Client, corpus: None, question: str) -> None:
    body = _search(rest, question).json()
    assert body["sources"] == [] and body["confidence"] == 0
    assert body["answer"].startswith(NOTHING_FOUND)
    # Follow-ups still point at what the corpus does cover.
    assert all(_search(rest, q, topK=1).json()["sources"] for q in body["followUps"])


def test_search_streams_named_events(rest: httpx.Client, corpus: None) -> None:
    response = _search(rest, "How do I undo a bad release?", stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    events, _ = parse_sse(response.text)
    names = [e.event for e in events]
    assert names[0] == "sources" and names[-1] == "done"
    assert set(names[1:-1]) == {"token"} and len(names) > 4
    sources = events[0].json()["sources"]
    assert sources[0]["documentId"] == "deploy-runbook"
    done = events[-1].json()
    assert list(done) == ["confidence", "followUps", "requestId"]
    assert done["requestId"] == response.headers["x-request-id"]
    streamed = "".join(e.json()["token"] for e in events[1:-1])
    whole = _search(rest, "How do I undo a bad release?").json()
    assert streamed.strip() == whole["answer"] and done["confidence"] == whole["confidence"]
    nothing = parse_sse(_search(rest, UNANSWERABLE[0], stream=True).text)[0]
    assert nothing[0].json() == {"sources": []}
    assert "".join(e.json()["token"] for e in nothing[1:-1]).startswith(NOTHING_FOUND)


def test_search_validation(rest: httpx.Client) -> None:
    bad = _search(rest, "", topK=50)
    issues = [(i["path"], i["message"]) for i in assert_error(bad, "crispy", 400)["details"]["issues"]]
    assert issues == [
        (["query"], "String must contain at least 1 character(s)"),
        (["topK"], "Must be between 1 and 20"),
    ]
    assert_error(_search(rest, "hello", headers={}), "crispy", 401)


def test_tenants_never_see_each_others_documents(rest: httpx.Client, corpus: None) -> None:
    # `other` asks e2e's question: its own corpus (bread) has nothing on it.
    theirs = _search(rest, "What is tenant isolation?", headers=OTHER).json()
    assert theirs["sources"] == [] and theirs["answer"].startswith(NOTHING_FOUND)
    # e2e's document of the same id is e2e's own, and `other`'s is not retrieved for e2e.
    bread = _search(rest, "How long should I knead dough?").json()
    assert all("dough" not in s["chunk"] for s in bread["sources"])
    # Another tenant cannot delete e2e's document: 404, and it is still retrieved.
    assert_error(rest.delete("/documents/billing-faq", headers=OTHER), "crispy", 404)
    assert _search(rest, "Can I get my money back on a yearly subscription?").json()["sources"][0]["documentId"] == (
        "billing-faq"
    )


def test_delete_document_stops_retrieval(rest: httpx.Client, corpus: None) -> None:
    body = {"title": "Lighthouse", "text": "# Lighthouse\n\nThe lamp of the lighthouse is lit at dusk by the keeper."}
    document = rest.post("/documents", json=body, headers=DEMO).json()["document"]
    question = "When does the keeper light the lighthouse lamp?"
    assert _search(rest, question).json()["sources"][0]["documentId"] == document["id"]
    deleted = rest.delete(f"/documents/{document['id']}", headers=DEMO)
    assert deleted.status_code == 200
    assert deleted.json() | {"requestId": ""} == {"success": True, "documentId": document["id"], "requestId": ""}
    assert all(s["documentId"] != document["id"] for s in _search(rest, question).json()["sources"])
    assert_error(rest.delete(f"/documents/{document['id']}", headers=DEMO), "crispy", 404)


def test_replacing_a_document_drops_its_old_chunks(rest: httpx.Client) -> None:
    first = "# Kiln\n\n## Firing\n\nThe kiln fires stoneware at 1240 degrees.\n\n## Glaze\n\nCeladon glaze is green."
    body = {"id": "kiln-notes", "title": "Kiln", "text": first}
    assert rest.post("/documents", json=body, headers=DEMO).json()["document"]["chunks"] == 2
    replaced = rest.post("/documents", json=body | {"text": "# Kiln\n\nThe kiln is electric."}, headers=DEMO)
    assert replaced.json()["document"]["chunks"] == 1
    sources = _search(rest, "What colour is celadon glaze?").json()["sources"]
    assert all("Celadon" not in s["chunk"] for s in sources)
    assert rest.delete("/documents/kiln-notes", headers=DEMO).status_code == 200


def test_search_tool_runs_the_same_search(rest: httpx.Client, corpus: None) -> None:
    tools = [t["name"] for t in rest.get("/tools", headers=DEMO).json()["tools"]]
    assert "search" in tools
    response = rest.post(
        "/tools/execute", json={"tool": "search", "args": {"query": "Which ways can I pay?", "topK": 2}}, headers=DEMO
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["toolName"] == "search"
    result = body["result"]
    assert set(result) == {"answer", "sources", "confidence", "followUps"}
    assert result["sources"][0]["documentId"] == "billing-faq" and len(result["sources"]) <= 2
    direct = _search(rest, "Which ways can I pay?", topK=2).json()
    assert result["answer"] == direct["answer"] and result["confidence"] == direct["confidence"]
    other = rest.post(
        "/tools/execute", json={"tool": "search", "args": {"query": "Which ways can I pay?"}}, headers=OTHER
    )
    assert other.json()["result"]["sources"] == []
    bad = rest.post("/tools/execute", json={"tool": "search", "args": {"query": "x", "topK": 0}}, headers=DEMO)
    assert_error(bad, "crispy", 400)


def test_documents_and_search_over_grpc(chorus: ChorusProcess, corpus: None) -> None:
    metadata = tuple(DEMO.items())
    with grpc.insecure_channel(chorus.grpc_addr) as channel:
        documents = search_pb2_grpc.DocumentServiceStub(channel)
        search = search_pb2_grpc.SearchServiceStub(channel)
        created = documents.CreateDocument(
            search_pb2.CreateDocumentRequest(
                title="Ferry", text="The ferry to the island leaves at 7:15 every morning."
            ),
            metadata=metadata,
        )
        assert created.document.chunks == 1 and created.request_id
        listed = documents.ListDocuments(search_pb2.ListDocumentsRequest(limit=100), metadata=metadata)
        assert created.document.id in [d.id for d in listed.documents]
        events = list(
            search.Search(
                search_pb2.SearchRequest(query="What time does the boat to the island go?"), metadata=metadata
            )
        )
        assert len(events) == 1 and events[0].WhichOneof("event") == "result"
        assert events[0].result.sources[0].document_id == created.document.id
        streamed = list(
            search.Search(search_pb2.SearchRequest(query="What time does the boat go?", stream=True), metadata=metadata)
        )
        kinds = [e.WhichOneof("event") for e in streamed]
        assert kinds[0] == "sources" and kinds[-1] == "done" and set(kinds[1:-1]) == {"token"}
        documents.DeleteDocument(search_pb2.DeleteDocumentRequest(document_id=created.document.id), metadata=metadata)
        with pytest.raises(grpc.RpcError) as gone:
            documents.DeleteDocument(
                search_pb2.DeleteDocumentRequest(document_id=created.document.id), metadata=metadata
            )
        assert gone.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as foreign:
            documents.DeleteDocument(
                search_pb2.DeleteDocumentRequest(document_id="billing-faq"), metadata=tuple(OTHER.items())
            )
        assert foreign.value.code() == grpc.StatusCode.NOT_FOUND


def test_cli_loads_a_folder(rest: httpx.Client, data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "boats").mkdir(parents=True)
    (folder / "boats" / "sailing.md").write_text(
        "# Sailing Club\n\n## Moorings\n\nDinghies are moored on the east pontoon from April to October.\n"
    )
    (folder / "bees.txt").write_text("The hives are inspected every Sunday.\n\nHoney is harvested in August.\n")
    (folder / "logo.png").write_bytes(b"\x89PNG")
    out = run_cli(data_dir, "crispy", "documents", "load", str(folder), "--tenant", "e2e")
    assert "loaded  " in out and "chorus: 2 documents stored for tenant e2e" in out
    listed = {d["id"]: d for d in rest.get("/documents", params={"limit": "100"}, headers=DEMO).json()["documents"]}
    assert listed["boats.sailing.md"]["title"] == "Sailing Club" and listed["boats.sailing.md"]["format"] == "markdown"
    assert listed["bees.txt"]["title"] == "bees" and listed["bees.txt"]["metadata"] == {"path": "bees.txt"}
    sources = _search(rest, "Where are the small sailing boats kept?").json()["sources"]
    assert sources[0]["documentId"] == "boats.sailing.md"
    # Loading again replaces, by path: still one document each.
    run_cli(data_dir, "crispy", "documents", "load", str(folder), "--tenant", "e2e")
    ids = [d["id"] for d in rest.get("/documents", params={"limit": "100"}, headers=DEMO).json()["documents"]]
    assert ids.count("boats.sailing.md") == 1 and ids.count("bees.txt") == 1
    for document_id in ("boats.sailing.md", "bees.txt"):
        assert rest.delete(f"/documents/{document_id}", headers=DEMO).status_code == 200
    with pytest.raises(RuntimeError, match="no such tenant"):
        run_cli(data_dir, "crispy", "documents", "load", str(folder), "--tenant", "nobody")


def test_a_real_model_answers_from_the_chunks_alone(tmp_path: Path) -> None:
    """The model gets the numbered chunks and the question, nothing else; confidence falls when
    the answer says what the chunks do not; a failing model is a clean 503."""
    with OpenAIUpstream().serve() as upstream:
        config = SEED_CONFIG + f"""
[models]
default = "upstream-model"
[models.providers.builtin]
kind = "builtin"
[models.providers.local]
kind = "openai-compatible"
base_url = "{upstream.base_url}"
[models.routes.upstream-model]
provider = "local"
"""
        with (
            ChorusProcess(tmp_path / "search", config_toml=config) as proc,
            httpx.Client(base_url=proc.rest_url, timeout=60, headers={"x-tenant-id": "demo"}) as client,
        ):
            title, text = DOCUMENTS["tenancy-guide"]
            assert client.post("/documents", json={"id": "t", "title": title, "text": text}).status_code == 201
            other = {"title": "Secret", "text": "Tenant isolation of the other tenant: codeword albatross."}
            assert client.post("/documents", json=other, headers=OTHER).status_code == 201

            upstream.reply(
                "Tenant isolation keeps every customer's data apart: each query is scoped by the tenant id [1]."
            )
            grounded = client.post("/search", json={"query": "What is tenant isolation?", "topK": 2}).json()
            sent = upstream.chat_requests()[-1].body["messages"]
            assert [m["role"] for m in sent] == ["system", "user"]
            assert "ONLY the numbered sources" in sent[0]["content"]
            assert sent[1]["content"].startswith("Sources:\n\n[1] (Tenancy Guide > Tenant isolation)\nTenant isolation")
            assert sent[1]["content"].endswith("Question: What is tenant isolation?")
            assert "albatross" not in str(sent)  # another tenant's chunk never reaches the model
            assert grounded["answer"].endswith("[1].") and len(grounded["sources"]) == 2
            assert grounded["confidence"] >= 0.7

            upstream.reply("Tenant isolation was invented on the moon by astronauts eating cheese in 1969 [1].")
            invented = client.post("/search", json={"query": "What is tenant isolation?", "topK": 2}).json()
            assert invented["confidence"] < grounded["confidence"] / 2

            upstream.fail_next(5, status=400)
            failed = client.post("/search", json={"query": "What is tenant isolation?"})
            assert assert_error(failed, "crispy", 503)["error"].startswith("The answer model failed")
