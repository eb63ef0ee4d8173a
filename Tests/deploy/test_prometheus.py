"""The Prometheus scrape job and alert rules in deploy/prometheus.yaml.

Where promtool is installed (Debian package prometheus), it checks the rule file and the scrape job,
and runs unit tests of the alerts on synthetic series.
"""

import re
import shutil
import subprocess
import textwrap

import pytest
import yaml

from deploy_support import REPO_ROOT, NAMESPACE, find_resource

# Metrics of the Redis fan-out that `galaxy serve --redis` and `galaxy gateway` export. They are
# accepted here before their registration lands in Sources/.
REDIS_METRICS = {
    "galaxy_redis_connected",
    "galaxy_redis_reconnects_total",
    "galaxy_redis_frames_published_total",
    "galaxy_redis_frames_dropped_total",
    "galaxy_redis_publish_duration_ms",
    "galaxy_redis_frames_received_total",
    "galaxy_redis_frame_age_ms",
    "galaxy_redis_commands_total",
    "galaxy_redis_command_timeouts_total",
}
METRIC_NAME = re.compile(r"\b(?:galaxy|tick_engine|physics|automation)_[a-z0-9_]+\b")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")


def prometheus_files():
    return find_resource("ConfigMap", "galaxy-prometheus")["data"]


def scrape_configuration():
    return yaml.safe_load(prometheus_files()["prometheus.yml"])


def alert_rules():
    groups = yaml.safe_load(prometheus_files()["galaxy-alerts.yml"])["groups"]
    return [rule for group in groups for rule in group["rules"]]


def registered_metrics():
    """Return the metric names that the Swift sources register, found as quoted string literals."""
    names = set()
    for path in (REPO_ROOT / "Sources").rglob("*.swift"):
        names.update(re.findall(r'"((?:galaxy|tick_engine|physics|automation)_[a-z0-9_]+)"', path.read_text()))
    return names


def unknown_metrics(text):
    """Return the metric names in `text` that no source registers and that are not Redis metrics."""
    known = registered_metrics() | REDIS_METRICS
    unknown = set()
    for name in set(METRIC_NAME.findall(text)):
        base = name
        for suffix in HISTOGRAM_SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in known:
                base = name[: -len(suffix)]
        if base not in known:
            unknown.add(name)
    return unknown


def test_source_scan_finds_metrics():
    names = registered_metrics()
    assert "tick_engine_total_duration_ms" in names
    assert "galaxy_broadcast_duration_ms" in names
    assert "tick_engine_tick_duration_seconds" in names


def test_unknown_metric_is_reported():
    assert unknown_metrics("rate(galaxy_broadcast_duraton_ms[5m])") == {"galaxy_broadcast_duraton_ms"}


def test_rule_files_are_in_configmap():
    for rule_file in scrape_configuration()["rule_files"]:
        assert rule_file in prometheus_files()


def test_scrape_job_watches_namespace():
    (job,) = scrape_configuration()["scrape_configs"]
    (discovery,) = job["kubernetes_sd_configs"]
    assert discovery["role"] == "pod"
    assert discovery["namespaces"]["names"] == [NAMESPACE]


def test_scrape_job_keeps_annotated_http_ports():
    (job,) = scrape_configuration()["scrape_configs"]
    keeps = {
        (tuple(rule["source_labels"]), rule["regex"])
        for rule in job["relabel_configs"]
        if rule.get("action") == "keep"
    }
    assert keeps == {
        (("__meta_kubernetes_pod_annotation_prometheus_io_scrape",), "true"),
        (("__meta_kubernetes_pod_container_port_name",), "http"),
    }


def test_alert_rules_use_known_metrics():
    for rule in alert_rules():
        assert not unknown_metrics(rule["expr"]), f"{rule['alert']}: {rule['expr']}"


def test_alert_rules_have_severity_and_summary():
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_operations_doc_uses_known_metrics():
    text = (REPO_ROOT / "docs" / "operations.md").read_text()
    assert not unknown_metrics(text)


@pytest.fixture
def prometheus_dir(tmp_path):
    for name, text in prometheus_files().items():
        (tmp_path / name).write_text(text)
    return tmp_path


