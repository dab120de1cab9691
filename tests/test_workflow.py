"""The GitHub Actions workflows: valid against GitHub's schema, and publishing only what they should.

Validation is offline: check-jsonschema carries a vendored copy of the
workflow schema (``--builtin-schema vendor.github-workflows``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SITE_WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"

# A push to main deploys; nothing else may.
EVENTS = [
    ("push", "refs/heads/main", True),
    ("push", "refs/heads/dev", False),
    ("pull_request", "refs/pull/1/merge", False),
    ("workflow_dispatch", "refs/heads/main", False),
    ("schedule", "refs/heads/main", False),
]


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    """Run check-jsonschema against GitHub's workflow schema, as in the venv that runs the tests."""
    script = Path(sys.executable).parent / "check-jsonschema"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "check_jsonschema"]
    return subprocess.run(
        [*command, "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )


def load(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def evaluate(expression: str, event_name: str, ref: str) -> bool:
    """Evaluate a GitHub `if:` expression built from github.event_name, github.ref, ==, !=, &&, || and ()."""
    expression = expression.strip()
    if expression.startswith("${{") and expression.endswith("}}"):
        expression = expression[3:-2]
    context = {"github.event_name": event_name, "github.ref": ref}
    tokens = re.findall(r"\s*(github\.[a-z_]+|'[^']*'|==|!=|&&|\|\||\(|\)|\S+)", expression)
    python: list[str] = []
    for token in tokens:
        if token in context:
            python.append(repr(context[token]))
        elif token.startswith("'"):
            python.append(repr(token[1:-1]))
        elif token in {"==", "!=", "(", ")"}:
            python.append(token)
        elif token in {"&&", "||"}:
            python.append("and" if token == "&&" else "or")
        else:
            raise AssertionError(f"unsupported token {token!r} in if: {expression!r}")
    return bool(eval(" ".join(python), {"__builtins__": {}}, {}))  # noqa: S307 - tokens are whitelisted above


def test_there_are_workflows() -> None:
    assert SITE_WORKFLOW in WORKFLOWS


@pytest.mark.process
@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_matches_github_schema(path: Path) -> None:
    result = validate(path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.process
def test_the_validator_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text('on: push\njobs: {build: {runs-on: 3, steps: "x"}}\n', encoding="utf-8")
    result = validate(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Schema validation errors" in result.stdout
    assert "runs-on" in result.stdout


def test_the_evaluator_reads_the_expressions_it_is_given() -> None:
    assert evaluate("github.event_name == 'push' && github.ref == 'refs/heads/main'", "push", "refs/heads/main")
    assert not evaluate("${{ github.event_name != 'push' || github.ref == 'x' }}", "push", "y")
    with pytest.raises(AssertionError, match="unsupported"):
        evaluate("always()", "push", "refs/heads/main")


def test_every_build_and_check_uses_imagenet_weights() -> None:
    steps = load(SITE_WORKFLOW)["jobs"]["build"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    building = [run for run in runs if re.search(r"generator build|\bmake site\b", run)]
    checking = [run for run in runs if "generator check" in run]
    assert building and checking, runs
    for run in building + checking:
        assert re.search(r"--weights[ =]imagenet\b", run), run
    assert not any(re.search(r"--weights[ =](random|auto)\b", run) for run in runs), runs
    assert any(run.strip() == "make test" for run in runs), runs  # the README's test command


def test_builds_on_push_pull_request_and_dispatch() -> None:
    on = load(SITE_WORKFLOW)["on"]
    assert set(on) == {"push", "pull_request", "workflow_dispatch"}
    assert on["push"]["branches"] == ["main"]


@pytest.mark.parametrize(("event_name", "ref", "deploys"), EVENTS)
def test_only_a_push_to_main_deploys(event_name: str, ref: str, deploys: bool) -> None:
    workflow = load(SITE_WORKFLOW)
    deploy = workflow["jobs"]["deploy"]
    upload = next(step for step in workflow["jobs"]["build"]["steps"]
                  if str(step.get("uses", "")).startswith("actions/upload-pages-artifact@"))
    assert evaluate(deploy["if"], event_name, ref) is deploys
    assert evaluate(upload["if"], event_name, ref) is deploys


def test_deploy_job_shape() -> None:
    workflow = load(SITE_WORKFLOW)
    assert workflow["permissions"] == {"contents": "read"}
    assert "concurrency" in workflow
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]
    assert "permissions" not in workflow["jobs"]["build"], "the build job keeps contents: read only"
