"""A live `risk serve` (uvicorn, several worker processes) on a free loopback port, for the tests and the load
benchmark: started as a user would, stopped when done."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.paths import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_service(config: Path, port: int, *, workers: int = 2, env: dict[str, str] | None = None,
                 log: Path | None = None) -> Iterator[subprocess.Popen]:
    """`risk serve` running until the block ends; its stdout and stderr go to `log` (grepped by the tests)."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from risk.cli import main; sys.exit(main(sys.argv[1:]))", "serve",
         "--config", str(config), "--port", str(port), "--workers", str(workers)],
        cwd=REPO, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/cds-services", timeout=2)  # noqa: S310
            except urllib.error.HTTPError:
                break  # 401: up and verifying
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"risk serve did not start (exit {proc.poll()})") from None
                time.sleep(0.3)
        register_master(port, proc.pid)
        yield proc
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        if log:
            out.close()


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server side of one loopback TCP connection (from /proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            return fields[9]
    return None


def post_on_new_connection(port: int, path: str, body: bytes, token: str) -> tuple[int, bytes, int | None, list[int]]:
    """POST on a fresh TCP connection and tell which worker process held it: (status, body, worker pid, workers).

    Reads the answer by its Content-Length and looks the connection up in /proc before closing it, so the worker is
    known for certain (the kernel hands each new connection to either worker; the service itself never says)."""
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        length = next(int(x.split(":")[1]) for x in lines if x.lower().startswith("content-length:"))
        while len(rest) < length:
            rest += sock.recv(65536)
        inode = _socket_inode(port, sock.getsockname()[1])
        owner = None
        master = _master_pid(port)
        workers = _children(master) if master else []
        for pid in workers:
            fd_dir = Path(f"/proc/{pid}/fd")
            try:
                links = [os.readlink(fd_dir / fd) for fd in os.listdir(fd_dir)]
            except OSError:
                continue
            if f"socket:[{inode}]" in links:
                owner = pid
        return status, rest, owner, workers


_MASTERS: dict[int, int] = {}


def _master_pid(port: int) -> int | None:
    return _MASTERS.get(port)


def register_master(port: int, pid: int) -> None:
    """The process `live_service` started: `risk serve` itself, whose children are the uvicorn workers."""
    _MASTERS[port] = pid
