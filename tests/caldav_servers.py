"""Throw-away CalDAV servers for the CalDAV push tests, on 127.0.0.1 and a free port.

    >>> with RadicaleServer() as server:                      # doctest: +SKIP
    ...     server.url, server.credentials
    ('http://127.0.0.1:40123/', ('alice', 'secret'))

* :class:`RadicaleServer` — ``python -m radicale`` with htpasswd auth (plain passwords:
  alice/secret and bob/secret), no auth delay, storage in a temporary folder, INFO log
  to a file so tests can count the requests the server saw (:meth:`requests_seen`).
* :class:`XandikosServer` — ``python -m xandikos serve --defaults`` (no auth: Xandikos
  requires TLS for Basic auth), data in a temporary folder, access log to a file.

Both are started as child processes and stopped (by their pid) on exit.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port}: {log.read_text()[-2000:]}")


class _Server:
    kind = "server"
    credentials: tuple[str, str] | None = None
    second_credentials: tuple[str, str] | None = None

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=f"opentalk-{self.kind}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = self.dir / "server.log"
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self):
        self._log_file = open(self.log, "wb")
        self.proc = subprocess.Popen(self.command(), stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        try:
            _wait_listening(self.port, self.proc, self.log)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=self.STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def requests_seen(self) -> Counter:
        """Requests the server logged so far, by HTTP method."""
        counts: Counter = Counter()
        for m in re.finditer(self.LOG_PATTERN, self.log.read_text(errors="replace")):
            counts[m.group(1)] += 1
        return counts

    LOG_PATTERN = r"^$"
    #: seconds to wait for a clean exit after SIGTERM before SIGKILL (the data is thrown away)
    STOP_GRACE = 10.0


class RadicaleServer(_Server):
    kind = "radicale"
    credentials = ("alice", "secret")
    second_credentials = ("alice", "secret")
    LOG_PATTERN = re.compile(r"\] ([A-Z]+) request for '", re.M)

    def command(self) -> list[str]:
        users = self.dir / "users"
        users.write_text("alice:secret\nbob:secret\n")
        config = self.dir / "config"
        config.write_text(
            "[server]\n"
            f"hosts = 127.0.0.1:{self.port}\n"
            "delay_on_error = 0\n"
            "[auth]\n"
            "type = htpasswd\n"
            f"htpasswd_filename = {users}\n"
            "htpasswd_encryption = plain\n"
            "delay = 0\n"
            "[storage]\n"
            f"filesystem_folder = {self.dir / 'collections'}\n"
            "[logging]\n"
            "level = info\n"
        )
        return [sys.executable, "-m", "radicale", "--config", str(config)]


class XandikosServer(_Server):
    kind = "xandikos"
    STOP_GRACE = 0.5  # aiohttp waits for idle keep-alive connections on SIGTERM
    LOG_PATTERN = re.compile(r'"([A-Z]+) /[^"]* HTTP/1\.[01]"', re.M)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "xandikos", "serve", "-d", str(self.dir / "data"), "--defaults",
                "-l", "127.0.0.1", "-p", str(self.port), "--no-detect-systemd"]


SERVERS = {"radicale": RadicaleServer, "xandikos": XandikosServer}


def xandikos_available() -> bool:
    """Whether the xandikos package imports here."""
    try:
        import xandikos  # noqa: F401
    except ImportError:
        return False
    return True


__all__ = ["RadicaleServer", "XandikosServer", "SERVERS", "free_port", "xandikos_available"]
