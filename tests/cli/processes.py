"""`voronka run` as a process under test: started on a free port, watched line by line, stopped."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from tests.cli.conftest import cli_command, cli_env

START_LIMIT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_run(tmp_path: Path, port: int, **settings: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command("run", "--port", str(port)),
        cwd=tmp_path,
        env=cli_env(tmp_path, **settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_healthy(process: subprocess.Popen[str], port: int) -> httpx.Response:
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "voronka run exited early"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"no answer on /healthz within {START_LIMIT_S} s")


def stop_run(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=40)


class Output:
    """The lines a running process writes, read in a thread so the test can wait for one."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stdout is not None
        self._thread = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self.lines.append(line)

    def wait_for(
        self, pattern: str, *, after: int = 0, limit_s: float = START_LIMIT_S
    ) -> re.Match[str]:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if found := re.search(pattern, line):
                    return found
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")

    def text(self) -> str:
        self._thread.join(timeout=20)
        return "".join(self.lines)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_gone(pid: int, limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


@dataclass(frozen=True)
class Served:
    """An answer and the pid of the process that accepted its connection."""

    pid: int
    status: int
    headers: dict[str, str]


def get_served(port: int, path: str, pids: Iterable[int], headers: dict[str, str]) -> Served:
    """GET `path` on a connection of its own, and which of `pids` accepted it: looked up while the
    connection is still open, from the kernel's socket table and the processes' descriptors."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        assert connection.sock is not None
        inode = _server_side_inode(port, connection.sock.getsockname()[1])
        owner = next(pid for pid in pids if _holds_socket(pid, inode))
        return Served(owner, response.status, {k.lower(): v for k, v in response.getheaders()})
    finally:
        connection.close()


def _server_side_inode(server_port: int, client_port: int) -> str:
    for local, remote, _state, inode in _tcp_sockets():
        if (local, remote) == (server_port, client_port):
            return inode
    raise AssertionError(f"no server side for the connection from port {client_port}")


def _holds_socket(pid: int, inode: str) -> bool:
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(fd) == f"socket:[{inode}]":
                return True
    return False


def wait_listening(port: int, sockets: int) -> None:
    """Until `sockets` sockets listen on the port (one per API process)."""
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline:
        listening = [local for local, _, state, _ in _tcp_sockets() if state == LISTEN]
        if listening.count(port) >= sockets:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {sockets} sockets listen on {port} after {START_LIMIT_S} s")


LISTEN = "0A"


def _tcp_sockets() -> Iterator[tuple[int, int, str, str]]:
    """The kernel's IPv4 TCP sockets: local port, remote port, state (hex) and inode."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)
        yield local, remote, fields[3], fields[9]
