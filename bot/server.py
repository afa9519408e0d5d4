"""The one aiohttp application: chat webhooks and a health check, on one port.

Routes: POST /slack/events (Slack's slash commands, interactivity and Events API, as Bolt
expects them at one URL), POST /api/messages (Microsoft Teams, through the Bot Framework),
GET /healthz and GET /charts/<name>.png (the digest charts Teams cards link to). No chat SDK
is imported here: surfaces hand in plain aiohttp handlers.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import web
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.delivery.charts import CHART_ROUTE, chart_endpoint
from bot.services.container import Services
from storage.db import Database, is_sqlite, sqlite_path
from storage.migrate import alembic_config, upgrade_async

log = logging.getLogger(__name__)

RequestHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SERVICES_KEY: web.AppKey[Services] = web.AppKey("services", Services)
SURFACES_KEY: web.AppKey[list[str]] = web.AppKey("surfaces", list)
HEALTH_DB_TIMEOUT_SECONDS = 3.0
MAX_REQUEST_BYTES = 1024 * 1024  # Slack payloads are far smaller; refuse anything huge.
_PASSWORD_IN_URL = re.compile(r"://([^:/@\s]+):[^@\s]+@")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: RequestHandler


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 when it does not; never a traceback."""
    services = request.app[SERVICES_KEY]
    try:
        db_ok = await asyncio.wait_for(services.db.ping(), HEALTH_DB_TIMEOUT_SECONDS)
    except TimeoutError:
        db_ok = False
    body = {
        "status": "ok" if db_ok else "unavailable",
        "database": "ok" if db_ok else "unreachable",
        "backend": services.db.engine.dialect.name,
        "surfaces": request.app[SURFACES_KEY],
    }
    return web.json_response(body, status=200 if db_ok else 503)


def build_web_app(
    services: Services,
    routes: Sequence[Route] = (),
    cleanups: Sequence[Callable[[], Awaitable[None]]] = (),
    *,
    surfaces: Sequence[str] = (),
) -> web.Application:
    """The aiohttp application; on shutdown, ``cleanups`` run and the database is disposed of."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[SERVICES_KEY] = services
    app[SURFACES_KEY] = list(surfaces)
    app.router.add_get("/healthz", healthz)
    app.router.add_get(CHART_ROUTE, chart_endpoint(services))
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler)

    async def dispose_database(_: web.Application) -> AsyncIterator[None]:
        yield
        for cleanup in cleanups:
            await cleanup()
        await services.db.dispose()

    app.cleanup_ctx.append(dispose_database)
    return app


async def database_problem(url: str) -> str | None:
    """Why serving cannot start with this database, or None (an existing SQLite file is
    migrated). `serve` never creates a database: a missing file is a mistake to point out."""
    path = sqlite_path(url)
    if path is not None and not os.path.exists(path):
        return (
            f"There is no database at {path}. Create it with `accountbot db upgrade` and import "
            "your spreadsheets (see the README), or check DATABASE_URL."
        )
    try:
        if is_sqlite(url):
            await upgrade_async(url)
            return None
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        database = Database(url)
        try:
            async with database.engine.connect() as conn:
                current = await conn.run_sync(_current_revision)
        finally:
            await database.dispose()
    except Exception as exc:  # bad URL, refused connection, …: one clear line, no traceback
        reason = _PASSWORD_IN_URL.sub(r"://\1:***@", str(exc))
        return f"Could not open the database ({type(exc).__name__}: {reason})."
    if current != head:
        return (
            f"The database schema is at {current or 'nothing'} but this accountbot needs "
            f"{head}: run `accountbot db upgrade` first."
        )
    return None


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def run(app: web.Application, *, host: str, port: int) -> None:
    """Serve until interrupted (SIGINT/SIGTERM shut down cleanly)."""
    log.info("accountbot listening on http://%s:%s", host, port)
    keep_startup_out_of_collections()
    web.run_app(app, host=host, port=port, print=None, access_log=None)


def keep_startup_out_of_collections() -> None:
    """What start-up built (modules, ORM mappers, templates, Bolt's and botbuilder's objects:
    ~150,000 of them) lives as long as the process, so it is taken out of the cyclic garbage
    collector's walks (`gc.freeze`, after one collection so no garbage is kept). A full
    collection stops every request while it walks; over start-up's objects it took 90-170 ms,
    every few seconds under load, and made the slowest answers."""
    gc.collect()
    gc.freeze()
