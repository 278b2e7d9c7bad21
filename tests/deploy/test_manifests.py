"""The deployment examples in ``deploy/`` parse, and what they name exists: every setting they
give credbot is in the README's settings table, every probe path answers in the app, every
secret, volume, script and service they refer to is defined."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from bot.config import Settings
from bot.core.clock import SystemClock
from bot.core.context import Core
from bot.core.states import State
from bot.notify import LogNotifier
from bot.web.app import build_web_app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
COMPOSE = DEPLOY / "compose.yaml"
YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])


@functools.cache
def documented_settings() -> frozenset[str]:
    """The variable names in the README's settings table."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return frozenset(names)


@functools.cache
def secret_settings() -> frozenset[str]:
    """Settings that hold secrets (kept out of ``repr``): the ones with a ``*_FILE`` twin."""
    return frozenset(
        str(field.validation_alias.choices[0])  # type: ignore[union-attr]
        for field in Settings.model_fields.values()
        if field.repr is False
    )


def is_known(name: str) -> bool:
    """A documented setting, or the ``*_FILE`` twin of a secret one (the secrets-as-files
    settings read the value from that file)."""
    if name in documented_settings():
        return True
    base = name.removesuffix("_FILE")
    return name != base and base in secret_settings() and base in documented_settings()


def documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def test_every_setting_credbot_reads_is_in_the_readme_table() -> None:
    read = {
        str(field.validation_alias.choices[0])  # type: ignore[union-attr]
        for field in Settings.model_fields.values()
    }
    assert read - documented_settings() == set()


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_file_parses(path: Path) -> None:
    assert documents(path), f"{path} holds no YAML document"


# --- the app's probe paths ----------------------------------------------------------------


class Healthy:
    """Stands in for the store and Vault: only to list the routes of the real app."""

    def check_health(self) -> None:
        return None

    def count_by_state(self) -> dict[State, int]:
        return {}


def answers(path: str) -> int:
    core = Core(store=Healthy(), vault=Healthy(), clock=SystemClock(), notifier=LogNotifier())  # type: ignore[arg-type]
    return int(TestClient(build_web_app(core=core, https=False)).get(path).status_code)


# --- Kubernetes -----------------------------------------------------------------------------


def kubernetes_objects() -> dict[str, dict[str, Any]]:
    """``Kind/name`` -> object, for every manifest (the example Secret included)."""
    found = {}
    for path in KUBERNETES.glob("*.yaml"):
        for doc in documents(path):
            if "kind" in doc and doc.get("apiVersion") != "kustomize.config.k8s.io/v1beta1":
                found[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return dict(spec["template"]["spec"])


def credbot_containers() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for key, obj in kubernetes_objects().items():
        if obj["kind"] in {"Deployment", "Job", "CronJob"}:
            pod = pod_spec(obj)
            for container in pod["containers"]:
                if container["image"] == "credbot":
                    yield key, pod, container


def test_kustomization_lists_every_manifest_but_the_example_secret() -> None:
    kustomization = documents(KUBERNETES / "kustomization.yaml")[0]
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk - {"secret.example.yaml"}
    assert [image["name"] for image in kustomization["images"]] == ["credbot"]


def test_every_setting_the_workloads_get_is_documented() -> None:
    objects = kubernetes_objects()
    settings = objects["ConfigMap/credbot-settings"]["data"]
    unknown = [name for name in settings if not is_known(name)]
    for key, _, container in credbot_containers():
        sources = [ref["configMapRef"]["name"] for ref in container.get("envFrom", [])]
        assert sources == ["credbot-settings"], key
        unknown += [env["name"] for env in container.get("env", []) if not is_known(env["name"])]
    assert unknown == []


def test_secret_files_are_where_the_settings_say() -> None:
    objects = kubernetes_objects()
    settings = objects["ConfigMap/credbot-settings"]["data"]
    keys = set(objects["Secret/credbot"]["stringData"])
    assert not set(settings) & secret_settings(), "a secret in clear in the ConfigMap"
    files = {name: value for name, value in settings.items() if name.endswith("_FILE")}
    assert set(files) >= {
        "SLACK_BOT_TOKEN_FILE",
        "SLACK_SIGNING_SECRET_FILE",
        "VAULT_SECRET_ID_FILE",
        "CREDBOT_DATABASE_URL_FILE",
    }
    for key, pod, container in credbot_containers():
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
        for name, path in files.items():
            directory, file = path.rsplit("/", 1)
            secret = mounts[directory]["secret"]  # every workload mounts every secret file
            assert secret["secretName"] == "credbot", (key, name)
            assert file in keys, (key, name)
            assert "items" not in secret, key


def test_probes_use_paths_the_app_answers_on_the_port_it_listens_on() -> None:
    deployment = kubernetes_objects()["Deployment/credbot"]
    (container,) = pod_spec(deployment)["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    image_port = re.search(r"CREDBOT_PORT=(\d+)", (ROOT / "Dockerfile").read_text())
    assert image_port is not None
    probes = {
        kind: container[kind]["httpGet"]
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert probes["livenessProbe"]["path"] == "/livez"
    for probe in probes.values():
        assert ports[probe["port"]] == int(image_port[1])
        assert answers(probe["path"]) == 200
    service = kubernetes_objects()["Service/credbot"]
    assert service["spec"]["ports"][0]["targetPort"] in ports
    assert (
        service["spec"]["selector"].items()
        <= deployment["spec"]["template"]["metadata"]["labels"].items()
    )


def test_the_cronjob_sweeps_and_the_deployment_does_not() -> None:
    objects = kubernetes_objects()
    (serve,) = pod_spec(objects["Deployment/credbot"])["containers"]
    assert {"name": "CREDBOT_SWEEP_INTERVAL", "value": "0"} in serve["env"]
    cronjob = objects["CronJob/credbot-sweep"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (sweep,) = pod_spec(cronjob)["containers"]
    assert sweep["args"][0] == "sweep"
    (migrate,) = pod_spec(objects["Job/credbot-migrate"])["containers"]
    assert migrate["args"] == ["db", "upgrade"]


# --- compose ----------------------------------------------------------------------------------


def test_compose_refers_only_to_what_it_defines() -> None:
    compose = documents(COMPOSE)[0]
    services = compose["services"]
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, (name, needed)
        for secret in service.get("secrets", []):
            assert secret in compose["secrets"], (name, secret)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), (name, source)
            else:
                assert source in compose["volumes"], (name, source)


def test_compose_gives_credbot_only_documented_settings_and_secret_files() -> None:
    compose = documents(COMPOSE)[0]
    credbot = {
        name: service
        for name, service in compose["services"].items()
        if str(service["image"]).startswith("${CREDBOT_IMAGE")
    }
    assert {"credbot-init", "credbot-1", "credbot-2"} <= set(credbot)
    example = DEPLOY / "credbot.env.example"
    from_example = [
        line.split("=", 1)[0]
        for line in example.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    ]
    names = list(from_example)
    for name, service in credbot.items():
        names += list(service.get("environment", {}))
        for variable, value in service.get("environment", {}).items():
            if variable.endswith("_FILE") and value.startswith("/run/secrets/"):
                assert value.removeprefix("/run/secrets/") in service["secrets"], (name, variable)
        if "env_file" in service:
            assert (DEPLOY / f"{service['env_file']}.example").exists()
    assert [name for name in names if not is_known(name)] == []
    for replica in ("credbot-1", "credbot-2"):
        assert credbot[replica]["command"] == ["serve"]
        assert credbot[replica]["depends_on"]["credbot-init"]["condition"] == (
            "service_completed_successfully"
        )
