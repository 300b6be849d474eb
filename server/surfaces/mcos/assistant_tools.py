"""The tools the MCoS assistant may call in chat: their specs and executors.

Results are JSON shaped like the REST resources (snake_case keys, RFC 3339
times). `list_tasks` is offered first: it only reads, so a model told to
call "some tool" (the builtin model's `tool_choice: "required"` picks the
first offered tool) does no harm.
"""

from __future__ import annotations

from typing import Any

from server.platform.agent.tool_box import Arguments, AssistantTool, object_schema
from server.platform.models.types import ToolSpec
from server.platform.scope import Scope
from server.platform.times import utc_datetime
from server.surfaces.mcos.flights.ranking import MAX_FLIGHTS
from server.surfaces.mcos.flights.service import CABIN_CLASSES, MAX_PASSENGERS, FlightTools
from server.surfaces.mcos.memories import MemoryRecord, MemoryService
from server.surfaces.mcos.quotas import FLIGHT_SEARCHES, STORAGE_WRITES
from server.surfaces.mcos.tasks import TASK_PRIORITIES, TASK_STATUSES, TaskRecord, TaskService

LIST_LIMIT = 20
_TIME = {"type": "string", "description": "RFC 3339 date-time (2025-05-10T09:00:00Z) or a date (2025-05-10)"}
_TAGS = {"type": "array", "items": {"type": "string"}, "maxItems": 20}


def json_time(ms: int | None) -> str | None:
    """As the REST API renders a Timestamp: UTC, fraction only when non-zero."""
    if ms is None:
        return None
    fraction = f".{ms % 1000:03d}" if ms % 1000 else ""
    return utc_datetime(ms).strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def task_json(task: TaskRecord) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "status": task.status,
        "priority": task.priority,
        "due": json_time(task.due_ms),
        "tags": list(task.tags),
        "completed_at": json_time(task.completed_at_ms),
        "created_at": json_time(task.created_at_ms),
        "updated_at": json_time(task.updated_at_ms),
    }


def memory_json(memory: MemoryRecord) -> dict[str, Any]:
    return {
        "id": memory.id,
        "type": memory.type,
        "key": memory.key,
        "value": memory.value,
        "category": memory.category,
        "created_at": json_time(memory.created_at_ms),
        "updated_at": json_time(memory.updated_at_ms),
    }


def list_tasks_tool(tasks: TaskService) -> AssistantTool:
    properties = {
        "status": {"type": "string", "enum": list(TASK_STATUSES)},
        "due_before": _TIME,
        "due_after": _TIME,
        "tags": {**_TAGS, "description": "Only tasks with all of these tags"},
    }

    async def run(scope: Scope, args: dict[str, Any]) -> Any:
        read = Arguments("list_tasks", args, list(properties))
        page = await tasks.list(
            scope,
            status=read.string("status"),
            due_before_ms=read.time_ms("due_before"),
            due_after_ms=read.time_ms("due_after"),
            tags=read.strings("tags"),
            limit=LIST_LIMIT,
        )
        return {"tasks": [task_json(t) for t in page.tasks], "has_more": bool(page.next_cursor)}

    spec = ToolSpec(
        "list_tasks",
        f"List the user's tasks (at most {LIST_LIMIT}), soonest due first; optionally filtered.",
        object_schema(properties),
    )
    return AssistantTool(spec, run)


def create_task_tool(tasks: TaskService) -> AssistantTool:
    properties = {
        "title": {"type": "string", "minLength": 1, "maxLength": 500},
        "due": _TIME,
        "priority": {"type": "string", "enum": list(TASK_PRIORITIES), "description": "Default medium"},
        "tags": _TAGS,
        "status": {"type": "string", "enum": list(TASK_STATUSES), "description": "Default open"},
    }

    async def run(scope: Scope, args: dict[str, Any]) -> Any:
        read = Arguments("create_task", args, list(properties))
        task = await tasks.create(
            scope,
            title=read.string("title", required=True) or "",
            due_ms=read.time_ms("due"),
            priority=read.string("priority"),
            tags=read.strings("tags"),
            status=read.string("status"),
        )
        return {"task": task_json(task)}

    spec = ToolSpec("create_task", "Create a task for the user.", object_schema(properties, ["title"]))
    return AssistantTool(spec, run, quota=STORAGE_WRITES)


