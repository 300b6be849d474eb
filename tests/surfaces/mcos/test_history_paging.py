"""GET /api/chat/history: pages oldest first, cursors both ways, other users' messages invisible."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from chorus_contracts.mcos.v1 import chat_pb2, chat_pb2_grpc, resources_pb2

from tests.support.envelopes import assert_error
from tests.support.grpc_status import error_info
from tests.surfaces.mcos.conftest import User


def chat(user: User, text: str, conversation_id: str) -> dict:
    response = user.rest.post(
        "/api/chat",
        json={"messages": [{"role": "user", "content": text}], "stream": False, "conversation_id": conversation_id},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def history(user: User, **params: object) -> dict:
    response = user.rest.get("/api/chat/history", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def ids(page: dict) -> list[str]:
    return [m["id"] for m in page["messages"]]


@pytest.fixture
def talker(user: Callable[..., User]) -> User:
    """A user with 5 turns (10 messages) in conversation "trip" and one in "other"."""
    person = user()
    for n in range(5):
        chat(person, f"question {n}", "trip")
    chat(person, "elsewhere", "other")
    return person


def test_default_page_is_the_newest_messages_oldest_first(talker: User) -> None:
    everything = history(talker, conversation_id="trip")
    assert everything["has_more"] is False and everything["cursor"] == everything["messages"][-1]["id"]
    messages = everything["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 5
    assert [m["content"] for m in messages[::2]] == [f"question {n}" for n in range(5)]
    assert all(m["conversation_id"] == "trip" for m in messages)
    assert messages[1]["content"].startswith('You said: "question 0"')
    assert all(m["id"].startswith("msg_") and len(m["id"]) == 28 for m in messages)
    assert [m["timestamp"] for m in messages] == sorted(m["timestamp"] for m in messages)
    assert all(m["timestamp"].endswith("Z") for m in messages)

    newest = history(talker, conversation_id="trip", limit=4)
    assert ids(newest) == ids(everything)[-4:]
    assert newest["has_more"] is True
    assert newest["cursor"] == ids(newest)[0]


def test_paging_back_then_forward_covers_everything_once(talker: User) -> None:
    everything = ids(history(talker, conversation_id="trip"))
    backwards: list[str] = []
    page = history(talker, conversation_id="trip", limit=3)
    pages = 1
    while True:
        backwards = ids(page) + backwards
        if not page["has_more"]:
            assert page["cursor"] == ids(page)[-1]  # back at the start: the cursor turns forward
            break
        page = history(talker, conversation_id="trip", limit=3, before=page["cursor"])
        pages += 1
    assert backwards == everything and pages == 4

    forwards: list[str] = []
    page = history(talker, conversation_id="trip", limit=4, after=everything[0])
    while True:
        forwards += ids(page)
        if not page["has_more"]:
            break
        assert page["cursor"] == ids(page)[-1]
        page = history(talker, conversation_id="trip", limit=4, after=page["cursor"])
    assert forwards == everything[1:]


def test_paging_stays_put_while_new_messages_arrive(talker: User) -> None:
    first = history(talker, conversation_id="trip", limit=4)
    chat(talker, "a new question", "trip")
    older = history(talker, conversation_id="trip", limit=4, before=first["cursor"])
    everything = ids(history(talker, conversation_id="trip"))
    assert ids(older) == everything[2:6]
    newer = history(talker, conversation_id="trip", after=ids(first)[-1])
    assert newer["messages"][0]["content"] == "a new question"
    assert newer["has_more"] is False and len(newer["messages"]) == 2


def test_a_client_polls_forward_with_the_cursor_it_was_given(user: Callable[..., User]) -> None:
    """Load the conversation, then keep asking `after=cursor`: every new message comes once."""
    person = user()
    chat(person, "first", "poll")
    page = history(person, conversation_id="poll")
    assert page["has_more"] is False and page["cursor"] == ids(page)[-1]
    seen = ids(page)
    for n in range(3):
        quiet = history(person, conversation_id="poll", after=page["cursor"])
        assert quiet == {"messages": [], "has_more": False, "cursor": page["cursor"]}
        chat(person, f"next {n}", "poll")
        page = history(person, conversation_id="poll", after=page["cursor"])
        assert page["messages"][0]["content"] == f"next {n}"
        assert page["has_more"] is False and page["cursor"] == ids(page)[-1]
        seen += ids(page)
    assert seen == ids(history(person, conversation_id="poll"))


def test_without_a_conversation_id_every_conversation_is_paged(talker: User) -> None:
    page = history(talker)
    assert len(page["messages"]) == 12
    assert {m["conversation_id"] for m in page["messages"]} == {"trip", "other"}
    assert page["messages"][-2]["content"] == "elsewhere"
    assert history(talker, limit=0)["messages"] == page["messages"]  # 0 means the default


def test_another_users_messages_are_invisible(talker: User, user: Callable[..., User]) -> None:
    stranger = user()
    assert history(stranger, conversation_id="trip") == {"messages": [], "has_more": False, "cursor": ""}
    assert history(stranger)["messages"] == []
    theirs = ids(history(talker, conversation_id="trip"))[3]
    for key in ("before", "after"):
        assert_error(stranger.rest.get("/api/chat/history", params={key: theirs}), "mcos", 404, "NOT_FOUND")
    # The same conversation id is a separate conversation per user.
    chat(stranger, "mine", "trip")
    assert history(stranger, conversation_id="trip")["messages"][0]["content"] == "mine"
    assert len(history(talker, conversation_id="trip")["messages"]) == 10


def test_a_cursor_from_another_conversation_is_not_found(talker: User) -> None:
    other = ids(history(talker, conversation_id="other"))[0]
    response = talker.rest.get("/api/chat/history", params={"conversation_id": "trip", "before": other})
    assert_error(response, "mcos", 404, "NOT_FOUND")
    unknown = talker.rest.get("/api/chat/history", params={"after": "msg_" + "0" * 24})
    assert_error(unknown, "mcos", 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 201}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"before": "msg_1", "after": "msg_2"}, "before"),
        ({"before": "123"}, "before"),
        ({"after": "msg_" + "g" * 24}, "after"),
        ({"conversation_id": "no spaces"}, "conversation_id"),
        ({"conversation_id": "x" * 101}, "conversation_id"),
    ],
)
def test_bad_queries_are_validation_errors(user: Callable[..., User], params: dict, field: str) -> None:
    error = assert_error(user().rest.get("/api/chat/history", params=params), "mcos", 400, "VALIDATION_ERROR")
    assert [field] in [issue["path"] for issue in error["details"]["issues"]]


def test_history_over_grpc(talker: User, mcos_channel: grpc.Channel) -> None:
    stub = chat_pb2_grpc.ChatServiceStub(mcos_channel)
    page = stub.GetChatHistory(
        chat_pb2.GetChatHistoryRequest(conversation_id="trip", limit=2), metadata=talker.grpc_metadata
    )
    assert [m.role for m in page.messages] == [resources_pb2.ROLE_USER, resources_pb2.ROLE_ASSISTANT]
    assert page.messages[0].content == "question 4" and page.has_more
    assert page.messages[0].timestamp.ToMilliseconds() > 0
    with pytest.raises(grpc.RpcError) as failure:
        stub.GetChatHistory(chat_pb2.GetChatHistoryRequest(limit=500), metadata=talker.grpc_metadata)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(failure.value).reason == "VALIDATION_ERROR"
    with pytest.raises(grpc.RpcError) as unauthenticated:
        stub.GetChatHistory(chat_pb2.GetChatHistoryRequest())
    assert unauthenticated.value.code() == grpc.StatusCode.UNAUTHENTICATED
