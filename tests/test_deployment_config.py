"""The Kubernetes deployment's configuration (deploy/, docs/DEPLOYMENT.md) is valid: CI runs this.

No cluster and no helm here, so the Helm values are checked the way the chart would use them: the
instance parts (run launcher, run coordinator, concurrency, PostgreSQL storage) are turned into the
dagster.yaml sections the chart writes from them and validated against Dagster's and dagster-k8s's own
config schemas; volumes, mounts, security contexts and resources against the Kubernetes API models. The
code location itself is loaded by the real `dagster definitions validate`. Each structural check is a
function returning problems, and each is shown to find the mistake it is there for.
"""

from __future__ import annotations

import copy
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import dagster as dg
import kubernetes
import pytest
import yaml
from dagster._check import CheckError
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config_schema, validate_concurrency_config
from dagster._core.run_coordinator.queued_run_coordinator import QueuedRunCoordinator
from dagster_k8s import K8sRunLauncher, k8s_job_executor
from dagster_k8s.job import k8s_snake_case_dict
from dagster_postgres.run_storage import PostgresRunStorage

from km_assets.config import ConfigError, ExecutorSettings, KmConfig, load_config
from km_assets.defs import build_definitions
from km_assets.defs.executor import executor_definition

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
VALUES = DEPLOY / "helm" / "values.yaml"
KM_YAML = DEPLOY / "km.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
GUIDE = REPO / "docs" / "DEPLOYMENT.md"
DAGSTER = REPO / ".venv" / "bin" / "dagster"

PLACEHOLDER = "placeholder-not-a-secret"
S3_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
PG_PASSWORD_KEY = "postgresql-password"  # the key the chart's pods read DAGSTER_PG_PASSWORD from


def _values() -> dict:
    return yaml.safe_load(VALUES.read_text(encoding="utf-8"))


def _deploy_config() -> KmConfig:
    return load_config(KM_YAML, environ={})


def _needed_env(config: KmConfig) -> set[str]:
    """The environment variables the deployment's km.yaml needs at run time (all of them secrets)."""
    names = {connection.auth.secret_env() for connection in config.connections}
    if config.storage.root.startswith("s3://"):
        names.update(S3_CREDENTIALS)
    return names


def _code_location(values: dict) -> dict:
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    return deployment


def _launcher(values: dict) -> dict:
    return values["runLauncher"]["config"]["k8sRunLauncher"]


# --- the code location, loaded by the real CLI ---------------------------------------------------------


