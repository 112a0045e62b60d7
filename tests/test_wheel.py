"""The wheel a user installs: one `paperkg` namespace, its data inside, and a CLI and server that work outside a
source checkout. Built here, installed into a fresh virtual environment that borrows the already-installed
dependencies (so nothing is downloaded), and run from a directory that is not the checkout."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import time
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from bench._server import free_port
from paperkg import __version__

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    [built] = out.glob("paperkg-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel installed; dependencies come from this interpreter's site-packages."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    [target] = (env_dir / "lib").glob("python3*/site-packages")
    # A plain path line: the borrowed site-packages joins sys.path, but its .pth files (the checkout's editable
    # install among them) are not run, so `paperkg` can only come from the wheel.
    (target / "borrowed_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    scripts = env_dir / "bin"
    (scripts / "paperkg").write_text(f"#!{scripts / 'python'}\nfrom paperkg.cli import main\nmain()\n")
    (scripts / "paperkg").chmod(0o755)
    return env_dir


def test_wheel_holds_one_namespace_and_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("paperkg-")}
    assert tops == {"paperkg"}  # no generic top-level api/, graph/ or embeddings/
    for needed in ("paperkg/graph/network.py", "paperkg/embeddings/encoder.py", "paperkg/api/app.py",
                   "paperkg/api/openapi.json", "paperkg/seeds/ontology.ttl", "paperkg/seeds/vocab/techniques.ttl",
                   "paperkg/seeds/vocab/lexicon.json", "paperkg/seeds/vocab/hardware.csv",
                   "paperkg/store/schema.sql", "paperkg/api/web/templates/base.html",
                   "paperkg/api/web/static/vendor/cytoscape-3.35.0/cytoscape.min.js",
                   "paperkg/seeds/scorer/extraction_scorer.npz", "paperkg/seeds/scorer/phrases.json"):
        assert needed in names, needed
    assert any(n.startswith("paperkg/seeds/") and n.endswith(".txt") for n in names)  # the seed corpus
    meta = [n for n in names if n.endswith(".dist-info/METADATA")]
    text = zipfile.ZipFile(wheel).read(meta[0]).decode()
    assert f"\nVersion: {__version__}\n" in text and "Provides-Extra: ray" in text
    assert any(n.endswith("licenses/LICENSE") for n in names) and any(n.endswith("licenses/NOTICE.md") for n in names)


def test_installed_cli_builds_searches_and_serves_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    python, cli = installed / "bin" / "python", installed / "bin" / "paperkg"
    env = {**os.environ, "PAPERKG_MODEL": "hashing", "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    env.pop("PAPERKG_DATA", None)
    data = tmp_path / "data"

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(a) for a in args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)

    where = run(python, "-c", "import paperkg, paperkg.graph; print(paperkg.__file__, paperkg.graph.__file__)")
    assert where.returncode == 0, where.stderr
    assert str(ROOT) not in where.stdout and str(installed) in where.stdout
    version = run(python, "-m", "paperkg", "--version")
    assert version.returncode == 0 and __version__ in version.stdout
    built = run(cli, "build", "--data", data)  # the seed corpus shipped in the wheel
    assert built.returncode == 0, built.stderr
    assert "111 papers read" in built.stdout
    found = run(cli, "search", "speculative decoding", "--data", data, "-k", "3", "--json")
    assert found.returncode == 0, found.stderr
    assert '"results"' in found.stdout and "peculative" in found.stdout

    port = free_port()
    server = subprocess.Popen([str(cli), "serve", "--data", str(data), "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        health = None
        for _ in range(240):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()
                break
            except httpx.HTTPError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        assert health is not None, server.stderr.read() if server.stderr else "no server"
        assert health["papers"] == 111 and health["paperkg_version"] == __version__
    finally:
        server.terminate()
        server.wait(timeout=30)
