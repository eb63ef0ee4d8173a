"""Loading and querying the Kubernetes manifests under deploy/ for the tests in this folder."""

import re
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy"
NAMESPACE = "galaxy"

# The Kubernetes release the manifests target, and the newest one whose schemas kubernetes-validate
# 1.37.0 ships. Both must accept every manifest.
TARGET_KUBERNETES_VERSION = "1.30"
NEWEST_KUBERNETES_VERSION = "1.37"


def kustomization():
    return yaml.safe_load((DEPLOY_DIR / "kustomization.yaml").read_text())


def manifest_files():
    """Return the files that kustomization.yaml lists as resources, in its order."""
    return [DEPLOY_DIR / name for name in kustomization()["resources"]]


def load_documents(path):
    """Parse every non-empty YAML document of `path`."""
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def all_resources():
    """Return (file name, resource) for every resource of every manifest file."""
    return [(path.name, resource) for path in manifest_files() for resource in load_documents(path)]


def find_resource(kind, name):
    """Return the one resource of `kind` named `name`, and fail the test unless exactly one exists."""
    matches = [
        resource
        for _, resource in all_resources()
        if resource["kind"] == kind and resource["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"expected one {kind} named {name}, found {len(matches)}"
    return matches[0]


def resources_of_kind(kind):
    return [resource for _, resource in all_resources() if resource["kind"] == kind]


def selector_matches(selector, labels):
    """Return whether a selector with matchLabels and matchExpressions selects `labels`."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def pod_labels(deployment):
    return deployment["spec"]["template"]["metadata"]["labels"]


def containers(deployment):
    return deployment["spec"]["template"]["spec"]["containers"]


def container_port_number(container, port):
    """Resolve a probe or Service port, given by name or number, to the container's port number."""
    for declared in container.get("ports", []):
        if port in (declared.get("name"), declared["containerPort"]):
            return declared["containerPort"]
    return None


_CPU_PATTERN = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEMORY_SUFFIXES = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_MEMORY_PATTERN = re.compile(r"^(\d+(?:\.\d+)?)(k|M|G|Ki|Mi|Gi|Ti)?$")


def cpu_cores(quantity):
    """Convert a Kubernetes CPU quantity ("2", "0.5", "500m") to cores, or raise ValueError."""
    match = _CPU_PATTERN.match(str(quantity))
    if not match:
        raise ValueError(f"invalid CPU quantity {quantity!r}")
    value = float(match.group(1))
    return value / 1000 if match.group(2) else value


def memory_bytes(quantity):
    """Convert a Kubernetes memory quantity ("512Mi", "2Gi", "1G") to bytes, or raise ValueError."""
    match = _MEMORY_PATTERN.match(str(quantity))
    if not match:
        raise ValueError(f"invalid memory quantity {quantity!r}")
    return float(match.group(1)) * _MEMORY_SUFFIXES[match.group(2) or ""]
