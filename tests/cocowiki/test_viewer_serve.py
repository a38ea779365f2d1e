"""``cw serve`` over loopback: a real server process, real HTTP, Ctrl-C to stop it."""

from __future__ import annotations

import http.client
import io
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from viewer_helpers import BuiltWiki, make_wiki

from cocowiki.viewer import run_serve_command, write_viewer

SERVE = (
    "import sys; from pathlib import Path; from cocowiki.viewer import run_serve_command; "
    "sys.exit(run_serve_command(Path(sys.argv[1]), Path(sys.argv[2]), port=0))"
)


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    banner: str

    def get(
        self, target: str, *, method: str = "GET", host: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One request with ``target`` sent exactly as given (no client-side clean-up)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest(method, target, skip_host=True)
            connection.putheader("Host", host or f"127.0.0.1:{self.port}")
            connection.endheaders()
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def wiki(tmp_path_factory: pytest.TempPathFactory) -> BuiltWiki:
    root = tmp_path_factory.mktemp("serve")
    built = make_wiki(root)
    write_viewer(built.output, built.repo)
    (root / "secret.txt").write_text("not part of the wiki\n")
    (built.output / "escape.txt").symlink_to(root / "secret.txt")
    (built.output / "start.html").symlink_to(built.index)
    return built


@pytest.fixture(scope="module")
def server(wiki: BuiltWiki) -> Iterator[Server]:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(wiki.repo), str(wiki.output)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = banner.split(" at ", 1)[1].split()[0]
        yield Server(process, urlsplit(url).port or 0, banner)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serves_the_viewer_on_loopback(server: Server, wiki: BuiltWiki) -> None:
    assert f"http://127.0.0.1:{server.port}/" in server.banner
    status, headers, body = server.get("/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert body == wiki.index.read_bytes()
    status, _, body = server.get("/pages/shapes.md")
    assert (status, body) == (200, (wiki.output / "pages" / "shapes.md").read_bytes())
    assert server.get("/start.html")[0] == 200  # a symlink that stays inside is fine
    status, headers, body = server.get("/index.html", method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["content-length"]) == wiki.index.stat().st_size


@pytest.mark.parametrize(
    "target",
    ["/../secret.txt", "/%2e%2e/secret.txt", "/pages/../../secret.txt", "/escape.txt", "/nope"],
)
def test_nothing_outside_the_output_directory_is_served(server: Server, target: str) -> None:
    status, _, body = server.get(target)
    assert status == 404
    assert b"not part of the wiki" in body and b"\n" in body


def test_refuses_other_methods_and_non_loopback_hosts(server: Server) -> None:
    assert server.get("/", method="POST")[0] == 405
    status, _, body = server.get("/", host="attacker.example")
    assert status == 403
    assert b"loopback" in body
    assert server.get("/", host="localhost:1234")[0] == 200


def test_ctrl_c_stops_it_with_status_0(server: Server) -> None:
    server.process.send_signal(signal.SIGINT)
    out, err = server.process.communicate(timeout=20)
    assert server.process.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err


def test_no_built_wiki_says_to_run_cw_build(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_serve_command(tmp_path, tmp_path / "out", port=0, stdout=out, stderr=err) == 2
    assert "no wiki has been built" in err.getvalue()
    assert "run `cw build`" in err.getvalue()
    assert out.getvalue() == ""


def test_a_taken_port_is_a_clear_error(wiki: BuiltWiki) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out, err = io.StringIO(), io.StringIO()
        status = run_serve_command(wiki.repo, wiki.output, port=port, stdout=out, stderr=err)
    assert status == 1
    assert f"port {port} on 127.0.0.1 is already in use" in err.getvalue()


def test_only_loopback_addresses_are_accepted(wiki: BuiltWiki) -> None:
    err = io.StringIO()
    assert run_serve_command(wiki.repo, wiki.output, host="0.0.0.0", stderr=err) == 2
    assert "loopback" in err.getvalue()
