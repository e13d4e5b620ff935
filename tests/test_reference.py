"""The course's real export gives the write-up's answer: 99 of 124 purchasers, 0.798387."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from greenery.paths import PROJECT_ROOT
from tests.warehouse_builds import build, failing_audits, query

REFERENCE = Path(
    os.environ.get("GREENERY_REFERENCE_DIR", PROJECT_ROOT.parent / "shared" / "greenery-reference")
)

pytestmark = pytest.mark.skipif(
    not (REFERENCE / "orders.csv").is_file(),
    reason=f"the reference export is not on this machine ({REFERENCE})",
)


def test_reference_export_reproduces_the_repeat_rate(tmp_path: Path) -> None:
    context = build(REFERENCE, tmp_path / "greenery.duckdb")

    purchasers, repeaters, rate = query(
        context, "SELECT purchasers, repeat_purchasers, repeat_rate FROM marketing.repeat_rate"
    )[0]
    assert (purchasers, repeaters) == (124, 99)
    assert round(rate, 6) == 0.798387

    assert failing_audits(context, "2021-02-01", "2021-02-28") == []
    rejected = query(context, "SELECT sum(rejected_rows) FROM quality.staging_reconciliation")
    assert rejected == [(0,)]
