"""Shared pieces of the Sync service tests: documented key sets, ids, and a private server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.chorus_process import ChorusProcess
from tests.surfaces.chittyos.conftest import ADMIN_KEY, CHITTYOS_CONFIG, HOSTS

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")

# The document's JSON field names, per body (and per nested object).
STATUS_KEYS = {"service", "version", "timestamp", "projects", "sessions", "topics"}
PROJECT_LIST_KEYS = {"projects", "total", "timestamp"}
PROJECT_SUMMARY_KEYS = {"id", "name", "lastSync", "filesWorked", "consolidatedTodos"}
# The document's GET body plus `metadata`, so what a create or update stored can be read back.
PROJECT_KEYS = PROJECT_SUMMARY_KEYS | {"fromGitHub", "metadata"}
CREATE_PROJECT_KEYS = {"success", "created", "project", "servicesRegistered"}
CREATED_PROJECT_KEYS = {"id", "name", "lastSync", "syncedToGitHub"}
DELETE_PROJECT_KEYS = {"success", "deleted", "note"}
SESSION_LIST_KEYS = {"sessions", "total", "active", "timestamp"}
SESSION_SUMMARY_KEYS = {"sessionId", "projectId", "aiPlatform", "active", "lastActivity"}
# The document's GET body plus `machineId` and `metadata` (and `ended` once ended).
SESSION_KEYS = {"sessionId", "projectId", "aiPlatform", "active", "created", "lastActivity", "machineId", "metadata"}
CREATE_SESSION_KEYS = {"success", "session"}
CREATED_SESSION_KEYS = {"id", "projectId", "aiPlatform", "created", "active"}
HEARTBEAT_KEYS = {"success", "sessionId", "updated", "note"}
END_SESSION_KEYS = {"success", "sessionId", "ended"}
TOPIC_LIST_KEYS = {"topics", "total", "timestamp"}
TOPIC_SUMMARY_KEYS = {"category", "count", "avgConfidence", "lastUpdated"}
TOPIC_KEYS = {"category", "conversations", "count"}
CONVERSATION_KEYS = {"id", "file", "category", "subcategories", "confidence", "categorized", "content_preview"}
CREATE_TOPIC_KEYS = {"success", "conversation"}
CREATED_CONVERSATION_KEYS = {"id", "category", "subcategories", "confidence", "categorized"}
TODO_LIST_KEYS = {"projects", "total", "timestamp"}
TODO_SUMMARY_KEYS = {
    "projectId",
    "todoCount",
    "lastSync",
    "sessions",
    "pendingTodos",
    "inProgressTodos",
    "completedTodos",
}
TODOS_KEYS = {"projectId", "todos", "lastSync", "sessions"}
TODO_KEYS = {"content", "status", "activeForm", "addedBy", "addedAt"}
REPLACE_TODOS_KEYS = {"success", "projectId", "todos", "lastSync", "githubSynced"}
SYNC_TODOS_KEYS = {"success", "projectId", "sessionId", "todos", "totalTodos", "added", "updated", "lastSync"}


def unique(prefix: str) -> str:
    """An id no other test uses, in the documented style (`session-1a2b...`)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def is_json(response: httpx.Response, status: int) -> bool:
    return response.status_code == status and response.headers["content-type"] == "application/json"


def mint(rest_url: str, permissions: list[str]) -> str:
    response = httpx.post(
        rest_url + "/api/auth/token",
        json={"chittyId": "01-P-EO-0001-T-25-C-X", "permissions": permissions, "expiresIn": 3600},
        headers={"host": HOSTS["auth"], "authorization": f"Bearer {ADMIN_KEY}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def sync_client(rest_url: str, token: str, host: str = HOSTS["api"]) -> httpx.Client:
    return httpx.Client(base_url=rest_url, headers={"host": host, "authorization": f"Bearer {token}"}, timeout=30)


@contextmanager
def private_server(data_dir: Path, extra_toml: str = "") -> Iterator[tuple[ChorusProcess, httpx.Client]]:
    """A ChittyOS server of its own (empty store, optional extra settings) and a
    read+write client on `api.*`."""
    with (
        ChorusProcess(data_dir, config_toml=CHITTYOS_CONFIG + extra_toml) as proc,
        sync_client(proc.rest_url, mint(proc.rest_url, ["read", "write"])) as client,
    ):
        yield proc, client
