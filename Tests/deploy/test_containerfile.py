"""Consistency of deploy/Containerfile with the toolchain, the build context filter and the manifests."""

import re
import shutil
import subprocess

import pytest

from deploy_support import DEPLOY_DIR, containers, find_resource

CONTAINERFILE = (DEPLOY_DIR / "Containerfile").read_text()

# Debian 12 runtime package of each development package that the build stage installs.
RUNTIME_PACKAGES = {
    "libopenblas-dev": "libopenblas0",
    "libsqlite3-dev": "libsqlite3-0",
    "libpq-dev": "libpq5",
    "libwebsockets-dev": "libwebsockets17",
    "libhiredis-dev": "libhiredis0.14",
    "libsodium-dev": "libsodium23",
}


def build_argument(name):
    match = re.search(rf"^ARG {name}=(\S+)$", CONTAINERFILE, re.MULTILINE)
    assert match, f"Containerfile has no ARG {name} with a default"
    return match.group(1)


def stages():
    """Return the text of each build stage, split at its FROM line."""
    return re.split(r"^FROM ", CONTAINERFILE, flags=re.MULTILINE)[1:]


def apt_packages(stage):
    """Return the packages that `apt-get install` lines of `stage` name, continuation lines joined."""
    joined = stage.replace("\\\n", " ")
    packages = set()
    for command in re.findall(r"apt-get install ([^&\n]+)", joined):
        packages.update(word for word in command.split() if not word.startswith("-"))
    return packages


def test_builder_matches_installed_swift():
    if shutil.which("swift") is None:
        pytest.skip("swift is not installed")
    output = subprocess.run(["swift", "--version"], capture_output=True, text=True, timeout=60).stdout
    installed = re.search(r"Swift version (\d+\.\d+(?:\.\d+)?)", output).group(1)
    assert build_argument("SWIFT_IMAGE") == f"swift:{installed}-bookworm"


def test_stages_use_debian_12():
    assert build_argument("SWIFT_IMAGE").endswith("-bookworm")
    assert build_argument("RUNTIME_IMAGE") == "debian:bookworm-slim"
    assert len(stages()) == 2


@pytest.mark.parametrize(("development", "runtime"), sorted(RUNTIME_PACKAGES.items()))
def test_runtime_stage_installs_library(development, runtime):
    build, final = stages()
    assert development in apt_packages(build)
    assert runtime in apt_packages(final)


def test_every_build_library_has_runtime_package():
    build, _ = stages()
    development = {package for package in apt_packages(build) if package.endswith("-dev")}
    assert development == set(RUNTIME_PACKAGES)


def test_runtime_user_matches_manifests():
    _, final = stages()
    user = re.search(r"^USER (\d+):(\d+)$", final, re.MULTILINE)
    assert user, "the final stage must set a numeric USER uid:gid"
    assert int(user.group(1)) != 0
    for component in ["engine", "gateway"]:
        pod_context = find_resource("Deployment", f"galaxy-{component}")["spec"]["template"]["spec"]["securityContext"]
        assert pod_context["runAsUser"] == int(user.group(1))
        assert pod_context["runAsGroup"] == int(user.group(2))


def test_exposed_port_matches_manifests():
    _, final = stages()
    exposed = re.findall(r"^EXPOSE (\d+)$", final, re.MULTILINE)
    assert exposed == ["8080"]
    for component in ["engine", "gateway"]:
        ports = containers(find_resource("Deployment", f"galaxy-{component}"))[0]["ports"]
        assert [port["containerPort"] for port in ports] == [8080]


def test_build_context_filter_keeps_copied_paths():
    ignore_lines = (DEPLOY_DIR / "Containerfile.dockerignore").read_text().splitlines()
    included = {line[1:] for line in ignore_lines if line.startswith("!")}
    build, _ = stages()
    copied = set()
    for line in build.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            copied.update(line.split()[1:-1])
    assert copied
    assert copied == included
