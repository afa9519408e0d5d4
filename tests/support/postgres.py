"""A throwaway PostgreSQL server for the test suite.

``PostgresServer`` runs ``initdb`` into a fresh temporary directory, starts the server on
127.0.0.1 on a free port (unix socket inside the temporary directory), and tears everything
down again with ``stop()``. ``pause()`` and ``resume()`` stop the server and start it again on
the same port with its data kept, for tests of what the bot does while the database is away.

PostgreSQL refuses to run as root, so when the tests run as root (CI does) the server runs as
the unprivileged system user ``accountbot-pg``, which is created on demand.

Environment:

``ACCOUNTBOT_TEST_PG_BIN``
    Directory holding ``initdb`` and ``pg_ctl`` (default ``/usr/lib/postgresql/15/bin``).
``ACCOUNTBOT_TEST_DATABASE_URL``
    Use this existing server instead of starting one (see ``PostgresServer.from_env``).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

DEFAULT_PG_BIN = "/usr/lib/postgresql/15/bin"
PG_BIN_ENV = "ACCOUNTBOT_TEST_PG_BIN"
DATABASE_URL_ENV = "ACCOUNTBOT_TEST_DATABASE_URL"
SERVER_USER = "accountbot-pg"
SUPERUSER = "postgres"
HOST = "127.0.0.1"

_PORT_ATTEMPTS = 5
_START_TIMEOUT_S = 30


class PostgresServerError(RuntimeError):
    """The throwaway server could not be set up; the message carries the tool output."""


@dataclass(frozen=True)
class _RunAs:
    uid: int
    gid: int

    @property
    def subprocess_kwargs(self) -> dict[str, object]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def _useradd_lock_path() -> Path:
    run = Path("/run")
    return run if run.is_dir() and os.access(run, os.W_OK) else Path(tempfile.gettempdir())


def ensure_system_user(name: str = SERVER_USER) -> pwd.struct_passwd:
    """Return the passwd entry of ``name``, creating it as a system user if it is missing.

    Safe when several processes race. Concurrent ``useradd`` runs are not: one may briefly
    write an entry that it later rolls back, so creation is serialised with an flock.
    """
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    lock_file = _useradd_lock_path() / f".{name}-useradd.lock"
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        last_error = ""
        for attempt in range(20):
            with contextlib.suppress(KeyError):
                return pwd.getpwnam(name)
            proc = subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode == 0:
                continue
            # e.g. the passwd files are locked by some other tool: retry.
            last_error = f"useradd exited with {proc.returncode}: {proc.stderr.strip()}"
            time.sleep(min(0.05 * (attempt + 1), 0.5))
    finally:
        os.close(fd)  # releases the flock
    raise PostgresServerError(f"could not create system user {name!r}: {last_error}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _traversable_by_others(path: Path) -> bool:
    """Whether every directory from / down to ``path`` is searchable by an unrelated user."""
    for directory in (path, *path.parents):
        try:
            mode = directory.stat().st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return True


def _alive(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return not re.search(r"^State:\s+Z", status, re.MULTILINE)


def _conf_value(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _normalise_url(url: str) -> str:
    """``postgresql+asyncpg://…`` / ``postgres://…`` → ``postgresql://…`` (asyncpg's form)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresServer:
    """A PostgreSQL server for tests: either one we start ourselves or an existing one.

    ``url(dbname)`` gives ``postgresql://postgres@127.0.0.1:PORT/dbname``; ``create_database``
    and ``drop_database`` connect with asyncpg to the ``postgres`` maintenance database.

    ``PostgresServer()`` is always a private server (``from_env`` may wrap an existing one), so
    a test that stops and restarts the server can have one of its own::

        with PostgresServer() as server:
            ...
            server.pause()   # connections now fail
            server.resume()  # same port, same data; server.url() is unchanged
    """

    def __init__(
        self,
        bin_dir: str | os.PathLike[str] | None = None,
        *,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.bin_dir = Path(bin_dir or os.environ.get(PG_BIN_ENV) or DEFAULT_PG_BIN)
        self.settings = dict(settings or {})  # postgresql.conf, over the harness's own
        self.port: int | None = None
        self.base_dir: Path | None = None
        self._external_url: str | None = None
        self._run_as: _RunAs | None = None
        self._running = False
        self._paused = False

    # -- construction -------------------------------------------------------------------

    @classmethod
    def external(cls, url: str) -> PostgresServer:
        """Wrap an existing server; ``start``/``stop`` are then no-ops."""
        server = cls()
        server._external_url = _normalise_url(url)
        server.port = urlsplit(server._external_url).port
        return server

    @classmethod
    def from_env(cls, *, settings: Mapping[str, str] | None = None) -> PostgresServer:
        """The server named by ``ACCOUNTBOT_TEST_DATABASE_URL``, else a new throwaway one
        (with ``settings``: an existing server keeps its own)."""
        url = os.environ.get(DATABASE_URL_ENV)
        return cls.external(url) if url else cls(settings=settings)

    @property
    def is_external(self) -> bool:
        return self._external_url is not None

    @property
    def data_dir(self) -> Path | None:
        return None if self.base_dir is None else self.base_dir / "data"

    @property
    def is_paused(self) -> bool:
        return self._paused

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """initdb + pg_ctl start. Raises ``PostgresServerError`` with the tools' output."""
        if self.is_external or self._running:
            return
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not (self.bin_dir / tool).is_file():
                raise PostgresServerError(
                    f"{self.bin_dir / tool} not found; install PostgreSQL 15 or set {PG_BIN_ENV}"
                    f" (or point {DATABASE_URL_ENV} at an existing server)"
                )
        if os.geteuid() == 0:
            entry = ensure_system_user(SERVER_USER)
            self._run_as = _RunAs(entry.pw_uid, entry.pw_gid)

        self.base_dir = Path(tempfile.mkdtemp(prefix="accountbot-pg-", dir=self._temp_parent()))
        atexit.register(self.stop)
        try:
            if self._run_as is not None:
                os.chown(self.base_dir, self._run_as.uid, self._run_as.gid)
            os.chmod(self.base_dir, 0o700)
            self._initdb()
            self._start_server()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (immediate mode) and delete its directory. Idempotent."""
        if self.is_external or self.base_dir is None:
            return
        data_dir = self.data_dir
        assert data_dir is not None
        if self._running or (data_dir / "postmaster.pid").exists():
            proc = self._run(
                [self.bin_dir / "pg_ctl", "stop", "-D", data_dir, "-m", "immediate", "-w"],
                timeout=_START_TIMEOUT_S,
            )
            if proc.returncode != 0:
                self._kill_postmaster()
        self._running = False
        self._paused = False
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None
        atexit.unregister(self.stop)

    def pause(self) -> None:
        """Shut the server down cleanly (``pg_ctl stop -m fast``), keeping its data and port.

        Open connections are closed by the server; new ones are refused until ``resume()``.
        """
        self._require_own_server("pause")
        if self._paused:
            return
        if not self._running:
            raise PostgresServerError("the server is not running; call start() first")
        data_dir = self.data_dir
        assert data_dir is not None
        proc = self._run(
            [self.bin_dir / "pg_ctl", "stop", "-D", data_dir, "-m", "fast", "-w"],
            timeout=_START_TIMEOUT_S,
        )
        if proc.returncode != 0:
            raise PostgresServerError(
                f"pg_ctl stop failed (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}"
            )
        self._running = False
        self._paused = True

    def resume(self) -> None:
        """Start a paused server again on the same port, so ``url()`` stays what it was."""
        self._require_own_server("resume")
        if not self._paused:
            return
        assert self.port is not None
        failure = self._pg_ctl_start(self.port)
        if failure:
            raise PostgresServerError(f"could not restart on port {self.port}: {failure}")
        self._running = True
        self._paused = False

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- URLs and databases -------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        if self._external_url is not None:
            parts = urlsplit(self._external_url)
            path = "/" + quote(dbname, safe="")
            return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
        if self.port is None or not (self._running or self._paused):
            raise PostgresServerError("the server is not running; call start() first")
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{dbname}"

    async def create_database(self, name: str, *, template: str | None = None) -> None:
        """Create ``name``, empty or as a copy of ``template``.

        A template must have no open connections while it is copied (PostgreSQL refuses).
        """
        sql = f"CREATE DATABASE {_quote_ident(name)}"
        if template is not None:
            sql += f" TEMPLATE {_quote_ident(template)}"
        conn = await self._connect_maintenance()
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever is still connected to it."""
        conn = await self._connect_maintenance()
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
        finally:
            await conn.close()

    async def _connect_maintenance(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.url("postgres"), timeout=10)

    # -- internals ----------------------------------------------------------------------

    def _require_own_server(self, action: str) -> None:
        if self.is_external:
            raise PostgresServerError(f"cannot {action} an existing server; use PostgresServer()")
        if self.base_dir is None:
            raise PostgresServerError("the server is not running; call start() first")

    def _temp_parent(self) -> str:
        parent = Path(tempfile.gettempdir())
        if self._run_as is not None and not _traversable_by_others(parent):
            # e.g. TMPDIR under /root: the server user could not reach its own directory.
            parent = Path("/tmp")
        return str(parent)

    def _run(self, argv: list[object], *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        assert self.base_dir is not None
        env = {
            "PATH": f"{self.bin_dir}:/usr/bin:/bin",
            "LC_ALL": "C",
            "LANG": "C",
            "HOME": str(self.base_dir),
            "TZ": "UTC",
        }
        kwargs = self._run_as.subprocess_kwargs if self._run_as is not None else {}
        return subprocess.run(  # type: ignore[call-overload]
            [str(a) for a in argv],
            capture_output=True,
            text=True,
            cwd=self.base_dir,  # the server user may not be able to read the caller's cwd
            env=env,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            **kwargs,
        )

    def _initdb(self) -> None:
        data_dir = self.data_dir
        assert data_dir is not None and self.base_dir is not None
        proc = self._run(
            [
                self.bin_dir / "initdb",
                "-D",
                data_dir,
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ]
        )
        if proc.returncode != 0:
            raise PostgresServerError(
                f"initdb failed (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}"
            )
        settings = {
            "listen_addresses": HOST,
            "unix_socket_directories": str(self.base_dir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "logging_collector": "off",
            "timezone": "UTC",
            **self.settings,
        }
        lines = "".join(f"{k} = {_conf_value(v)}\n" for k, v in settings.items())
        # Appending keeps the file's owner (the server user) intact.
        with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# accountbot test harness\n" + lines)

    def _start_server(self) -> None:
        failure = ""
        for _ in range(_PORT_ATTEMPTS):
            port = _free_port()
            # The port is free *now*; another process may grab it before the server binds.
            failure = self._pg_ctl_start(port)
            if not failure:
                self.port = port
                self._running = True
                return
            if not re.search(r"could not bind|address already in use", failure, re.IGNORECASE):
                break
        raise PostgresServerError(failure)

    def _pg_ctl_start(self, port: int) -> str:
        """Start the server on ``port``; "" on success, else the tools' output and server log."""
        data_dir = self.data_dir
        assert data_dir is not None and self.base_dir is not None
        log_file = self.base_dir / "server.log"
        with contextlib.suppress(FileNotFoundError):
            log_file.unlink()
        proc = self._run(
            [
                self.bin_dir / "pg_ctl",
                "start",
                "-D",
                data_dir,
                "-l",
                log_file,
                "-w",
                "-t",
                _START_TIMEOUT_S,
                "-o",
                f"-p {port}",
            ],
            timeout=_START_TIMEOUT_S + 10,
        )
        if proc.returncode == 0:
            return ""
        log = log_file.read_text(errors="replace") if log_file.exists() else ""
        self._kill_postmaster()
        return (
            f"pg_ctl start failed (exit {proc.returncode}):\n"
            f"{proc.stderr}{proc.stdout}\n--- server log ---\n{log}"
        )

    def _kill_postmaster(self) -> None:
        """Last resort when pg_ctl cannot stop the server: signal the postmaster directly."""
        data_dir = self.data_dir
        if data_dir is None:
            return
        try:
            pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        # SIGQUIT is PostgreSQL's "immediate shutdown"; SIGKILL if it does not go away.
        for sig, wait_s in ((signal.SIGQUIT, 5.0), (signal.SIGKILL, 2.0)):
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
            if not _alive(pid):
                break
        with contextlib.suppress(OSError):
            (data_dir / "postmaster.pid").unlink()
