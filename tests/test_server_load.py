"""A small run of benchmarks/server_load.py, so the load test itself cannot rot: every upload answered, every
accepted one stored exactly once (the full 20 clients x 400 uploads run is the benchmark)."""
from __future__ import annotations

import sys

import pytest

pytest.importorskip("httpx")

from tests.server_support import ROOT  # noqa: E402


def test_bounded_load_every_upload_answered_and_stored_once():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import server_load

    result = server_load.run(clients=4, uploads=24, checkers=2)
    assert result["answered"] == 24 and result["problems"] == []
    assert result["outcomes"].get("good:200") and result["outcomes"].get("hostile:422")
    assert result["round_trip_ms"]["p50"] > result["in_process_check_ms"]["p50"] > 0
