"""The C load generator of the gateway benchmark, run briefly against a real server. The benchmark
figures come from this tool, so a broken build or a wrong count must fail here."""

import json
import shutil
import subprocess

import pytest

from support import REPO_ROOT

SOURCES = sorted((REPO_ROOT / "Benchmarks" / "gateway" / "cloadgen").glob("*.c"))


@pytest.fixture(scope="module")
def cloadgen(tmp_path_factory):
    compiler = shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (cc) on this machine")
    binary = tmp_path_factory.mktemp("cloadgen") / "cloadgen"
    build = [compiler, "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(binary), *map(str, SOURCES), "-lpthread", "-lm"]
    subprocess.run(build, check=True, capture_output=True, text=True)
    return binary


def test_cloadgen_measures_frames(servers, cloadgen, tmp_path):
    server = servers.new(tick_rate=4)
    players = [server.register() for _ in range(3)]
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps([[p.token, p.ship_id] for p in players]))
    argv = [str(cloadgen), "--base", f"http://127.0.0.1:{server.port}", "--clients", "3", "--seconds", "2"]
    argv += ["--warmup", "1", "--tokens", str(tokens), "--steer", "--view-radius-m", "1e13", "--label", "check"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["label"] == "check"
    assert line["failed_clients"] == 0
    # Four ticks a second for two seconds, to three clients, less a tick at either edge of the window.
    assert line["frames"] >= 3 * 6
    assert line["mean_frame_bytes"] > 100
    assert 0 < line["latency_p50_ms"] <= line["latency_p99_ms"] <= line["latency_max_ms"]
    assert line["complete_ticks"] >= 6
    assert line["last_delivery_median_ms"] <= line["last_delivery_max_ms"]


def test_cloadgen_missing_tokens_file(cloadgen, tmp_path):
    argv = [str(cloadgen), "--clients", "2", "--tokens", str(tmp_path / "absent.json")]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "failed to open tokens file" in result.stderr
    assert "absent.json" in result.stderr
