"""Real gunicorn for the fault tests, and a small HTTP client that signs in and posts forms."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from coe.config import SOURCE_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Gunicorn:
    """gunicorn with the repository's gunicorn.conf.py, serving ``app`` on a free loopback port."""

    database_url: str
    instance: Path
    index_dir: Path
    app: str = "coe:create_app()"
    workers: int = 2
    extra_env: dict = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        env = {**os.environ,
               "PYTHONPATH": str(SOURCE_ROOT),
               "COE_DATABASE_URL": self.database_url,
               "COE_INSTANCE_PATH": str(self.instance),
               "COE_INDEX_DIR": str(self.index_dir),
               "COE_SECRET_KEY": "gunicorn-test-secret-key-0123456789",
               "COE_SECURE_COOKIES": "false",
               "COE_WEB_BIND": f"127.0.0.1:{self.port}",
               "COE_WEB_WORKERS": str(self.workers),
               "COE_WEB_THREADS": "2",
               "COE_WEB_ACCESS_LOG": str(self.instance / "access.log"),
               **self.extra_env}
        env.pop("COE_TEST_DATABASE_URL", None)
        return env

    def start(self, timeout: float = 90) -> Gunicorn:
        self.instance.mkdir(parents=True, exist_ok=True)
        self.log = open(self.instance / "gunicorn.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(SOURCE_ROOT / "gunicorn.conf.py"), self.app],
            cwd=SOURCE_ROOT, env=self.env(), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        return self
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.3)
        output = self.output()
        self.stop()
        raise RuntimeError(f"gunicorn did not become healthy in {timeout} s:\n{output}")

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.instance / "gunicorn.log").read_text(errors="replace")

    def worker_pids(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return {int(pid) for pid in children}

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Response:
    status: int
    body: str
    headers: dict


class Browser:
    """Cookies, CSRF tokens and forms over real HTTP; redirects are returned, not followed."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect)

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None,
                timeout: float = 60) -> Response:
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return Response(response.status, response.read().decode("utf-8", "replace"), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode("utf-8", "replace"), dict(error.headers))

    def get(self, path: str, **kwargs) -> Response:
        return self.request(path, **kwargs)

    def csrf_token(self, page: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(page).body)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def post_form(self, path: str, fields: dict, page: str | None = None, **kwargs) -> Response:
        body = urllib.parse.urlencode({**fields, "csrf_token": self.csrf_token(page or path)}).encode()
        return self.request(path, body, {"Content-Type": "application/x-www-form-urlencoded"}, **kwargs)

    def post_file(self, path: str, fields: dict, file_field: str, filename: str, content: bytes,
                  **kwargs) -> Response:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {**fields, "csrf_token": self.csrf_token(path)}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                     f"Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(path, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"},
                            **kwargs)

    def login(self, email: str, password: str) -> Response:
        return self.post_form("/login", {"email": email, "password": password})