def pin_memory_tool(memories: MemoryService) -> AssistantTool:
    properties = {
        "type": {"type": "string", "description": "e.g. preference, fact, contact", "maxLength": 50},
        "key": {"type": "string", "description": "Unique per user; pinning it again updates it", "maxLength": 200},
        "value": {"type": "string", "maxLength": 10_000},
        "category": {"type": "string", "description": "Optional grouping, e.g. travel", "maxLength": 50},
    }

    async def run(scope: Scope, args: dict[str, Any]) -> Any:
        read = Arguments("pin_memory", args, list(properties))
        memory = await memories.pin(
            scope,
            type=read.string("type", required=True) or "",
            key=read.string("key", required=True) or "",
            value=read.string("value", required=True) or "",
            category=read.string("category") or "",
        )
        return {"memory": memory_json(memory)}

    spec = ToolSpec(
        "pin_memory",
        "Remember something about the user (a preference, fact or contact) for later conversations.",
        object_schema(properties, ["type", "key", "value"]),
    )
    return AssistantTool(spec, run, quota=STORAGE_WRITES)


_AIRPORT = {"type": "string", "description": "IATA airport code, e.g. SFO", "minLength": 3, "maxLength": 3}
_DAY = {"type": "string", "description": "YYYY-MM-DD"}
_ENDPOINT = {
    "type": "object",
    "properties": {"airport": {"type": "string"}, "time": {"type": "string", "description": "RFC 3339"}},
    "required": ["airport", "time"],
}
_FLIGHT = {
    "type": "object",
    "description": "A flight as search_flights returns it",
    "properties": {
        "id": {"type": "string"},
        "airline": {"type": "string"},
        "flight_number": {"type": "string"},
        "departure": _ENDPOINT,
        "arrival": _ENDPOINT,
        "stops": {"type": "integer", "minimum": 0},
        "price": {
            "type": "object",
            "properties": {"amount": {"type": "number"}, "currency": {"type": "string"}},
            "required": ["amount"],
        },
    },
    "required": ["id", "departure", "arrival", "price"],
}


def search_flights_tool(flights: FlightTools) -> AssistantTool:
    properties = {
        "origin": _AIRPORT,
        "destination": _AIRPORT,
        "departure_date": _DAY,
        "return_date": {**_DAY, "description": "YYYY-MM-DD, for a round trip"},
        "passengers": {"type": "integer", "minimum": 1, "maximum": MAX_PASSENGERS},
        "cabin_class": {"type": "string", "enum": list(CABIN_CLASSES)},
    }

    async def run(scope: Scope, args: dict[str, Any]) -> Any:
        return await flights.search_tool(args)

    spec = ToolSpec(
        "search_flights",
        "Search flights between two airports on a date (and back, for a round trip).",
        object_schema(properties, ["origin", "destination", "departure_date"]),
    )
    return AssistantTool(spec, run, quota=FLIGHT_SEARCHES)


def rank_flights_tool(flights: FlightTools) -> AssistantTool:
    properties = {
        "flights": {"type": "array", "items": _FLIGHT, "minItems": 1, "maxItems": MAX_FLIGHTS},
        "user_preferences": {
            "type": "object",
            "properties": {
                "airlines": {"type": "array", "items": {"type": "string"}, "description": "Preferred airlines"},
                "max_stops": {"type": "integer", "minimum": 0},
                "price_weight": {"type": "number", "minimum": 0, "maximum": 1},
            },
        },
        "calendar_context": {
            "type": "array",
            "description": "The user's commitments a flight should not overlap",
            "items": {
                "type": "object",
                "properties": {
                    "start": {"type": "string", "description": "RFC 3339"},
                    "end": {"type": "string", "description": "RFC 3339"},
                    "title": {"type": "string"},
                },
                "required": ["start", "end"],
            },
        },
    }

    async def run(scope: Scope, args: dict[str, Any]) -> Any:
        return await flights.rank_tool(args)

    spec = ToolSpec(
        "rank_flights",
        "Rank flights (from search_flights) by the user's preferences and calendar, best first.",
        object_schema(properties, ["flights"]),
    )
    return AssistantTool(spec, run)
