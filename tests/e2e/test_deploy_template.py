"""The deployment files against kura itself: the CloudFormation template's
references, every KURA_* name a deployment sets against the binary's own
configuration keys, the Dockerfile against the image root script and a
Dockerfile linter from npm, the systemd unit against systemd-analyze.

deploy/aws/check_template.py does the template work; these tests run it on
the real files and on deliberately broken copies."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KURA_BIN, ROOT

AWS = ROOT / "deploy" / "aws"
TEMPLATE = AWS / "kura.yaml"
TASKDEF = AWS / "ecs-task-definition.json"
CHECKER = AWS / "check_template.py"
DOCKERFILELINT = "dockerfilelint@1.8.0"

_spec = importlib.util.spec_from_file_location("check_template", CHECKER)
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


def kura_bin():
    b = Path(KURA_BIN)
    if not b.exists():
        pytest.skip(f"{b} is not built")
    return str(b)


def run_checker(*args):
    return subprocess.run([sys.executable, str(CHECKER), "--kura", kura_bin(), *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_template_and_task_definition_pass():
    r = run_checker(TEMPLATE, TASKDEF)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok:")


def test_template_has_what_the_deployment_needs():
    tpl = check.load_template(TEMPLATE)
    types = [r["Type"] for r in tpl["Resources"].values()]
    for t in ("AWS::EC2::VPC", "AWS::EC2::VPCEndpoint", "AWS::ElasticLoadBalancingV2::Listener",
              "AWS::ECS::Service", "AWS::EFS::AccessPoint", "AWS::RDS::DBCluster",
              "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"):
        assert t in types, t
    services = {r["Properties"]["ServiceName"]["Fn::Sub"].split("${AWS::Region}.")[1]
                for r in tpl["Resources"].values() if r["Type"] == "AWS::EC2::VPCEndpoint"}
    assert services == {"s3", "ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssmmessages",
                        "email-smtp"}
    tg = next(r["Properties"] for r in tpl["Resources"].values()
              if r["Type"] == "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert tg["HealthCheckPath"] == "/-/readiness"
    ap = next(r["Properties"] for r in tpl["Resources"].values()
              if r["Type"] == "AWS::EFS::AccessPoint")
    assert ap["PosixUser"] == {"Uid": "10001", "Gid": "10001"}
    container = next(r["Properties"]["ContainerDefinitions"][0]
                     for r in tpl["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition")
    # Secrets never sit in the template as plain environment values.
    env = {e["Name"] for e in container["Environment"]}
    secrets = {e["Name"] for e in container["Secrets"]}
    assert {"KURA_DATABASE_URL", "KURA_SMTP_PASSWORD"} <= secrets
    assert not env & secrets
    assert container["HealthCheck"]["Command"] == ["CMD", "/usr/local/bin/kura", "healthcheck"]
    for o in ("ExternalUrl", "VpcCidr", "VpcId", "PrivateSubnetIds", "ConnectionsSecurityGroupId"):
        assert o in tpl["Outputs"], o


@pytest.mark.parametrize("old,new,expect", [
    ("!Ref TaskSecurityGroup", "!Ref TaskSecurityGrup", "Ref to undefined 'TaskSecurityGrup'"),
    ("!GetAtt LoadBalancer.DNSName", "!GetAtt LoadBalancr.DNSName",
     "GetAtt on undefined resource 'LoadBalancr'"),
    ("${DatabaseCluster.Endpoint.Address}", "${DatabaseClustr.Endpoint.Address}",
     "GetAtt on undefined resource 'DatabaseClustr'"),
    ('"https://${DomainName}"', '"https://${DomainNam}"', "Ref to undefined 'DomainNam'"),
    ("Condition: HasHostedZone", "Condition: HasHostedZon", "undefined condition 'HasHostedZon'"),
    ("DependsOn: [HttpsListener,", "DependsOn: [HttpListener,",
     "undefined resource 'HttpListener'"),
    ("Name: KURA_SMTP_FROM,", "Name: KURA_SMTP_SENDER,", "KURA_SMTP_SENDER is rejected by"),
    ("Value: !Ref LogLevel}", "Value: info}", "Parameters.LogLevel: never used"),
])
def test_a_broken_copy_of_the_template_fails(tmp_path, old, new, expect):
    text = TEMPLATE.read_text()
    assert old in text
    broken = tmp_path / "kura.yaml"
    broken.write_text(text.replace(old, new, 1))
    r = run_checker(broken, TASKDEF)
    assert r.returncode == 1
    assert expect in r.stdout, r.stdout


def test_a_broken_task_definition_fails(tmp_path):
    broken = tmp_path / "td.json"
    broken.write_text(TASKDEF.read_text().replace('"KURA_LOG_LEVEL"', '"KURA_LOGLEVEL"'))
    r = run_checker(TEMPLATE, broken)
    assert r.returncode == 1
    assert "KURA_LOGLEVEL is not a key in src/core/config.c" in r.stdout
    assert "KURA_LOGLEVEL is rejected by" in r.stdout


def test_binary_and_config_c_agree_on_the_keys():
    keys = check.config_c_keys()
    assert {"KURA_LISTEN", "KURA_DATA_DIR", "KURA_DATABASE_URL", "KURA_SMTP_PASSWORD"} <= keys
    for k in keys:
        assert not check.binary_rejects(kura_bin(), k), k
    assert check.binary_rejects(kura_bin(), "KURA_NOT_A_KEY")


def _env_lines(path, pattern):
    return [(str(path), m) for m in re.findall(pattern, path.read_text())]


def test_every_other_deployment_file_uses_known_keys():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    named = [("docker-compose.yml", n) for svc in compose["services"].values()
             for n in (svc.get("environment") or {})]
    named += _env_lines(ROOT / "deploy" / "systemd" / "kura.service",
                        r"(?m)^Environment=(KURA_[A-Z_]+)=")
    named += _env_lines(ROOT / "Dockerfile", r"\b(KURA_[A-Z_]+)=")
    # The guide shows one misspelt name being refused: that one must be refused.
    doc = ROOT / "docs" / "deploy.md"
    refused = set(re.findall(r"unknown environment variable (KURA_[A-Z_]+)", doc.read_text()))
    assert refused and all(check.binary_rejects(kura_bin(), n) for n in refused)
    named += [(w, n) for w, n in _env_lines(doc, r"\b(KURA_[A-Z_]+)\b") if n not in refused]
    assert len([n for _, n in named if n.startswith("KURA_")]) > 10
    assert check.check_env_names(named, kura_bin()) == []


def test_dockerfile_builds_the_root_the_tests_run():
    df = (ROOT / "Dockerfile").read_text()
    assert "scripts/build-rootfs --binary build/kura /rootfs" in df
    assert "FROM scratch" in df and "COPY --from=build /rootfs/ /" in df
    script = (ROOT / "scripts" / "build-rootfs").read_text()
    uid = re.search(r"KURA_UID=(\d+)", script).group(1)
    assert f"USER {uid}:{uid}" in df
    assert 'CMD ["/usr/local/bin/kura", "healthcheck"]' in df
    for line in ("VOLUME /data", "EXPOSE 8080", "STOPSIGNAL SIGTERM"):
        assert line in df
    # The build stage installs the -dev packages scripts/bootstrap builds with.
    boot = (ROOT / "scripts" / "bootstrap").read_text()
    dev = set(re.findall(r"\b(lib[a-z0-9-]+-dev)\b", boot)) - {"libcmocka-dev"}
    assert dev <= set(re.findall(r"\b(lib[a-z0-9-]+-dev)\b", df))
    # .dockerignore keeps what the build reads.
    ignore = (ROOT / ".dockerignore").read_text().split()
    for keep in ("!meson.build", "!meson_options.txt", "!src/", "!tests/unit/",
                 "!scripts/build-rootfs"):
        assert keep in ignore


def _dockerfilelint():
    """dockerfilelint from npm, installed once under build/ (not committed)."""
    prefix = ROOT / "build" / "deploy-tools"
    exe = prefix / "node_modules" / ".bin" / "dockerfilelint"
    if exe.exists():
        return exe
    if not shutil.which("npm"):
        pytest.skip("npm is not installed: cannot fetch dockerfilelint")
    prefix.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                        "--no-save", DOCKERFILELINT], capture_output=True, text=True, timeout=300)
    if r.returncode != 0 or not exe.exists():
        pytest.skip(f"npm could not install {DOCKERFILELINT}: {r.stderr[-300:]}")
    return exe


def test_dockerfile_linter_reports_nothing():
    r = subprocess.run([str(_dockerfilelint()), str(ROOT / "Dockerfile")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "Issues: None found" in r.stdout, r.stdout + r.stderr


def test_dockerfile_linter_sees_a_broken_copy(tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text((ROOT / "Dockerfile").read_text()
                      .replace("apt-get install -y", "apt-get install")
                      .replace("EXPOSE 8080", "EXPOSE 80808"))
    r = subprocess.run([str(_dockerfilelint()), str(broken)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0 and "Issues: None found" not in r.stdout


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_unit_verifies_and_is_hardened(tmp_path):
    unit = (ROOT / "deploy" / "systemd" / "kura.service").read_text()
    for line in ("DynamicUser=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/kura",
                 "NoNewPrivileges=yes", "PrivateTmp=yes", "KillSignal=SIGTERM"):
        assert line in unit
    # verify needs the binary where ExecStart says; point it at this build.
    copy = tmp_path / "kura.service"
    copy.write_text(unit.replace("/usr/local/bin/kura", kura_bin()))
    r = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--threshold=25",
                        str(copy)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
