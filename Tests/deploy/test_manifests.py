"""Schema validation and invariants of the Kubernetes manifests under deploy/.

kubernetes-validate checks each resource offline against the JSON schemas of a Kubernetes release
that the package ships. Strict mode rejects unknown fields, so a misspelled field fails too.
"""

import copy
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from deploy_support import (
    DEPLOY_DIR,
    NAMESPACE,
    NEWEST_KUBERNETES_VERSION,
    TARGET_KUBERNETES_VERSION,
    all_resources,
    container_port_number,
    containers,
    cpu_cores,
    find_resource,
    kustomization,
    load_documents,
    memory_bytes,
    pod_labels,
    resources_of_kind,
    selector_matches,
)

RESOURCES = all_resources()
RESOURCE_IDS = [f"{name}:{resource['kind']}/{resource['metadata']['name']}" for name, resource in RESOURCES]

# Worst case of the engine's shutdown after SIGTERM, in seconds, from ServerApp.stop. Closing the
# listener and sessions takes up to 5 s, the final snapshot up to 15 s and the snapshot writer's stop
# up to 5 s, plus one tick at the default 1 Hz.
ENGINE_SHUTDOWN_WORST_CASE_S = 5 + 15 + 5 + 1


def deployment(component):
    return find_resource("Deployment", f"galaxy-{component}")


def validate(resource, version):
    return kubernetes_validate.validate(resource, version, strict=True)


def validate_or_fail(resource, version, origin):
    """Validate `resource` and fail with one line naming the field, in place of the whole schema."""
    label = f"{origin}: {resource.get('kind')}/{resource.get('metadata', {}).get('name')}"
    try:
        return validate(resource, version)
    except kubernetes_validate.ValidationError as error:
        location = ".".join(str(part) for part in error.path) or "(top level)"
        failure = f"{label} is invalid for Kubernetes {version} at {location}: {error.message}"
    except kubernetes_validate.SchemaNotFoundError as error:
        failure = f"{label}: {error.message}"
    # Failing outside the except clause keeps the validator's schema dump out of the report.
    pytest.fail(failure, pytrace=False)


# Schema validation


@pytest.mark.parametrize("version", [TARGET_KUBERNETES_VERSION, NEWEST_KUBERNETES_VERSION])
@pytest.mark.parametrize(("file_name", "resource"), RESOURCES, ids=RESOURCE_IDS)
def test_resource_matches_schema(file_name, resource, version):
    # A kind or apiVersion that this release does not know fails the test as well.
    validated = validate_or_fail(resource, version, file_name)
    assert validated == version


def test_kustomization_lists_every_manifest():
    listed = set(kustomization()["resources"])
    on_disk = {path.name for path in DEPLOY_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


def test_every_manifest_file_has_resources():
    for name in kustomization()["resources"]:
        assert load_documents(DEPLOY_DIR / name), f"{name} contains no resource"


def test_resources_name_the_namespace():
    for file_name, resource in RESOURCES:
        if resource["kind"] == "Namespace":
            assert resource["metadata"]["name"] == NAMESPACE
            continue
        assert resource["metadata"].get("namespace") == NAMESPACE, f"{file_name}: {resource['metadata']['name']}"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) is not installed")
def test_kustomize_output_matches_schema():
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY_DIR)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    documents = [document for document in yaml.safe_load_all(rendered) if document]
    assert len(documents) == len(RESOURCES)
    image = kustomization()["images"][0]
    for document in documents:
        validate_or_fail(document, TARGET_KUBERNETES_VERSION, "kubectl kustomize deploy/")
        if document["kind"] == "Deployment":
            for container in containers(document):
                assert container["image"] == f"{image['newName']}:{image['newTag']}"


# The validator itself must reject broken documents, or the tests above prove nothing.


def broken_deployment(mutate):
    resource = copy.deepcopy(deployment("engine"))
    mutate(resource)
    return resource


def misspell_replicas(resource):
    resource["spec"]["replica"] = resource["spec"].pop("replicas")


def port_as_text(resource):
    containers(resource)[0]["ports"][0]["containerPort"] = "eighty"


def drop_selector(resource):
    del resource["spec"]["selector"]


def probe_without_handler(resource):
    containers(resource)[0]["livenessProbe"]["httpGet"]["port"] = {"name": "http"}


@pytest.mark.parametrize("mutate", [misspell_replicas, port_as_text, drop_selector, probe_without_handler])
def test_validator_rejects_broken_deployment(mutate):
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken_deployment(mutate), TARGET_KUBERNETES_VERSION)