def promtool(*arguments, cwd):
    result = subprocess.run(["promtool", *arguments], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@needs_promtool
def test_promtool_accepts_rules(prometheus_dir):
    output = promtool("check", "rules", "galaxy-alerts.yml", cwd=prometheus_dir)
    assert f"SUCCESS: {len(alert_rules())} rules found" in output


@needs_promtool
def test_promtool_accepts_scrape_job(prometheus_dir):
    # Debian's promtool 2.42 is built without Kubernetes service discovery and rejects
    # kubernetes_sd_configs, so this checks the rest of the job with a static target in its place.
    configuration = scrape_configuration()
    for job in configuration["scrape_configs"]:
        job.pop("kubernetes_sd_configs")
        job["static_configs"] = [{"targets": ["127.0.0.1:8080"]}]
    (prometheus_dir / "static.yml").write_text(yaml.safe_dump(configuration))
    promtool("check", "config", "static.yml", cwd=prometheus_dir)


# Synthetic series sampled every minute: "a+bxN" is a, a+b, ... for N more samples.
ALERT_TESTS = textwrap.dedent(
    """
    rule_files: [galaxy-alerts.yml]
    evaluation_interval: 1m
    tests:
      - interval: 1m
        input_series:
          - series: 'galaxy_broadcast_duration_ms{job="galaxy", component="gateway", pod="gw-slow"}'
            values: '600x40'
          - series: 'galaxy_broadcast_duration_ms{job="galaxy", component="gateway", pod="gw-fast"}'
            values: '100x40'
          - series: 'galaxy_fanout_duration_ms{job="galaxy", component="gateway", pod="gw-slow"}'
            values: '700x40'
          - series: 'galaxy_fanout_duration_ms{job="galaxy", component="gateway", pod="gw-fast"}'
            values: '120x40'
          - series: 'tick_engine_tick_duration_seconds_bucket{job="galaxy", component="engine", pod="engine", le="0.01"}'
            values: '0+0x40'
          - series: 'tick_engine_tick_duration_seconds_bucket{job="galaxy", component="engine", pod="engine", le="0.5"}'
            values: '0+0x40'
          - series: 'tick_engine_tick_duration_seconds_bucket{job="galaxy", component="engine", pod="engine", le="1"}'
            values: '0+60x40'
          - series: 'tick_engine_tick_duration_seconds_bucket{job="galaxy", component="engine", pod="engine", le="+Inf"}'
            values: '0+60x40'
          - series: 'tick_engine_overruns_total{job="galaxy", component="engine", pod="engine"}'
            values: '0x40'
          - series: 'tick_engine_degraded{job="galaxy", component="engine", pod="engine"}'
            values: '0x5 1x35'
          - series: 'tick_engine_current_tick{job="galaxy", component="engine", pod="engine"}'
            values: '1000+60x40'
          - series: 'tick_engine_last_snapshot_tick{job="galaxy", component="engine", pod="engine"}'
            values: '1000x40'
          - series: 'galaxy_redis_connected{job="galaxy", component="gateway", pod="gw-slow"}'
            values: '1x20 0x20'
          - series: 'galaxy_redis_connected{job="galaxy", component="gateway", pod="gw-fast"}'
            values: '1x40'
        alert_rule_test:
          - eval_time: 25m
            alertname: GalaxyBroadcastSlow
            exp_alerts:
              - exp_labels: {severity: warning, job: galaxy, component: gateway, pod: gw-slow}
                exp_annotations:
                  summary: "Median broadcast on gw-slow is 600 ms, above half the tick interval."
          - eval_time: 25m
            alertname: GalaxyFanoutSlow
            exp_alerts:
              - exp_labels: {severity: warning, job: galaxy, component: gateway, pod: gw-slow}
                exp_annotations:
                  summary: "Median fan-out on gw-slow is 700 ms, above half the tick interval."
          - eval_time: 25m
            alertname: GalaxyTickNearBudget
            exp_alerts:
              - exp_labels: {severity: warning, job: galaxy, component: engine, pod: engine}
                exp_annotations:
                  summary: "p99 tick duration on engine is 995ms, above half the tick interval."
          - eval_time: 8m
            alertname: GalaxyTickOverruns
            exp_alerts: []
          - eval_time: 15m
            alertname: GalaxyTickOverruns
            exp_alerts:
              - exp_labels: {severity: critical, job: galaxy, component: engine, pod: engine}
                exp_annotations:
                  summary: "Ticks on engine overrun the tick interval; the engine lowers the time warp while degraded."
          - eval_time: 15m
            alertname: GalaxySnapshotsStale
            exp_alerts:
              - exp_labels: {severity: critical, job: galaxy, component: engine, pod: engine}
                exp_annotations:
                  summary: "No world snapshot written for more than 300 ticks on engine; check PostgreSQL."
          - eval_time: 20m
            alertname: GalaxyRedisDisconnected
            exp_alerts: []
          - eval_time: 23m
            alertname: GalaxyRedisDisconnected
            exp_alerts:
              - exp_labels: {severity: critical, job: galaxy, component: gateway, pod: gw-slow}
                exp_annotations:
                  summary: "gw-slow has been disconnected from Redis for 1 minute."
    """
)


@needs_promtool
def test_alerts_fire_on_synthetic_series(prometheus_dir):
    (prometheus_dir / "alert-tests.yml").write_text(ALERT_TESTS)
    promtool("test", "rules", "alert-tests.yml", cwd=prometheus_dir)
