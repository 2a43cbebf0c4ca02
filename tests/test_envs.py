"""The conda environments in envs/: pinned like requirements.txt, named by every rule, and enough
for what each rule's script imports."""

import ast
import re
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

from conftest import REPO

ENVS = sorted((REPO / "envs").glob("*.yaml"))
RULE_FILES = sorted((REPO / "workflow/rules").glob("*.smk"))


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines) -> dict[str, str]:
    """`name==version` lines as {normalised name: version}."""
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            found[normalise(name)] = version.strip()
    return found


REQUIREMENTS = pins((REPO / "requirements.txt").read_text().splitlines())


def env_pip_pins(path: Path) -> dict[str, str]:
    spec = yaml.safe_load(path.read_text())
    pip = [d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d]
    return pins(pip[0] if pip else [])


def rules_with_scripts() -> list[tuple[str, str, str]]:
    """(rule, conda env path, script path) of every rule that runs a script, from the rule files."""
    found = []
    for path in RULE_FILES:
        blocks = re.split(r"^\s*rule\s*(\w*):", path.read_text(), flags=re.M)
        for name, body in zip(blocks[1::2], blocks[2::2], strict=True):
            if not name:  # a rule made in a loop names itself: `name: f"generate_{song}"`
                name = re.search(r"name:\s*\n\s*f?\"([^\"]+)\"", body).group(1)
            script = re.search(r"script:\s*\n\s*\"([^\"]+)\"", body)
            conda = re.search(r"conda:\s*\n\s*\"([^\"]+)\"", body)
            if script:
                found.append((name, conda and conda.group(1), script.group(1)))
    return found


RULES = rules_with_scripts()


def test_the_rules_were_found():
    assert {"train_model", "encode_shard", "generate_{song_name}"} <= {rule for rule, _, _ in RULES}


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_env_pins_agree_with_requirements(env):
    env_pins = env_pip_pins(env)
    assert env_pins, f"{env.name} pins no pip packages"
    disagree = {
        name: (version, REQUIREMENTS.get(name))
        for name, version in env_pins.items()
        if REQUIREMENTS.get(name) != version
    }
    assert not disagree, f"{env.name}: (env, requirements.txt) versions differ: {disagree}"


def test_every_required_package_is_in_some_env():
    in_envs = set().union(*(env_pip_pins(env) for env in ENVS))
    assert set(REQUIREMENTS) - {"snakemake"} <= in_envs


def imported_modules(path: Path) -> set[str]:
    """Every module that the file imports, at its top or inside a function (a lazy import)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module)
    return found


def third_party_imports(script: Path) -> set[str]:
    """Top-level names of the packages that a script needs, through the library modules it uses."""
    library = REPO / "workflow"
    needed, seen, queue = set(), set(), [script]
    while queue:
        for module in imported_modules(queue.pop()):
            top = module.split(".")[0]
            if top != "musiclstm":
                needed.add(top)
            elif module not in seen:
                seen.add(module)
                path = library / (module.replace(".", "/") + ".py")
                queue.append(
                    path if path.exists() else library / module.replace(".", "/") / "__init__.py"
                )
    return needed


@pytest.mark.parametrize("rule, env, script", RULES, ids=[rule for rule, _, _ in RULES])
def test_rule_names_an_env_with_everything_its_script_imports(rule, env, script):
    assert env, f"rule {rule} has no conda: environment"
    env_path = (REPO / "workflow/rules" / env).resolve()
    assert env_path.parent == REPO / "envs" and env_path.exists(), f"{rule}: {env} is missing"
    env_packages = set(env_pip_pins(env_path))
    needed = third_party_imports((REPO / "workflow/rules" / script).resolve())
    lacking = {
        module: sorted(distributions)
        for module, distributions in packages_distributions().items()
        if module in needed and not {normalise(d) for d in distributions} & env_packages
    }
    # Python's own modules and the packages of pinned packages come with the env.
    lacking = {m: d for m, d in lacking.items() if {normalise(x) for x in d} & set(REQUIREMENTS)}
    assert not lacking, f"rule {rule}: {env_path.name} lacks {lacking}"
