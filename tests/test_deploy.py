"""deploy/ cannot run here (no container engine): check syntax and that it calls real commands."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import click
import pytest
import yaml

from streams.cli import main
from streams.settings import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


REPO = DEPLOY.parent


def resolves(args: list[str]) -> None:
    """``args`` (after the program name) parse as a cloudpulse command line.

    Paths inside the image (/app/...) are checked against the repository, which the image copies.
    """
    args = [str(REPO / a[len("/app/"):]) if a.startswith("/app/") else a for a in args]
    context = main.make_context("cloudpulse", list(args), resilient_parsing=False)
    command = main
    while isinstance(command, click.Group):
        name, sub, rest = command.resolve_command(context, context.protected_args + context.args)
        context = sub.make_context(name, rest, parent=context)
        command = sub


def test_compose_file_and_its_commands() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text("utf-8"))
    services = compose["services"]
    assert {"kafka", "topics", "worker", "receiver"} <= set(services)
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    for name, service in services.items():
        if name != "kafka":
            resolves(service["command"])
    assert services["worker"]["depends_on"]["topics"]["condition"] == "service_completed_successfully"


def test_kubernetes_manifests() -> None:
    documents = [doc for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
                 for doc in yaml.safe_load_all(path.read_text("utf-8"))]
    kinds = {doc["kind"]: doc for doc in documents}
    assert {"Deployment", "ConfigMap", "PodDisruptionBudget"} <= set(kinds)
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    worker = pod["containers"][0]
    assert worker["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert worker["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert worker["envFrom"][0]["secretRef"]["name"] == "cloudpulse-secrets"
    for container in pod["initContainers"] + pod["containers"]:
        resolves(container["args"])
    config = kinds["ConfigMap"]["data"]["cloudpulse.toml"]
    path = Path(pytest.importorskip("tempfile").mkdtemp()) / "c.toml"
    path.write_text(config, encoding="utf-8")
    assert Settings.load(config_file=path).store == "rocksdb"


def test_systemd_unit() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "systemd" / "cloudpulse.service")
    exec_start = shlex.split(unit["Service"]["ExecStart"])
    assert exec_start[0].endswith("/cloudpulse")
    resolves(exec_start[1:])
    assert unit["Service"]["KillSignal"] == "SIGTERM"


def test_dockerfile_runs_the_worker() -> None:
    text = (DEPLOY / "Dockerfile").read_text("utf-8")
    assert 'ENTRYPOINT ["cloudpulse"]' in text and 'CMD ["worker"]' in text
    assert "USER cloudpulse" in text


def test_example_config_loads() -> None:
    settings = Settings.load(config_file=DEPLOY / "cloudpulse.example.toml")
    assert settings.store == "rocksdb" and settings.replication_factor == 3