def test_validator_rejects_unknown_kind():
    resource = {"apiVersion": "v1", "kind": "EngineSingleton", "metadata": {"name": "galaxy"}}
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate(resource, TARGET_KUBERNETES_VERSION)


def test_validator_rejects_removed_api_version():
    # autoscaling/v2beta2 was removed in Kubernetes 1.26.
    resource = copy.deepcopy(find_resource("HorizontalPodAutoscaler", "galaxy-gateway"))
    resource["apiVersion"] = "autoscaling/v2beta2"
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate(resource, TARGET_KUBERNETES_VERSION)


# The engine is the single writer of the world.


def test_engine_has_one_replica():
    assert deployment("engine")["spec"]["replicas"] == 1


def test_engine_recreates_on_rollout():
    assert deployment("engine")["spec"]["strategy"]["type"] == "Recreate"


def test_engine_grace_period_covers_final_snapshot():
    grace = deployment("engine")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= 2 * ENGINE_SHUTDOWN_WORST_CASE_S


def test_engine_has_no_autoscaler():
    for autoscaler in resources_of_kind("HorizontalPodAutoscaler"):
        assert autoscaler["spec"]["scaleTargetRef"]["name"] != "galaxy-engine"


def test_engine_service_is_internal():
    service = find_resource("Service", "galaxy-engine")
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels(deployment("engine")))


def test_admin_token_only_reaches_engine():
    engine_env = {variable["name"]: variable for variable in containers(deployment("engine"))[0]["env"]}
    assert "secretKeyRef" in engine_env["GALAXY_ADMIN_TOKEN"]["valueFrom"]
    gateway_env = {variable["name"] for variable in containers(deployment("gateway"))[0]["env"]}
    assert "GALAXY_ADMIN_TOKEN" not in gateway_env


def test_openblas_threads_match_engine_cpu_limit():
    container = containers(deployment("engine"))[0]
    env = {variable["name"]: variable for variable in container["env"]}
    threads = int(env["OPENBLAS_NUM_THREADS"]["value"])
    assert threads == cpu_cores(container["resources"]["limits"]["cpu"])


# Both processes


@pytest.mark.parametrize("component", ["engine", "gateway"])
def test_probes_use_health_endpoints(component):
    for container in containers(deployment(component)):
        liveness = container["livenessProbe"]["httpGet"]
        readiness = container["readinessProbe"]["httpGet"]
        assert liveness["path"] == "/healthz"
        assert readiness["path"] == "/readyz"
        assert container_port_number(container, liveness["port"]) == 8080
        assert container_port_number(container, readiness["port"]) == 8080


@pytest.mark.parametrize("component", ["engine", "gateway"])
def test_containers_set_requests_and_limits(component):
    for container in containers(deployment(component)):
        requests = container["resources"]["requests"]
        limits = container["resources"]["limits"]
        assert cpu_cores(requests["cpu"]) > 0
        assert memory_bytes(requests["memory"]) > 0
        assert cpu_cores(requests["cpu"]) <= cpu_cores(limits["cpu"])
        assert memory_bytes(requests["memory"]) <= memory_bytes(limits["memory"])


@pytest.mark.parametrize("component", ["engine", "gateway"])
def test_containers_run_as_non_root(component):
    pod_spec = deployment(component)["spec"]["template"]["spec"]
    assert pod_spec["securityContext"]["runAsNonRoot"] is True
    assert pod_spec["securityContext"]["runAsUser"] != 0
    for container in pod_spec["containers"]:
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("component", ["engine", "gateway"])
def test_deployment_runs_its_subcommand(component):
    expected = {"engine": ["serve"], "gateway": ["gateway"]}[component]
    for container in containers(deployment(component)):
        assert container["image"] == kustomization()["images"][0]["name"]
        assert container["args"] == expected
        assert "command" not in container


