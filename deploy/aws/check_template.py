#!/usr/bin/python3
"""Checks kura's CloudFormation template and task definitions offline.

    deploy/aws/check_template.py [--kura build/kura] [TEMPLATE [TASKDEF.json ...]]

- every Ref, GetAtt, Sub variable, DependsOn and Condition names a resource,
  parameter, condition or pseudo parameter the template defines;
- every parameter and condition is used (a leftover one is usually a typo
  elsewhere);
- every KURA_* name a container is given is one of kura's configuration keys.
  The binary is asked (it stops with "unknown environment variable" for any
  other); src/core/config.c's key table is read as well, and both must agree.

Prints one line per problem and exits 1, or prints "ok" and exits 0. Needs
only Debian's python3-yaml."""
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PSEUDO = {"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
          "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}
# Short-form tags and the long form they stand for.
TAGS = {"Ref": "Ref", "Condition": "Condition"}
TAGS.update({t: "Fn::" + t for t in (
    "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAtt", "GetAZs", "If", "ImportValue",
    "Join", "Not", "Or", "Select", "Split", "Sub", "Transform", "Length", "ToJsonString")})


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns !Tag nodes into CloudFormation's long form."""


def _construct(loader, tag_suffix, node):
    key = TAGS.get(tag_suffix)
    if key is None:
        raise yaml.constructor.ConstructorError(None, None, f"unknown tag !{tag_suffix}",
                                                node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if key == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


CfnLoader.add_multi_constructor("!", _construct)


def load_template(path):
    with open(path) as f:
        return yaml.load(f, Loader=CfnLoader)


def _sub_names(text):
    """Variables of a Fn::Sub string: ${Name} or ${Name.Attr}; ${!x} is literal."""
    return [m for m in re.findall(r"\$\{([^}!][^}]*)\}", text)]


def check_references(tpl):
    errors = []
    params = set(tpl.get("Parameters") or {})
    resources = set(tpl.get("Resources") or {})
    conditions = set(tpl.get("Conditions") or {})
    used_params, used_conditions = set(), set()

    def ref(name, where, sub_locals=()):
        if name in sub_locals or name in PSEUDO:
            return
        if name in params:
            used_params.add(name)
        elif name not in resources:
            errors.append(f"{where}: Ref to undefined '{name}'")

    def getatt(target, where):
        if not isinstance(target, list) or len(target) != 2:
            errors.append(f"{where}: malformed GetAtt {target!r}")
        elif target[0] not in resources:
            errors.append(f"{where}: GetAtt on undefined resource '{target[0]}'")

    def condition(name, where):
        if name in conditions:
            used_conditions.add(name)
        else:
            errors.append(f"{where}: undefined condition '{name}'")

    def walk(node, where):
        if isinstance(node, dict):
            if len(node) == 1:
                (k, v), = node.items()
                if k == "Ref":
                    ref(v, where)
                    return
                if k == "Fn::GetAtt":
                    getatt(v, where)
                    return
                if k == "Fn::Sub":
                    text, local = (v, {}) if isinstance(v, str) else (v[0], v[1])
                    for name in _sub_names(text):
                        base = name.split(".", 1)[0]
                        if "." in name and base not in local:
                            getatt(name.split(".", 1), where)
                        else:
                            ref(base, where, local)
                    walk(local, where)
                    return
                if k == "Fn::If":
                    condition(v[0], where)
                    walk(v[1:], where)
                    return
                if k == "Condition" and isinstance(v, str):
                    condition(v, where)
                    return
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    for name, res in (tpl.get("Resources") or {}).items():
        where = f"Resources.{name}"
        if "Type" not in res:
            errors.append(f"{where}: no Type")
        deps = res.get("DependsOn", [])
        for d in [deps] if isinstance(deps, str) else deps:
            if d not in resources:
                errors.append(f"{where}.DependsOn: undefined resource '{d}'")
        if "Condition" in res:
            condition(res["Condition"], where)
        walk(res.get("Properties", {}), where)
    for section in ("Conditions", "Outputs"):
        for name, body in (tpl.get(section) or {}).items():
            if section == "Outputs" and "Condition" in body:
                condition(body["Condition"], f"{section}.{name}")
            walk(body, f"{section}.{name}")
    errors += [f"Parameters.{p}: never used" for p in sorted(params - used_params)]
    errors += [f"Conditions.{c}: never used" for c in sorted(conditions - used_conditions)]
    return errors


def template_env_names(tpl):
    """(where, name) of every container Environment and Secrets entry."""
    out = []
    for rname, res in (tpl.get("Resources") or {}).items():
        if res.get("Type") != "AWS::ECS::TaskDefinition":
            continue
        for c in res.get("Properties", {}).get("ContainerDefinitions", []):
            for section in ("Environment", "Secrets"):
                for e in c.get(section, []):
                    out.append((f"Resources.{rname}.{c.get('Name')}.{section}", e.get("Name")))
    return out


def taskdef_env_names(path):
    with open(path) as f:
        td = json.load(f)
    out = []
    for c in td.get("containerDefinitions", []):
        for section in ("environment", "secrets"):
            for e in c.get(section, []):
                out.append((f"{path}:{c.get('name')}.{section}", e.get("name")))
    return out


def config_c_keys(path=REPO / "src" / "core" / "config.c"):
    """KURA_* names from the key table in config.c (plus KURA_CONFIG)."""
    text = Path(path).read_text()
    table = re.search(r"config_keys\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    if not table:
        raise RuntimeError(f"no config_keys table in {path}")
    keys = re.findall(r'\{\s*"([a-z_]+)"', table.group(1))
    return {"KURA_" + k.upper() for k in keys} | {"KURA_CONFIG"}


def binary_rejects(kura, name):
    """True when the binary stops on name as an unknown environment variable."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": "/usr/bin:/bin", "KURA_DATA_DIR": tmp, "KURA_LISTEN": "127.0.0.1:1",
               name: "x"}
        if name == "KURA_CONFIG":
            return False
        r = subprocess.run([kura, "healthcheck"], env=env, capture_output=True, text=True,
                           timeout=30)
        return "unknown environment variable" in r.stderr


def check_env_names(named, kura=None, config_c=None):
    """named: (where, name) pairs. Only KURA_* names are kura's to judge."""
    errors = []
    keys = config_c_keys(config_c) if config_c else config_c_keys()
    asked = {}
    for where, name in named:
        if not isinstance(name, str) or not name.startswith("KURA_"):
            continue
        if name not in keys:
            errors.append(f"{where}: {name} is not a key in src/core/config.c")
        if kura:
            if name not in asked:
                asked[name] = binary_rejects(kura, name)
            if asked[name]:
                errors.append(f"{where}: {name} is rejected by {kura} as unknown")
    return errors


def main(argv):
    kura = None
    if len(argv) > 1 and argv[0] == "--kura":
        kura, argv = argv[1], argv[2:]
    elif os.access(REPO / "build" / "kura", os.X_OK):
        kura = str(REPO / "build" / "kura")
    template = argv[0] if argv else str(HERE / "kura.yaml")
    taskdefs = argv[1:] if len(argv) > 1 else [str(HERE / "ecs-task-definition.json")]
    tpl = load_template(template)
    named = template_env_names(tpl)
    for td in taskdefs:
        named += taskdef_env_names(td)
    errors = check_references(tpl) + check_env_names(named, kura)
    for e in errors:
        print(e)
    if not errors:
        print(f"ok: {template} and {', '.join(taskdefs)}"
              f" ({len(tpl.get('Resources', {}))} resources, {len(named)} container variables)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