def _validate_cli(km_yaml: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update({name: PLACEHOLDER for name in _needed_env(_deploy_config())})
    env.update({"KM_CONFIG": str(km_yaml), "DAGSTER_HOME": str(tmp_path), "PYTHONWARNINGS": "ignore"})
    return subprocess.run([str(DAGSTER), "definitions", "validate", "-w", str(DEPLOY / "workspace.yaml")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=180)


def test_dagster_definitions_validate_passes_on_the_deployment_config(tmp_path):
    result = _validate_cli(KM_YAML, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Validation successful for code location km_assets.definitions" in output
    assert PLACEHOLDER not in output


def test_dagster_definitions_validate_fails_on_a_bad_executor_kind(tmp_path):
    broken = tmp_path / "km.yaml"
    text = KM_YAML.read_text(encoding="utf-8")
    assert "kind: k8s" in text
    broken.write_text(text.replace("kind: k8s", "kind: celery"), encoding="utf-8")
    result = _validate_cli(broken, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "executor.kind: Input should be 'multiprocess', 'in_process' or 'k8s'" in output
    assert str(broken) in output  # the message names the file too


# --- the executor section --------------------------------------------------------------------------------


def test_deploy_km_yaml_runs_every_job_on_the_k8s_executor():
    config = _deploy_config()
    assert config.executor.kind == "k8s"
    defs = build_definitions(config)
    jobs = [job for job in defs.resolve_all_job_defs() if not job.name.startswith("__")]
    assert jobs
    for job in jobs:
        assert job.executor_def.name == "k8s", job.name
        resolved = job.executor_def.config_schema.resolve_config({})
        assert resolved.success, resolved.errors
        assert resolved.value["config"]["max_concurrent"] == config.executor.max_concurrent
    # The configured part satisfies dagster-k8s's own executor schema.
    checked = validate_config(k8s_job_executor.config_schema.config_type,
                              {"max_concurrent": config.executor.max_concurrent})
    assert checked.success, checked.errors


def test_no_executor_section_keeps_dagsters_default():
    assert KmConfig.model_validate({"connections": []}).executor == ExecutorSettings()
    assert executor_definition(ExecutorSettings()) is None  # dg.Definitions' own default, as before
    assert executor_definition(ExecutorSettings(kind="in_process")) is dg.in_process_executor


def test_multiprocess_max_concurrent_configures_dagsters_multiprocess_executor():
    executor = executor_definition(ExecutorSettings(kind="multiprocess", max_concurrent=3))
    assert executor.name == "multiprocess"
    assert executor.config_schema.resolve_config({}).value["config"]["max_concurrent"] == 3


@pytest.mark.parametrize(("executor", "message"), [
    ({"kind": "celery"}, "executor.kind: Input should be 'multiprocess', 'in_process' or 'k8s'"),
    ({"kind": "k8s", "max_concurrent": 0}, "executor.max_concurrent: Input should be greater than or equal to 1"),
    ({"kind": "in_process", "max_concurrent": 2}, "max_concurrent does not apply to kind in_process"),
    ({"kind": "k8s", "namespace": "x"}, "executor.namespace: Extra inputs are not permitted"),
])
def test_a_bad_executor_section_is_one_error_naming_the_key(tmp_path, executor, message):
    path = tmp_path / "km.yaml"
    path.write_text(yaml.safe_dump({"executor": executor, "connections": []}), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}: executor")


def test_k8s_without_dagster_k8s_says_to_install_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dagster_k8s", None)  # `import dagster_k8s` now raises ImportError
    with pytest.raises(ConfigError, match=re.escape("install km_assets[k8s]")):
        executor_definition(ExecutorSettings(kind="k8s"))


# --- the Helm values: the instance the chart writes from them ------------------------------------------

# chart key of runLauncher.config.k8sRunLauncher -> K8sRunLauncher config key (the chart's template)
_LAUNCHER_KEYS = {
    "imagePullPolicy": "image_pull_policy", "jobNamespace": "job_namespace",
    "loadInclusterConfig": "load_incluster_config", "kubeconfigFile": "kubeconfig_file",
    "envConfigMaps": "env_config_maps", "envSecrets": "env_secrets", "envVars": "env_vars",
    "volumeMounts": "volume_mounts", "volumes": "volumes", "labels": "labels", "resources": "resources",
    "failPodOnRunFailure": "fail_pod_on_run_failure", "schedulerName": "scheduler_name",
    "securityContext": "security_context",
}
_QUEUED_KEYS = {"maxConcurrentRuns": "max_concurrent_runs", "tagConcurrencyLimits": "tag_concurrency_limits",
                "dequeueIntervalSeconds": "dequeue_interval_seconds", "dequeueUseThreads": "dequeue_use_threads",
                "dequeueNumWorkers": "dequeue_num_workers"}
_POOL_KEYS = {"defaultLimit": "default_limit", "granularity": "granularity",
              "opGranularityRunBuffer": "op_granularity_run_buffer"}
_RUNS_KEYS = {"maxConcurrentRuns": "max_concurrent_runs", "tagConcurrencyLimits": "tag_concurrency_limits"}


def _names(refs: list[dict]) -> list[str]:
    return [ref["name"] for ref in refs or [] if ref.get("name")]


def _instance_from_values(values: dict) -> dict:
    """The dagster.yaml sections the chart writes from these values (the parts we set)."""
    launcher_values = _launcher(values)
    unknown = set(launcher_values) - set(_LAUNCHER_KEYS)
    assert not unknown, f"not keys of the chart's runLauncher.config.k8sRunLauncher: {sorted(unknown)}"
    launcher = {"job_namespace": "km", "service_account_name": "dagster", "dagster_home": "/opt/dagster/dagster_home",
                "instance_config_map": "dagster-instance", "postgres_password_secret": values["global"]["postgresqlSecretName"]}
    for key, value in launcher_values.items():
        if key in ("envSecrets", "envConfigMaps"):
            value = _names(value)
        if value not in (None, [], {}, ""):
            launcher[_LAUNCHER_KEYS[key]] = value
    instance = {"run_launcher": {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": launcher}}

    pg = values["postgresql"]
    storage = {"postgres_db": {"username": pg["postgresqlUsername"], "password": {"env": "DAGSTER_PG_PASSWORD"},
                               "hostname": pg["postgresqlHost"], "db_name": pg["postgresqlDatabase"],
                               "port": pg["service"]["port"], "params": pg.get("postgresqlParams", {})}}
    for section, module, cls in (("run_storage", "dagster_postgres.run_storage", "PostgresRunStorage"),
                                 ("event_log_storage", "dagster_postgres.event_log", "PostgresEventLogStorage"),
                                 ("schedule_storage", "dagster_postgres.schedule_storage", "PostgresScheduleStorage")):
        instance[section] = {"module": module, "class": cls, "config": storage}

    concurrency = values.get("concurrency", {})
    enabled = bool(concurrency.get("enabled"))
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    if coordinator["enabled"]:
        assert coordinator["type"] == "QueuedRunCoordinator"
        queued_values = coordinator["config"]["queuedRunCoordinator"] or {}
        unknown = set(queued_values) - set(_QUEUED_KEYS)
        assert not unknown, f"not keys of the chart's queuedRunCoordinator: {sorted(unknown)}"
        queued = {_QUEUED_KEYS[k]: v for k, v in queued_values.items() if v not in (None, [])}
        if queued and not enabled:
            queued.setdefault("max_concurrent_runs", -1)  # the chart's default when it writes a config
        instance["run_coordinator"] = {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator",
                                       **({"config": queued} if queued else {})}
    if enabled:
        section = {}
        pools = {_POOL_KEYS[k]: v for k, v in (concurrency.get("pools") or {}).items() if v is not None}
        runs = {_RUNS_KEYS[k]: v for k, v in (concurrency.get("runs") or {}).items() if v not in (None, [])}
        if pools:
            section["pools"] = pools
        if runs:
            section["runs"] = runs
        instance["concurrency"] = section
    instance["telemetry"] = {"enabled": bool(values.get("telemetry", {}).get("enabled", True))}
    return instance


def instance_problems(values: dict) -> list[str]:
    """What Dagster would refuse in the instance these values make."""
    problems: list[str] = []
    try:
        instance = _instance_from_values(values)
    except AssertionError as err:
        return [str(err)]
    checked = validate_config(dagster_instance_config_schema(), instance)
    problems += [f"instance: {error.message}" for error in checked.errors or []]
    try:
        validate_concurrency_config(instance)
    except (dg.DagsterInvalidConfigError, CheckError) as err:  # Dagster checks these before the schema
        problems.append(f"instance concurrency: {err}")
    checked = validate_config(K8sRunLauncher.config_type(), instance["run_launcher"]["config"])
    problems += [f"run_launcher: {error.message}" for error in checked.errors or []]
    if "config" in instance.get("run_coordinator", {}):
        checked = validate_config(QueuedRunCoordinator.config_type(), instance["run_coordinator"]["config"])
        problems += [f"run_coordinator: {error.message}" for error in checked.errors or []]
    checked = validate_config(PostgresRunStorage.config_type(), instance["run_storage"]["config"])
    problems += [f"postgres: {error.message}" for error in checked.errors or []]
    return problems


_K8S_MODELS = (("volumes", kubernetes.client.V1Volume), ("volumeMounts", kubernetes.client.V1VolumeMount))


def kubernetes_object_problems(values: dict) -> list[str]:
    """Volumes, mounts, security contexts and resources must be valid Kubernetes API objects."""
    problems = []
    places = {"code location": _code_location(values), "run launcher": _launcher(values)}
    for where, block in places.items():
        for key, model in _K8S_MODELS:
            for item in block.get(key) or []:
                try:
                    k8s_snake_case_dict(model, item)
                except Exception as err:  # the kubernetes model's own complaint, reported as a problem
                    problems.append(f"{where} {key}: {err}")
        for key, model in (("securityContext", kubernetes.client.V1SecurityContext),
                           ("podSecurityContext", kubernetes.client.V1PodSecurityContext),
                           ("resources", kubernetes.client.V1ResourceRequirements)):
            if block.get(key):
                try:
                    k8s_snake_case_dict(model, block[key])
                except Exception as err:
                    problems.append(f"{where} {key}: {err}")
    return problems


def test_values_make_an_instance_dagster_accepts():
    values = _values()
    assert instance_problems(values) == []
    assert kubernetes_object_problems(values) == []
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    instance = _instance_from_values(values)
    assert instance["concurrency"]["runs"]["max_concurrent_runs"] >= 1
    assert instance["concurrency"]["pools"]["default_limit"] >= 1


def _mutated(change) -> dict:
    values = copy.deepcopy(_values())
    change(values)
    return values


@pytest.mark.parametrize(("change", "expected"), [
    # the chart would write max_concurrent_runs twice: Dagster refuses that instance
    (lambda v: v["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"].update(maxConcurrentRuns=5),
     "incompatible with the `concurrency > runs` config"),
    (lambda v: v["concurrency"]["pools"].update(granularity="step"), "granularity"),
    (lambda v: v["concurrency"]["pools"].update(defaultLimit="four"), "default_limit"),
    (lambda v: _launcher(v).update(envSecret=[{"name": "km-confluence"}]), "envSecret"),
    (lambda v: _launcher(v).update(envVars="KM_CONFIG=/etc/km/km.yaml"), "env_vars"),
    (lambda v: v["postgresql"]["service"].update(port="five"), "port"),
])
def test_instance_check_finds_what_dagster_would_refuse(change, expected):
    problems = instance_problems(_mutated(change))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("change", [
    lambda v: _code_location(v)["volumes"][0].update(configmap={"name": "km-config"}),
    lambda v: _launcher(v)["volumeMounts"][0].update(mount_point="/etc/km"),
    lambda v: _launcher(v)["securityContext"].update(runAsNonroot=True),
])
def test_kubernetes_object_check_finds_misspelt_fields(change):
    assert kubernetes_object_problems(_mutated(change))


def pool_problems(values: dict, config: KmConfig) -> list[str]:
    """A connection that divides its rate by its pool's slots needs a pool limit on the instance."""
    instance = _instance_from_values(values)
    default_limit = instance.get("concurrency", {}).get("pools", {}).get("default_limit")
    return [f"connection {c.name!r}: rate_limit.shared is pool, but the values give pools no defaultLimit"
            for c in config.connections if getattr(c.rate_limit, "shared", None) == "pool" and not default_limit]


def test_every_pooled_connection_has_pool_slots():
    config = _deploy_config()
    assert any(getattr(c.rate_limit, "shared", None) == "pool" for c in config.connections)
    assert pool_problems(_values(), config) == []
    assert pool_problems(_mutated(lambda v: v["concurrency"]["pools"].pop("defaultLimit")), config)
    assert pool_problems(_mutated(lambda v: v["concurrency"].update(enabled=False)), config)


# --- secrets: from Kubernetes Secrets only ---------------------------------------------------------------


def guide_secrets(guide: str) -> dict[str, dict[str, str]]:
    """`kubectl create secret generic NAME --from-literal=KEY=VALUE ...` in the guide: name -> {key: value}."""
    joined = guide.replace("\\\n", " ")
    secrets: dict[str, dict[str, str]] = {}
    for line in joined.splitlines():
        if "create secret generic" not in line:
            continue
        words = shlex.split(line, posix=False)
        name = words[words.index("generic") + 1]
        keys = {}
        for word in words:
            if word.startswith("--from-literal="):
                key, _, value = word.removeprefix("--from-literal=").partition("=")
                keys[key] = value
        secrets[name] = keys
    return secrets


_SECRET_NAME = re.compile(r"TOKEN|PASSWORD|SECRET|ACCESS_KEY|_PAT$|CREDENTIAL", re.IGNORECASE)
_TOKEN_SHAPES = (
    re.compile(r"ATATT[A-Za-z0-9_\-=]{20,}"),  # Atlassian API token
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
)
_OPAQUE = re.compile(r"[A-Za-z0-9+/_=-]{32,}")  # long strings, kept when they mix cases and digits


def _looks_random(word: str) -> bool:
    return (any(c.isupper() for c in word) and any(c.islower() for c in word) and any(c.isdigit() for c in word)
            and len(set(word)) >= 12)


def secret_problems(values: dict, config: KmConfig, guide: str, texts: dict[str, str]) -> list[str]:
    problems = []
    code_location, launcher = _code_location(values), _launcher(values)
    location_secrets, launcher_secrets = set(_names(code_location.get("envSecrets"))), set(_names(launcher.get("envSecrets")))
    if location_secrets != launcher_secrets:
        problems.append(f"the run pods get other Secrets ({sorted(launcher_secrets)}) than the code location "
                        f"({sorted(location_secrets)})")
    created = guide_secrets(guide)
    for secret, keys in created.items():
        for key, value in keys.items():
            if not re.fullmatch(r'"?\$\{?[A-Za-z_][A-Za-z0-9_]*\}?"?', value):
                problems.append(f"the guide's secret {secret} gets {key} from a literal, not a shell variable")
    for name in sorted(_needed_env(config)):
        holders = [s for s, keys in created.items() if name in keys]
        if not holders:
            problems.append(f"{name}: no `kubectl create secret generic` in the guide provides it")
        elif not set(holders) & location_secrets & launcher_secrets:
            problems.append(f"{name}: its Secret {holders} is not in the envSecrets of the code location and the "
                            "run launcher")
    pg_secret = values["global"]["postgresqlSecretName"]
    if values.get("generatePostgresqlPasswordSecret", True):
        problems.append("generatePostgresqlPasswordSecret is not false: the chart would make the database "
                        "password Secret from a value in the values")
    if PG_PASSWORD_KEY not in created.get(pg_secret, {}):
        problems.append(f"the guide does not create {pg_secret} with the key {PG_PASSWORD_KEY}")
    problems += [f"values: {p}" for p in _literal_secrets(values, "")]
    for name, text in texts.items():
        found = [w for shape in _TOKEN_SHAPES for w in shape.findall(text)]
        found += [w for w in _OPAQUE.findall(text) if _looks_random(w)]
        problems += [f"{name}: looks like a literal token: {word[:6]}..." for word in found]
    return problems


def _literal_secrets(node: object, where: str) -> list[str]:
    """Values, env entries and KEY=VALUE strings whose name says secret and that hold a literal."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("name"), str) and "value" in node and _SECRET_NAME.search(node["name"]):
            found.append(f"{where}: env {node['name']} has a literal value")
        for key, value in node.items():
            here = f"{where}.{key}" if where else str(key)
            literal = isinstance(value, str | int | float) and not isinstance(value, bool)
            if literal and _SECRET_NAME.search(str(key)) and not str(key).endswith("SecretName"):
                found.append(f"{here}: a literal value")
            found += _literal_secrets(value, here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            here = f"{where}[{i}]"
            if isinstance(item, str) and "=" in item and _SECRET_NAME.search(item.partition("=")[0]):
                found.append(f"{here}: {item.partition('=')[0]} has a literal value")
            found += _literal_secrets(item, here)
    return found


def _texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in (VALUES, KM_YAML, DOCKERFILE, GUIDE)}


def test_every_secret_comes_from_a_kubernetes_secret_and_none_is_written_down():
    config = _deploy_config()
    assert "CONFLUENCE_API_TOKEN" in _needed_env(config)
    assert secret_problems(_values(), config, GUIDE.read_text(encoding="utf-8"), _texts()) == []


@pytest.mark.parametrize(("change", "guide_change", "expected"), [
    (lambda v: _launcher(v).update(envSecrets=[{"name": "km-object-storage"}]), None, "CONFLUENCE_API_TOKEN"),
    (lambda v: _code_location(v)["env"].append({"name": "CONFLUENCE_API_TOKEN", "value": "x"}), None,
     "env CONFLUENCE_API_TOKEN has a literal value"),
    (lambda v: _launcher(v)["envVars"].append("AWS_SECRET_ACCESS_KEY=abc"), None, "AWS_SECRET_ACCESS_KEY has a literal"),
    (lambda v: v["postgresql"].update(postgresqlPassword="hunter2"), None, "postgresql.postgresqlPassword: a literal"),
    (lambda v: v.update(generatePostgresqlPasswordSecret=True), None, "generatePostgresqlPasswordSecret"),
    (None, lambda g: g.replace('CONFLUENCE_API_TOKEN="$CONFLUENCE_API_TOKEN"', "CONFLUENCE_API_TOKEN=abc123"),
     "from a literal"),
    (None, lambda g: g.replace("--from-literal=CONFLUENCE_API_TOKEN=", "--from-literal=CONFLUENCE_TOKEN="),
     "CONFLUENCE_API_TOKEN: no `kubectl create secret generic`"),
    (None, lambda g: g + "\nexport CONFLUENCE_API_TOKEN=ATATT3xFfGF0aBcDeFgHiJkLmNoPqRsTuVwXyZ\n", "literal token"),
])
def test_secret_check_finds_leaks_and_gaps(change, guide_change, expected):
    values = _mutated(change) if change else _values()
    guide = GUIDE.read_text(encoding="utf-8")
    texts = _texts()
    if guide_change:
        guide = guide_change(guide)
        texts[GUIDE.name] = guide
    problems = secret_problems(values, _deploy_config(), guide, texts)
    assert any(expected in problem for problem in problems), problems


# --- the Dockerfile ------------------------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\s*\n", " ", "\n".join(lines))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
            for line in (raw.strip() for raw in joined.splitlines()) if line]


def dockerfile_problems(text: str, values: dict) -> list[str]:
    problems = []
    instructions = dockerfile_instructions(text)
    froms = [i for i, (op, _) in enumerate(instructions) if op == "FROM"]
    if not froms:
        return ["no FROM"]
    for i in froms:
        if not instructions[i][1].split()[0].startswith("python:3.11-slim"):
            problems.append(f"FROM {instructions[i][1]}: not python:3.11-slim")
    if not any(op == "COPY" and "uv.lock" in args.split() for op, args in instructions):
        problems.append("uv.lock is not copied into the build")
    syncs = [args for op, args in instructions if op == "RUN" and "uv sync" in args]
    if not syncs:
        problems.append("no `uv sync`")
    for args in syncs:
        command = args.split("&&")[0].split()
        for flag in ("--locked", "--no-dev"):
            if flag not in command:
                problems.append(f"`uv sync` without {flag}")
        extras = {command[i + 1] for i, word in enumerate(command[:-1]) if word == "--extra"}
        if not {"k8s", "s3"} <= extras:
            problems.append(f"`uv sync` installs extras {sorted(extras)}, not k8s and s3")
    final = instructions[froms[-1]:]
    users = [args.split(":")[0].strip() for op, args in final if op == "USER"]
    if not users:
        problems.append("the image runs as root (no USER in the final stage)")
    elif users[-1] in ("root", "0"):
        problems.append(f"the image runs as root (USER {users[-1]})")
    elif users[-1] != str(_code_location(values)["podSecurityContext"]["runAsUser"]):
        problems.append(f"USER {users[-1]} is not the values' runAsUser")
    commands = [args for op, args in final if op in ("CMD", "ENTRYPOINT")]
    command = " ".join(commands)
    port = str(_code_location(values)["port"])
    if not re.search(r'"code-server",\s*"start"|"api",\s*"grpc"', command):
        problems.append("the command does not serve a code location (dagster code-server start / api grpc)")
    if '"km_assets.definitions"' not in command:
        problems.append("the command does not load km_assets.definitions")
    if f'"-p", "{port}"' not in command or not any(op == "EXPOSE" and port in args.split() for op, args in final):
        problems.append(f"the code server does not listen on and expose port {port}")
    env = " ".join(args for op, args in final if op == "ENV")
    km_config = next(e["value"] for e in _code_location(values)["env"] if e["name"] == "KM_CONFIG")
    if f"KM_CONFIG={km_config}" not in env:
        problems.append(f"KM_CONFIG is not {km_config} in the image")
    return problems


def test_dockerfile_installs_from_the_lock_and_runs_as_non_root():
    values = _values()
    assert dockerfile_problems(DOCKERFILE.read_text(encoding="utf-8"), values) == []
    # The chart serves the module the image serves, with the km.yaml the ConfigMap mounts.
    deployment = _code_location(values)
    assert deployment["codeServerArgs"] == ["-m", "km_assets.definitions"]
    km_config = next(e["value"] for e in deployment["env"] if e["name"] == "KM_CONFIG")
    assert f"KM_CONFIG={km_config}" in _launcher(values)["envVars"]
    for block in (deployment, _launcher(values)):
        mounts = {m["name"]: m["mountPath"] for m in block["volumeMounts"]}
        volumes = {v["name"]: v for v in block["volumes"]}
        assert Path(km_config).parent.as_posix() == mounts["km-config"]
        assert volumes["km-config"]["configMap"]["name"] == "km-config"
    assert "create configmap km-config --from-file=km.yaml=deploy/km.yaml" in GUIDE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("uv sync --locked --extra k8s --extra s3 --no-dev --no-editable", "uv sync --extra k8s --extra s3 --no-dev --no-editable",
     "without --locked"),
    ("--extra k8s --extra s3 --no-dev --no-editable", "--extra s3 --no-dev --no-editable", "not k8s and s3"),
    ("--no-dev --no-install-project", "--no-install-project", "without --no-dev"),
    ("USER 10001:10001", "", "runs as root (no USER"),
    ("USER 10001:10001", "USER root", "runs as root (USER root)"),
    ("USER 10001:10001", "USER 0", "runs as root (USER 0)"),
    ("FROM python:3.11-slim AS build", "FROM python:3.12-slim AS build", "not python:3.11-slim"),
    ("COPY pyproject.toml uv.lock README.md ./", "COPY pyproject.toml README.md ./", "uv.lock is not copied"),
    ('"-m", "km_assets.definitions"]', '"-m", "km_assets.other"]', "does not load km_assets.definitions"),
    ("EXPOSE 3030", "EXPOSE 4000", "port 3030"),
    ("KM_CONFIG=/etc/km/km.yaml", "KM_CONFIG=/app/km.yaml", "KM_CONFIG is not /etc/km/km.yaml"),
])
def test_dockerfile_check_finds_each_mistake(old, new, expected):
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert old in text
    problems = dockerfile_problems(text.replace(old, new), _values())
    assert any(expected in problem for problem in problems), problems
