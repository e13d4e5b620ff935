"""The SQLMesh project itself: unit tests pass, the linter and the formatter are satisfied."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlglot import exp
from sqlmesh import Context

from greenery.paths import PROJECT_ROOT
from greenery.project import open_context

MARTS = {path.stem for path in (PROJECT_ROOT / "models" / "marts").rglob("*.sql")}


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return open_context(tmp_path_factory.mktemp("project") / "greenery.duckdb")


def test_sqlmesh_unit_tests_pass(context: Context) -> None:
    result = context.test()
    assert result.testsRun >= len(MARTS)
    assert result.wasSuccessful(), [str(e) for _, e in result.failures + result.errors]


def test_every_mart_has_a_unit_test() -> None:
    tested = {path.stem.removeprefix("test_") for path in (PROJECT_ROOT / "tests").rglob("*.yaml")}
    assert tested >= MARTS, f"marts without a unit test file: {sorted(MARTS - tested)}"


def test_linter_finds_nothing(context: Context) -> None:
    context.lint_models(raise_on_error=True)


def test_models_are_formatted(context: Context) -> None:
    assert context.format(check=True), "run `sqlmesh format`"


def test_every_model_states_its_metadata(context: Context) -> None:
    for model in context.models.values():
        if model.kind.is_external:
            continue
        missing = [
            field
            for field, value in {
                "owner": model.owner,
                "grain": model.grains,
                "tags": model.tags,
                "description": model.description,
                "column_descriptions": model.column_descriptions,
                # A view, whose audits would read every row in every run, may leave them to the
                # models it reads, saying so in its ignored_rules.
                "audits": model.audits
                or (model.kind.is_view and "nomissingaudits" in model.ignored_rules),
            }.items()
            if not value
        ]
        assert not missing, f"{model.name} lacks {missing}"
        assert model.cron == "@daily", model.name


def test_personal_data_is_tagged() -> None:
    personal = ("email", "phone_number", "first_name", "address")
    for path in (PROJECT_ROOT / "models").rglob("*.sql"):
        text = path.read_text()
        if any(f"  {column} = " in text for column in personal):
            assert "pii" in text.split("description", 1)[0], f"{path.name} holds personal data"


def test_every_model_casts_its_columns_in_the_final_select(context: Context) -> None:
    """As in SQLMesh's examples: the types people query are stated, never inferred."""
    for model in context.models.values():
        if model.kind.is_external:
            continue
        uncast = [
            projection.alias_or_name
            for projection in model.query.selects
            if not isinstance(projection.unalias(), exp.Cast)
        ]
        assert not uncast, f"{model.name}: cast {uncast} in the final SELECT"


def test_sqlmesh_test_runs_from_config_yaml(tmp_path: Path) -> None:
    """The plain CLI, from the project root, reads config.yaml: `sqlmesh test` passes."""
    environment = {**os.environ, "GREENERY_WAREHOUSE": str(tmp_path / "greenery.duckdb")}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "sqlmesh"), "test"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Successfully Ran" in result.stdout
