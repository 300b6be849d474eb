"""An MCP client for one tool server, over stdio or streamable HTTP, with the official SDK.

One session is kept open and shared by every call (a stdio server is one
process, started on first use, not one per call). Sessions live on a loop
of their own (`LoopThread`: spawning the server from Chorus's uvloop is not
safe), and the SDK's transports use anyio scopes that must close in the task
that opened them, so each session is opened, held and closed by a task of
its own there; calls only send requests on it.

A call that fails for any reason but the tool's own answer (a crash, a
refused connection, a missing command, a timeout) drops the session, and the
next call opens a new one. A session that had worked and broke in the
meantime gets one retry on a fresh one within the same deadline. Every call
is bounded by `timeout` seconds, connecting included. Failures are
`McpCallError`s; the SDK's own exceptions never leak out.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import importlib
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from server.platform import trace_context
from server.platform.mcp.loop_thread import LoopThread

if TYPE_CHECKING:
    from mcp import Client
    from mcp.types import CallToolResult

log = logging.getLogger("chorus.mcp")

# Seconds closing may take (the SDK's stdio shutdown waits up to 2 s for the
# server to exit after its stdin closes, then signals it).
_CLOSE_TIMEOUT = 6.0
# Extra seconds the caller waits beyond `timeout` before giving up on the
# session loop itself (it enforces `timeout`; this only guards against it
# being stuck).
_CALLER_GRACE = 2.0
_MAX_ERROR_TEXT = 300
# The SDK is imported once per process, by one thread: it takes about a
# second, and concurrent first imports of it can fail half-way.
_sdk_import_lock = threading.Lock()


class McpCallError(Exception):
    """A tool call that failed. `transient`: the server could not be reached or did
    not answer in time (rather than answering with an error or garbage)."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


@dataclass(frozen=True)
class McpServerTarget:
    """Where the server is: a streamable-HTTP `url`, else a stdio `command`."""

    url: str = ""
    command: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.url and not self.command:
            raise ValueError("an MCP server needs a url or a command")

    def __str__(self) -> str:
        return f"MCP server {self.url}" if self.url else f"MCP server `{' '.join(self.command)}`"


@dataclass(eq=False)
class _Session:
    """One connection; `ready` resolves to the connected client once its task has opened it."""

    ready: asyncio.Future[Client]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    worked: bool = False  # a call has succeeded on it


@dataclass(frozen=True, slots=True)
class McpTool:
    name: str
    description: str
    input_schema: dict[str, Any]


