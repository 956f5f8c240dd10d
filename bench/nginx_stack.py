"""nginx with the repository's own site file in front of several gunicorn "hosts".

Shared by tests/test_nginx.py and bench/load.py. The site file (deploy/nginx/minerales.conf)
is used as it is, with only its ports and paths changed (``render_site``); each instance
is gunicorn with deploy/gunicorn.conf.py on a port of its own, as a host would run it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness import BIN_DIR, HOST, ROOT, free_port, stop_process_group, tail, wait_healthy

SITE_FILE = ROOT / "deploy" / "nginx" / "minerales.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
UPSTREAM_PLACEHOLDERS = ("127.0.0.1:8001", "127.0.0.1:8002")


def nginx_binary() -> str | None:
    """Debian's nginx (in /usr/sbin, which a user's PATH may lack), or None."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if os.access(found, os.X_OK) else None


def render_site(listen_port: int, upstream_ports: list[int], collected: Path, logs: Path) -> str:
    """The site file with this run's ports and paths, and nothing else changed."""
    site = SITE_FILE.read_text()
    replacements = {
        "listen 80;": f"listen {HOST}:{listen_port} backlog=4096;",
        "/srv/minerales/collected": str(collected),
        "/srv/minerales/static/": f"{ROOT / 'static'}/",
        "/srv/minerales/deploy/nginx": str(ROOT / "deploy" / "nginx"),
        "/var/log/nginx": str(logs),
        "/var/cache/nginx/minerales": str(logs / "cache"),
    }
    for old, new in replacements.items():
        if old not in site:
            raise RuntimeError(f"{SITE_FILE} no longer contains {old!r}")
        site = site.replace(old, new)
    lines = [
        line for line in site.splitlines() if not any(p in line for p in UPSTREAM_PLACEHOLDERS)
    ]
    if len(lines) != len(site.splitlines()) - len(UPSTREAM_PLACEHOLDERS):
        raise RuntimeError(f"{SITE_FILE}: the upstream's server lines are not where expected")
    servers = "".join(
        f"    server {HOST}:{port} max_fails=1 fail_timeout=5s;\n" for port in upstream_ports
    )
    text = "\n".join(lines) + "\n"
    return text.replace("upstream minerales_app {\n", "upstream minerales_app {\n" + servers, 1)


MAIN_CONF = """
{user}
daemon off;
worker_processes {workers};
pid {work}/nginx.pid;
error_log {work}/error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/site.conf;
}}
"""


def worker_user() -> str:
    """nginx started as root runs its workers as nobody, who cannot read a root's temporary
    folders: keep them as root then (a deployment runs nginx as Debian sets it up)."""
    return "user root;" if os.geteuid() == 0 else ""


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until something accepts connections on ``port`` (or the process died)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{tail(log)}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on {port} within 20 s:\n{tail(log)}")


@contextmanager
def nginx_only(
    work: Path,
    listen: int,
    upstream_ports: list[int],
    collected: Path,
    workers: int = 1,
    connections: int = 1024,
) -> Iterator[int]:
    """nginx alone on ``listen``, with the site file, in front of ``upstream_ports``.

    Yields its process group (its master's pid).
    """
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (apt-get install nginx)")
    work.mkdir(parents=True, exist_ok=True)
    (work / "site.conf").write_text(render_site(listen, upstream_ports, collected, work))
    (work / "nginx.conf").write_text(
        MAIN_CONF.format(user=worker_user(), work=work, workers=workers, connections=connections)
    )
    with (work / "nginx.out").open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                "-p",
                str(work),
                "-e",
                str(work / "error.log"),
                "-c",
                str(work / "nginx.conf"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(listen, process, work / "error.log")
        yield process.pid
    finally:
        stop_process_group(process)


@dataclass
class Stack:
    """A running nginx and its instances."""

    url: str
    port: int
    instance_urls: list[str]
    instance_logs: list[Path]
    work: Path
    collected: Path
    # The process groups of the instances and of nginx (for CPU accounting in bench/).
    groups: list[int]


def start_gunicorn(
    env: dict[str, str], port: int, workers: int, log: Path
) -> subprocess.Popen[bytes]:
    """Start one "host": gunicorn with the deployment's settings on ``port``."""
    env = {
        **env,
        "GUNICORN_BIND": f"{HOST}:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_GRACEFUL_TIMEOUT": "3",
        "GUNICORN_LOG_LEVEL": "warning",
        "PROMETHEUS_MULTIPROC_DIR": str(log.parent / f"prometheus-{port}"),
    }
    with log.open("wb") as log_file:
        return subprocess.Popen(
            [str(BIN_DIR / "gunicorn"), "-c", str(GUNICORN_CONF), "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextmanager
def nginx_stack(
    env: dict[str, str],
    work: Path,
    *,
    instances: int = 2,
    workers: int = 2,
    nginx_workers: int = 1,
    connections: int = 1024,
) -> Iterator[Stack]:
    """Collect the assets, start the instances, then nginx in front of them."""
    if nginx_binary() is None:
        raise FileNotFoundError("nginx is not installed (apt-get install nginx)")
    work.mkdir(parents=True, exist_ok=True)
    collected = work / "collected"
    # Collected while the instances start (the layout nginx serves /assets/ from).
    collect = subprocess.Popen(
        [str(BIN_DIR / "flask"), "--app", "wsgi", "collect-assets", str(collected)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ports = [free_port() for _ in range(instances)]
    with ExitStack() as stack:
        logs = [work / f"instance-{index}.log" for index in range(instances)]
        # Started together, then waited for: each takes seconds to import the app.
        urls = []
        for port, log in zip(ports, logs, strict=True):
            process = start_gunicorn(env, port, workers, log)
            stack.callback(stop_process_group, process)
            urls.append((f"http://{HOST}:{port}", process, log))
        output, _ = collect.communicate(timeout=120)
        if collect.returncode != 0:
            raise RuntimeError(f"collect-assets failed:\n{output}")
        for url, process, log in urls:
            wait_healthy(url, process, log)
        listen = free_port()
        nginx_group = stack.enter_context(
            nginx_only(work, listen, ports, collected, nginx_workers, connections)
        )
        groups = [process.pid for _url, process, _log in urls] + [nginx_group]
        yield Stack(
            f"http://{HOST}:{listen}", listen, [u[0] for u in urls], logs, work, collected, groups
        )
