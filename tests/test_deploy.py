"""The replica deployment (compose.replicas.yaml, deploy/nginx.conf) hangs together. Docker cannot run here: this
checks the files' references against each other and against paperkg's settings, and `docker-compose config` where
that tool is installed; tests/test_replicas.py runs the same nginx.conf in front of real processes."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from paperkg.core.settings import Settings
from tests.conftest import ROOT

COMPOSE = ROOT / "compose.replicas.yaml"
NGINX = ROOT / "deploy" / "nginx.conf"


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_services_reference_each_other() -> None:
    services = _compose()["services"]
    assert set(services) == {"writer", "replica", "proxy"}
    writer, replica, proxy = services["writer"], services["replica"], services["proxy"]
    # the writer publishes into the volume that every replica mounts read-only and serves with --replica
    volume = writer["volumes"][0].split(":")[0]
    assert volume in _compose()["volumes"]
    assert replica["volumes"] == [f"{volume}:/data:ro"] and writer["volumes"] == [f"{volume}:/data"]
    assert float(writer["environment"]["PAPERKG_PUBLISH_INTERVAL"]) > 0
    command = replica["command"]
    assert command[:2] == ["paperkg", "serve"] and command[command.index("--replica") + 1] == "/data"
    assert replica["image"] == writer["image"] and "build" in writer
    fields = set(Settings.model_fields)
    for service in services.values():
        for name in service.get("environment", {}):
            assert name.removeprefix("PAPERKG_").lower() in fields, name
    for mount in proxy["volumes"]:
        source = mount.split(":")[0]
        assert (ROOT / source).is_file(), source
    assert set(proxy["depends_on"]) == {"writer", "replica"}


def test_nginx_routes_to_the_compose_services() -> None:
    conf = NGINX.read_text(encoding="utf-8")
    services = _compose()["services"]
    hosts = set(re.findall(r"^\s*server\s+([a-z0-9-]+):(\d+)", conf, re.MULTILINE))
    assert hosts == {("writer", "8000"), ("replica", "8000")}
    assert {host for host, _ in hosts} <= set(services)
    listen = re.search(r"listen\s+(\d+);", conf)
    assert listen is not None and services["proxy"]["ports"] == [f"127.0.0.1:8000:{listen.group(1)}"]


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_docker_compose_accepts_the_files() -> None:
    for name in ("compose.yaml", "compose.replicas.yaml"):
        done = subprocess.run(["docker-compose", "-f", name, "config", "-q"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