class McpToolClient:
    """`call_tool` and `aclose` are called on the caller's loop; everything else runs on the session loop."""

    def __init__(self, target: McpServerTarget, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        self._thread: LoopThread | None = None  # started by the first call
        self._closed = False
        self._session: _Session | None = None  # the one new calls use
        self._open: set[_Session] = set()  # every session whose task has not ended

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        """The tool's JSON result: its structured content, else its text content parsed as JSON."""

        async def call(client: Client) -> Any:
            # Read on the session loop, as the call itself: a bad answer drops the session.
            return _payload(name, await client.call_tool(name, arguments))

        return await self._on_session_loop(call)

    async def list_tools(self) -> list[McpTool]:
        """The server's tools: name, description and input schema."""
        listed = await self._on_session_loop(lambda client: client.list_tools())
        return [McpTool(t.name, t.description or "", dict(t.input_schema or {})) for t in listed.tools]

    async def _on_session_loop(self, request: Callable[[Client], Awaitable[Any]]) -> Any:
        if self._closed:
            raise McpCallError(f"{self.target}: the client is closed", transient=True)
        if self._thread is None:
            self._thread = LoopThread(f"mcp: {self.target}")
        try:
            async with asyncio.timeout(self.timeout + _CALLER_GRACE):
                return await self._thread.run(self._call(request))
        except TimeoutError:
            raise McpCallError(f"{self.target} did not answer within {self.timeout:g} s", transient=True) from None

    async def aclose(self) -> None:
        """Closes every session, including dropped ones still shutting down, and the session loop."""
        self._closed = True
        thread, self._thread = self._thread, None
        if thread is not None:
            try:
                await thread.run(self._close_sessions())
            finally:
                await thread.stop()

    # --- on the session loop ---

    async def _call(self, request: Callable[[Client], Awaitable[Any]]) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            session = self._current()
            retry_allowed = session.worked
            try:
                async with asyncio.timeout_at(deadline):
                    client = await asyncio.shield(session.ready)
                    result = await request(client)
            except TimeoutError:
                if session.ready.done():
                    self._drop(session)  # connected, but this call hung: the server is suspect
                    what = "did not answer"
                else:
                    what = "did not start"  # let it finish (its start is bounded itself) for the next call
                raise McpCallError(f"{self.target} {what} within {self.timeout:g} s", transient=True) from None
            except McpCallError:
                self._drop(session)
                raise
            except RuntimeError as exc:  # the SDK's check of structured content against the tool's outputSchema
                raise McpCallError(f"{self.target} answered badly: {_describe(exc)}", transient=False) from exc
            except Exception as exc:  # the SDK's and its transports' failures: the session is unusable
                self._drop(session)
                if retry_allowed and loop.time() < deadline:
                    log.info("%s: session broke (%s); retrying on a new one", self.target, _describe(exc))
                    continue
                raise McpCallError(f"{self.target} failed: {_describe(exc)}", transient=True) from exc
            session.worked = True
            return result

    async def _close_sessions(self) -> None:
        self._session = None
        sessions = list(self._open)
        for session in sessions:
            session.stop.set()
        tasks = [session.task for session in sessions if session.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=_CLOSE_TIMEOUT)
            for task in pending:
                task.cancel()

    def _current(self) -> _Session:
        if self._session is None:
            session = _Session(asyncio.get_running_loop().create_future())
            # A context of its own: the session outlives the request whose call opened it, and
            # its own requests (initialize, the GET stream) belong to no request's trace.
            session.task = asyncio.create_task(
                self._hold(session), name=f"mcp session: {self.target}", context=contextvars.Context()
            )
            self._session = session
            self._open.add(session)
        return self._session

    def _drop(self, session: _Session) -> None:
        if self._session is session:
            self._session = None
        session.stop.set()

    async def _hold(self, session: _Session) -> None:
        """Opens the session, publishes it, and closes it when told to (all in this task)."""
        try:
            async with contextlib.AsyncExitStack() as stack:
                async with asyncio.timeout(self.timeout):
                    client = await stack.enter_async_context(await self._client(stack))
                session.ready.set_result(client)
                await session.stop.wait()
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            _fail(session, McpCallError(f"{self.target} did not start within {self.timeout:g} s", transient=True))
        except Exception as exc:  # the SDK's failures, ExceptionGroups from its task groups included
            if not _fail(session, McpCallError(f"{self.target} failed: {_describe(exc)}", transient=True)):
                log.info("%s: session ended: %s", self.target, _describe(exc))
        finally:
            _fail(session, McpCallError(f"{self.target}: the session was closed", transient=True))
            self._drop(session)
            self._open.discard(session)

    async def _client(self, stack: contextlib.AsyncExitStack) -> Client:
        with _sdk_import_lock:
            importlib.import_module("mcp")
        from mcp import Client, StdioServerParameters

        if self.target.url:
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            # Each call's HTTP request carries the trace of the request that made it: the SDK
            # sends a message in its sender's context, which `LoopThread.run` carries over.
            http = await stack.enter_async_context(create_mcp_http_client())
            http.event_hooks["request"].append(trace_context.add_to_request)
            return Client(streamable_http_client(self.target.url, http_client=http), cache=None)
        command, *args = self.target.command
        return Client(StdioServerParameters(command=command, args=args), cache=None)


def _fail(session: _Session, error: McpCallError) -> bool:
    """Fails the session's waiters unless it has connected; True when it had not."""
    if session.ready.done():
        return False
    session.ready.set_exception(error)
    # Waiters may all have timed out already; do not warn about an unretrieved error.
    session.ready.add_done_callback(lambda future: future.exception())
    return True


def _payload(tool: str, result: CallToolResult) -> Any:
    from mcp.types import TextContent

    text = "".join(block.text for block in result.content if isinstance(block, TextContent))
    if result.is_error:
        raise McpCallError(f"the {tool} tool failed: {_clip(text) or 'no message'}", transient=False)
    if result.structured_content is not None:
        return result.structured_content
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        message = f"the {tool} tool answered with something that is not JSON: {_clip(text)!r}"
        raise McpCallError(message, transient=False) from None


def _describe(exc: BaseException) -> str:
    """One line naming what failed, from the innermost real exception of a group."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc)
    return _clip(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_ERROR_TEXT else text[: _MAX_ERROR_TEXT - 1] + "…"
