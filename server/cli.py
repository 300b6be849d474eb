"""The `chorus` command: serve, bridge, migrate, and tenant / API key admin."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Awaitable, Callable

from server.config import ConfigError, Settings, TenantSeed, load_settings, tenant_seeds


def _serve(
    settings: Settings, args: argparse.Namespace, ready: Callable[[str, str], None] | None = None
) -> Awaitable[None]:
    """One process serving; with `ready` it is a pre-forked worker that reports
    (gRPC address, REST URL) to its supervisor, which announces them once."""
    from server.app import Chorus

    async def run() -> None:
        chorus = Chorus(settings, worker=ready is not None)
        grpc_addr, rest = await chorus.start_grpc(), ""
        if ready is None:
            if chorus.endpoints.admin:
                print(f"chorus: admin listening on {chorus.endpoints.admin}", flush=True)
            print(f"chorus: gRPC listening on {grpc_addr}", flush=True)
        if not args.grpc_only and settings.rest.enabled:
            inprocess = settings.rest.transport == "inprocess" and not settings.rest.upstream
            own = chorus.endpoints.own_grpc  # a worker's bridge calls its own server, not a sibling
            rest = await chorus.start_rest("" if inprocess else settings.rest.upstream or own)
            if ready is None:
                print(f"chorus: REST listening on {rest}", flush=True)
        if ready is not None:
            ready(grpc_addr, rest)
        # What start-up built lives as long as the process (contracts, codecs, SQLAlchemy's
        # tables and compiled statements): out of the cyclic GC's reach, a full collection
        # no longer walks it, which stalled requests for tens of ms (py-spy, bench unary).
        gc.freeze()
        await chorus.run_until_signal()

    return run()


def _bridge(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    from server.app import Chorus

    async def run() -> None:
        chorus = Chorus(settings)
        rest = await chorus.start_rest(args.upstream)
        if chorus.endpoints.admin:
            print(f"chorus: admin listening on {chorus.endpoints.admin}", flush=True)
        print(f"chorus: REST listening on {rest} (upstream {args.upstream})", flush=True)
        await chorus.run_until_signal()

    return run()


def _migrate(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    from server.platform.storage.migrate import upgrade_async

    async def run() -> None:
        await upgrade_async(settings.resolved_database_url)
        print("chorus: database is at the latest revision", flush=True)

    return run()


def _with_tenants(settings: Settings, action: Callable[..., Awaitable[None]]) -> Awaitable[None]:
    """Runs `action(tenants, db)` on a migrated database with the configured tenants present."""
    from server.platform.clock import SystemClock
    from server.platform.storage.database import Database
    from server.platform.storage.migrate import upgrade_async
    from server.platform.tenancy import TenantService

    async def run() -> None:
        await upgrade_async(settings.resolved_database_url)
        db = Database(settings.resolved_database_url)
        try:
            service = TenantService(db, SystemClock())
            await service.ensure_seeded(tenant_seeds(settings))
            await action(service, db)
        finally:
            await db.close()

    return run()


def _tenants_add(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    async def action(service, db) -> None:  # type: ignore[no-untyped-def]
        seed = TenantSeed(
            id=args.id,
            name=args.name or args.id,
            allow_unauthenticated=args.allow_unauthenticated,
            hosts=args.host or [],
        )
        tenant = await service.create_tenant(seed, args.rate_per_minute, args.burst_per_second)
        print(f"tenant {tenant.id} created", flush=True)

    return _with_tenants(settings, action)


def _tenants_list(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    async def action(service, db) -> None:  # type: ignore[no-untyped-def]
        for t in await service.list_tenants():
            mode = "id header accepted" if t.allow_unauthenticated else "API key required"
            print(f"{t.id}\t{t.name}\t{mode}")

    return _with_tenants(settings, action)


def _keys_create(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    async def action(service, db) -> None:  # type: ignore[no-untyped-def]
        issued = await service.create_api_key(args.tenant, name=args.name, user_id=args.user)
        print(f"id:  {issued.id}\nkey: {issued.secret}\n(the key is shown once; only its hash is stored)")

    return _with_tenants(settings, action)


def _keys_revoke(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    async def action(service, db) -> None:  # type: ignore[no-untyped-def]
        await service.revoke_api_key(args.id)
        print(f"API key {args.id} revoked")

    return _with_tenants(settings, action)


def _auth_token(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    """Mints a ChittyOS access token offline: the bootstrap path when no admin key is configured."""
    from server.platform.clock import SystemClock
    from server.surfaces.chittyos.deployment import access_tokens
    from server.surfaces.chittyos.settings import SETTINGS

    async def action(service, db) -> None:  # type: ignore[no-untyped-def]
        tokens = access_tokens(settings, db, SystemClock())
        issued = await tokens.mint(
            SETTINGS.of(settings).tenant, args.chitty_id, args.permission or [], args.expires_in, args.session_id
        )
        print(issued.token)

    return _with_tenants(settings, action)


def _mcos_token(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    """Mints a Cloudflare-Access-shaped assertion with the development key."""
    import time

    import grpc

    from server.platform.errors import ChorusError
    from server.surfaces.mcos.access.assertions import mint_dev_assertion
    from server.surfaces.mcos.settings import SETTINGS

    async def run() -> None:
        access = SETTINGS.of(settings).access
        if access.jwks_file or access.jwks_url:
            raise ChorusError(
                grpc.StatusCode.FAILED_PRECONDITION,
                "DEV_IDENTITY_DISABLED",
                "mcos.access names a real JWKS: tokens come from Cloudflare Access, not from chorus",
            )
        now = int(time.time())
        token = mint_dev_assertion(
            settings.data_dir, access, args.sub, email=args.email, now=now, expires_in=args.expires_in
        )
        print(token)

    return run()


def _chaozcode_users_add(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    """Creates a ChaozCode user and prints their first API key, once."""
    from server.platform.accounts.api_keys import AccountKeys
    from server.platform.accounts.users import UserAccounts
    from server.platform.clock import SystemClock
    from server.surfaces.chaozcode.accounts import add_user
    from server.surfaces.chaozcode.key_types import LABELS
    from server.surfaces.chaozcode.settings import SETTINGS

    async def action(service, db) -> None:  # type: ignore[no-untyped-def]
        clock = SystemClock()
        tenant = await service.seeded(SETTINGS.of(settings).tenant_seed())
        account, issued = await add_user(
            UserAccounts(db, clock),
            AccountKeys(db, clock, LABELS),
            tenant.id,
            args.email,
            args.name,
            args.plan,
            args.key_type,
        )
        print(
            f"user: {account.id} ({account.email}, plan {account.plan})\n"
            f"key:  {issued.secret}\n(a {issued.key.key_type} key, shown once; only its hash is stored)"
        )

    return _with_tenants(settings, action)


def _crispy_documents_load(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    """Stores a folder's .md / .txt files as the tenant's Crispy documents (embedded here, in this process)."""
    from pathlib import Path

    from server.platform.clock import SystemClock
    from server.platform.errors import not_found
    from server.platform.models.setup import build_embedding_registry
    from server.platform.vectors.semantic import SemanticSearch, vector_index
    from server.surfaces.crispy.documents import NAMESPACE, DocumentStore
    from server.surfaces.crispy.loader import load_folder

    folder = Path(args.folder)
    is_folder = folder.is_dir()

    async def action(service, db) -> None:  # type: ignore[no-untyped-def]
        if not is_folder:
            raise not_found(f"no such folder: {folder}")
        if await service.get(args.tenant) is None:
            raise not_found(f"no such tenant: {args.tenant}")
        clock = SystemClock()
        models = settings.models
        registry = build_embedding_registry(models, semantic=True)
        try:
            index = await vector_index(registry, models.semantic_embedding, db, clock, NAMESPACE)
            store = DocumentStore(db, clock, SemanticSearch(registry, models.semantic_embedding, index))
            loaded = await load_folder(store, args.tenant, folder)
        finally:
            await registry.aclose()
        for path, outcome in loaded:
            if isinstance(outcome, str):
                print(f"skipped {path}: {outcome}")
            else:
                print(f"loaded  {path} -> {outcome.id} ({outcome.chunk_count} chunks)")
        stored = sum(1 for _, outcome in loaded if not isinstance(outcome, str))
        print(f"chorus: {stored} documents stored for tenant {args.tenant}", flush=True)

    return _with_tenants(settings, action)


def _agentchassis_outbox(settings: Settings, args: argparse.Namespace) -> Awaitable[None]:
    """Prints the mail kept in the development outbox (no SMTP server configured), oldest first."""
    from server.platform.mail import outbox
    from server.platform.times import utc_datetime

    async def action(service, db) -> None:  # type: ignore[no-untyped-def]
        mails = await outbox(db, args.limit)
        if not mails:
            print("(the outbox is empty)")
        for mail in mails:
            sent = utc_datetime(mail.created_at_ms).strftime("%Y-%m-%d %H:%M:%S UTC")
            print(f"--- #{mail.seq} {sent}\nTo: {mail.to}\nSubject: {mail.subject}\n\n{mail.body}\n")

    return _with_tenants(settings, action)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chorus", description="Chorus: gRPC-first AI platform backend")
    parser.add_argument("--config", help="TOML config file (default: chorus.toml or $CHORUS_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gRPC server and the REST bridge")
    serve.add_argument("--grpc-only", action="store_true", help="run the gRPC server alone")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="pre-forked processes sharing the ports (more than 1 needs redis_url; default 1)",
    )
    serve.set_defaults(run=_serve)

    bridge = sub.add_parser("bridge", help="run the REST bridge alone, in front of a gRPC server")
    bridge.add_argument("--upstream", required=True, help="gRPC address, e.g. 127.0.0.1:50051")
    bridge.set_defaults(run=_bridge)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)

    tenants = sub.add_parser("tenants", help="manage tenants").add_subparsers(dest="action", required=True)
    add = tenants.add_parser("add", help="create a tenant")
    add.add_argument("id")
    add.add_argument("--name", default="")
    add.add_argument("--host", action="append", help="Host header mapped to the tenant (repeatable)")
    add.add_argument(
        "--allow-unauthenticated", action="store_true", help="accept x-tenant-id / Host without an API key"
    )
    add.add_argument("--rate-per-minute", type=int)
    add.add_argument("--burst-per-second", type=int)
    add.set_defaults(run=_tenants_add)
    tenants.add_parser("list", help="list tenants").set_defaults(run=_tenants_list)

    keys = sub.add_parser("api-keys", help="manage API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="issue a key (printed once)")
    create.add_argument("--tenant", required=True)
    create.add_argument("--name", default="")
    create.add_argument("--user", help="user id the key acts as (rate-limit key)")
    create.set_defaults(run=_keys_create)
    revoke = keys.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id")
    revoke.set_defaults(run=_keys_revoke)

    auth = sub.add_parser("auth", help="ChittyOS access tokens").add_subparsers(dest="action", required=True)
    token = auth.add_parser("token", help="mint an access token (printed; nothing but its session is stored)")
    token.add_argument("--chitty-id", required=True)
    token.add_argument("--permission", action="append", help="read, write, admin, ... (repeatable; default read)")
    token.add_argument("--expires-in", type=int, help="lifetime in seconds (default chittyos.auth.default_expires_in)")
    token.add_argument("--session-id", default="", help="session to join (default: a new one)")
    token.set_defaults(run=_auth_token)

    mcos = sub.add_parser("mcos", help="Micro Chief of Staff").add_subparsers(dest="action", required=True)
    mcos_token = mcos.add_parser(
        "token", help="mint a development CF-Access-JWT-Assertion (only when mcos.access names no JWKS)"
    )
    mcos_token.add_argument("--sub", required=True, help="the user id (the principal)")
    mcos_token.add_argument("--email", default="")
    mcos_token.add_argument("--expires-in", type=int, default=3600, help="lifetime in seconds (default 3600)")
    mcos_token.set_defaults(run=_mcos_token)

    chaozcode = sub.add_parser("chaozcode", help="ChaozCode API v2").add_subparsers(dest="action", required=True)
    users = chaozcode.add_parser("users", help="ChaozCode users").add_subparsers(dest="users_action", required=True)
    user_add = users.add_parser("add", help="create a user and print their first API key (once)")
    user_add.add_argument("--email", required=True)
    user_add.add_argument("--name", default="")
    user_add.add_argument("--plan", required=True, choices=("free", "pro", "team", "enterprise"))
    user_add.add_argument(
        "--key-type",
        default="production",
        choices=("production", "development", "readonly"),
        help="the first key's type (default production)",
    )
    user_add.set_defaults(run=_chaozcode_users_add)

    crispy = sub.add_parser("crispy", help="Crispy Enigma").add_subparsers(dest="action", required=True)
    documents = crispy.add_parser("documents", help="a tenant's documents for POST /search").add_subparsers(
        dest="documents_action", required=True
    )
    load = documents.add_parser(
        "load", help="store a folder's .md / .markdown / .txt files (again: replaces them, by path)"
    )
    load.add_argument("folder")
    load.add_argument("--tenant", required=True, help="the tenant whose documents they become")
    load.set_defaults(run=_crispy_documents_load)
    chassis = sub.add_parser("agentchassis", help="Agent Chassis").add_subparsers(dest="action", required=True)
    mail = chassis.add_parser("outbox", help="print the mail kept while no SMTP server is configured")
    mail.add_argument("--limit", type=_positive, default=20, help="how many of the newest mails (default 20)")
    mail.set_defaults(run=_agentchassis_outbox)
    return parser


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (a dependency, except on Windows); else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"chorus: {exc}", file=sys.stderr)
        return 2
    from server.platform.logs import configure

    configure(settings.log_level, settings.logs.format)
    url = settings.resolved_database_url
    if args.command == "serve" and args.workers > 1:
        # Dispatched before any event loop exists: the supervisor forks first.
        from server.workers import serve_workers

        return serve_workers(
            settings,
            args.workers,
            serves_rest=not args.grpc_only and settings.rest.enabled,
            prepare=lambda: _run(lambda: _with_tenants(settings, _nothing), url),
            worker=lambda worker_settings, ready: _run(lambda: _serve(worker_settings, args, ready), url),
        )
    return _run(lambda: args.run(settings, args), url)


async def _nothing(service: object, db: object) -> None:
    """`_with_tenants`'s action when migrating and seeding is the whole job."""


def _run(make: Callable[[], Awaitable[None]], database_url: str) -> int:
    """Runs one command's coroutine on a fresh event loop; errors become exit codes."""
    from sqlalchemy.exc import DBAPIError

    from server.platform.admission.rules import RuleError
    from server.platform.errors import ChorusError
    from server.platform.storage.database import describe_failure

    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(make())  # type: ignore[arg-type]  # the builders' Awaitables are coroutines
    except ChorusError as exc:
        print(f"chorus: {exc.message}", file=sys.stderr)
        return 1
    except (ConfigError, RuleError) as exc:
        # Settings only a running surface can check (key files, ...), or the contracts'
        # method rules disagreeing with the served methods.
        print(f"chorus: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"chorus: {exc}", file=sys.stderr)
        return 1
    except DBAPIError as exc:  # the database cannot be opened or written (read-only, full, unreachable)
        print(f"chorus: {describe_failure(database_url, exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