@pytest.mark.parametrize("component", ["engine", "gateway"])
def test_scrape_annotations_name_http_port(component):
    template = deployment(component)["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    port = int(annotations["prometheus.io/port"])
    assert container_port_number(containers(deployment(component))[0], "http") == port


@pytest.mark.parametrize("component", ["engine", "gateway"])
def test_deployment_selector_matches_its_pods(component):
    resource = deployment(component)
    assert selector_matches(resource["spec"]["selector"], pod_labels(resource))


def test_components_do_not_share_pod_labels():
    engine_selector = deployment("engine")["spec"]["selector"]
    gateway_selector = deployment("gateway")["spec"]["selector"]
    assert not selector_matches(engine_selector, pod_labels(deployment("gateway")))
    assert not selector_matches(gateway_selector, pod_labels(deployment("engine")))


def env_references():
    """Return (component, variable name, kind, resource name, key) for every env entry that reads a key."""
    references = []
    for component in ["engine", "gateway"]:
        for container in containers(deployment(component)):
            for variable in container.get("env", []):
                source = variable.get("valueFrom", {})
                for kind, field in [("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")]:
                    if field in source:
                        reference = source[field]
                        references.append((component, variable["name"], kind, reference["name"], reference["key"]))
    return references


def test_env_references_exist():
    references = env_references()
    assert references, "no env entry reads a ConfigMap or Secret"
    for component, variable, kind, name, key in references:
        resource = find_resource(kind, name)
        keys = set(resource.get("data", {})) | set(resource.get("stringData", {}))
        assert key in keys, f"{component} {variable}: {kind} {name} has no key {key}"


def test_env_references_are_required():
    for component in ["engine", "gateway"]:
        for container in containers(deployment(component)):
            assert "envFrom" not in container, "envFrom hides which keys a container reads"
            for variable in container.get("env", []):
                for reference in variable.get("valueFrom", {}).values():
                    assert reference.get("optional") is not True, f"{component} {variable['name']}"


def test_env_sets_each_variable_once():
    for component in ["engine", "gateway"]:
        names = [variable["name"] for variable in containers(deployment(component))[0]["env"]]
        assert len(names) == len(set(names)), f"{component}: {names}"


@pytest.mark.parametrize(
    ("component", "variable", "kind"),
    [
        ("engine", "GALAXY_DATABASE_URL", "Secret"),
        ("engine", "GALAXY_REDIS_URL", "ConfigMap"),
        ("gateway", "GALAXY_DATABASE_URL", "Secret"),
        ("gateway", "GALAXY_REDIS_URL", "ConfigMap"),
    ],
)
def test_both_processes_share_stores(component, variable, kind):
    matches = [reference for reference in env_references() if reference[:2] == (component, variable)]
    assert len(matches) == 1
    assert matches[0][2] == kind


def test_secret_values_are_marked_placeholders():
    for secret in resources_of_kind("Secret"):
        values = {**secret.get("data", {}), **secret.get("stringData", {})}
        assert values
        for key, value in values.items():
            assert "PLACEHOLDER" in value, f"{secret['metadata']['name']}.{key} is not a marked placeholder"


# Gateways


def test_gateway_has_several_replicas():
    assert deployment("gateway")["spec"]["replicas"] >= 2


def test_gateway_rollout_keeps_capacity():
    rolling = deployment("gateway")["spec"]["strategy"]["rollingUpdate"]
    assert rolling["maxUnavailable"] == 0
    assert rolling["maxSurge"] >= 1


def test_gateway_service_is_public():
    service = find_resource("Service", "galaxy-gateway")
    assert service["spec"]["type"] == "LoadBalancer"
    assert selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels(deployment("gateway")))
    for port in service["spec"]["ports"]:
        assert container_port_number(containers(deployment("gateway"))[0], port["targetPort"]) == 8080


def test_autoscaler_targets_gateway_deployment():
    autoscaler = find_resource("HorizontalPodAutoscaler", "galaxy-gateway")
    target = autoscaler["spec"]["scaleTargetRef"]
    assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "galaxy-gateway"}
    assert autoscaler["apiVersion"] == "autoscaling/v2"


def test_autoscaler_scales_on_cpu():
    autoscaler = find_resource("HorizontalPodAutoscaler", "galaxy-gateway")
    metrics = autoscaler["spec"]["metrics"]
    assert [(metric["type"], metric["resource"]["name"]) for metric in metrics] == [("Resource", "cpu")]
    assert 0 < metrics[0]["resource"]["target"]["averageUtilization"] <= 100


def test_autoscaler_bounds():
    spec = find_resource("HorizontalPodAutoscaler", "galaxy-gateway")["spec"]
    assert spec["minReplicas"] >= 2
    assert spec["maxReplicas"] > spec["minReplicas"]
    assert spec["minReplicas"] <= deployment("gateway")["spec"]["replicas"] <= spec["maxReplicas"]


def test_disruption_budget_selects_gateway_pods():
    budget = find_resource("PodDisruptionBudget", "galaxy-gateway")
    assert selector_matches(budget["spec"]["selector"], pod_labels(deployment("gateway")))
    assert not selector_matches(budget["spec"]["selector"], pod_labels(deployment("engine")))


def test_disruption_budget_allows_drains():
    budget = find_resource("PodDisruptionBudget", "galaxy-gateway")["spec"]
    minimum = find_resource("HorizontalPodAutoscaler", "galaxy-gateway")["spec"]["minReplicas"]
    if "maxUnavailable" in budget:
        assert budget["maxUnavailable"] >= 1
    else:
        assert budget["minAvailable"] < minimum
