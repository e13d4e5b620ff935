"""The raw contract (ingest/schema.py) is declared once: SQLMesh's view of it is generated."""

from __future__ import annotations

import pytest
from sqlmesh import Context
from sqlmesh.utils.yaml import load as load_yaml

from ingest.contract import (
    EXTERNAL_MODELS_FILE,
    SQLMESH_TYPES,
    external_models,
    render_external_models,
)
from ingest.schema import LOAD_COLUMNS, RAW_TABLES


def test_external_models_yaml_is_generated_from_the_contract() -> None:
    assert EXTERNAL_MODELS_FILE.read_text() == render_external_models(), (
        "external_models.yaml differs from the raw contract in ingest/schema.py: "
        "run `ingest contract` to regenerate it (never edit it by hand)"
    )


def test_sqlmesh_reads_what_the_contract_declares() -> None:
    """SQLMesh's own YAML reader finds in the generated text what the contract declares."""
    assert load_yaml(render_external_models()) == external_models()


def test_every_contract_type_has_a_sqlmesh_spelling() -> None:
    types = {t for table in RAW_TABLES for t in table.columns.values()} | set(LOAD_COLUMNS.values())
    assert types <= SQLMESH_TYPES.keys()


@pytest.fixture(scope="module")
def context() -> Context:
    return Context(paths=EXTERNAL_MODELS_FILE.parent)


def test_external_models_follow_the_contract(context: Context) -> None:
    for table in RAW_TABLES:
        model = context.get_model(table.qualified_name)
        assert model.kind.is_external
        assert list(model.columns_to_types) == [*table.columns, *LOAD_COLUMNS], table.name
        assert model.description == table.description


def test_rejects_read_every_raw_table(context: Context) -> None:
    """The UNION ALL arms come from the contract, and lineage sees each base model."""
    model = context.get_model("staging.stg_greenery__rejects")
    assert model.depends_on == {
        context.get_model(f"staging.base_greenery__{table.name}").fqn for table in RAW_TABLES
    }
    query = model.render_query_or_raise().sql("duckdb")
    assert '"b"."order_id" || \'|\' || "b"."product_id" AS "source_key"' in query
