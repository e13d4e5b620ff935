"""The course's real export gives the write-up's answer: 99 of 124 purchasers, 0.798387."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenery.project import open_context
from tests.conftest import REFERENCE
from tests.warehouse_builds import copy_of, failing_audits, query

pytestmark = pytest.mark.skipif(
    not (REFERENCE / "orders.csv").is_file(),
    reason=f"the reference export is not on this machine ({REFERENCE})",
)


def test_reference_export_reproduces_the_repeat_rate(built_reference: Path, tmp_path: Path) -> None:
    """On a copy of the session's build of the export (conftest), shared with test_soda."""
    context = open_context(copy_of(built_reference, tmp_path))

    purchasers, repeaters, rate = query(
        context, "SELECT purchasers, repeat_purchasers, repeat_rate FROM marketing.repeat_rate"
    )[0]
    assert (purchasers, repeaters) == (124, 99)
    assert round(rate, 6) == 0.798387

    assert failing_audits(context, "2021-02-01", "2021-02-28") == []
    rejected = query(context, "SELECT sum(rejected_rows) FROM quality.staging_reconciliation")
    assert rejected == [(0,)]
