"""Seed walkthrough I7: «平台未收到申请» covers one channel only; a notice, never raised when other channels are named."""
from __future__ import annotations

import pytest

from addin.pipeline import check_file
from tests.test_real_layout import SEED_TEXT

SEED_NOTE = "我办在2020年度平台未收到公开申请。"   # the seed's sentence under table 三


def _platform_notices(tmp_path, note: str, year: int = 2020) -> list:
    text = SEED_TEXT.read_text(encoding="utf-8").replace("办事处2020年政府信息公开工作报告", f"办事处{year}年政府信息公开工作报告")
    assert SEED_NOTE in text
    path = tmp_path / "report.txt"
    path.write_text(text.replace(SEED_NOTE, note), encoding="utf-8")
    return [(f.code, f.severity, f.pointer) for f in check_file(path).findings if f.code == "TT-03"]


@pytest.mark.parametrize("note", [SEED_NOTE, "本年度网上未收到政府信息公开申请。"])
def test_a_statement_limited_to_the_platform_is_a_notice(tmp_path, note):
    assert _platform_notices(tmp_path, note) == [("TT-03", "info", "/notes/T3")]


def test_the_notice_is_raised_when_the_tables_are_of_another_version(tmp_path):
    """A 2021 report printing 2019 tables (STR-04) is held to 2021's text rules, notes included."""
    assert _platform_notices(tmp_path, SEED_NOTE, year=2021) == [("TT-03", "info", "/notes/T3")]


@pytest.mark.parametrize("note", [
    "本年度通过平台、信函等渠道均未收到政府信息公开申请。",
    "本年度平台未收到申请，也未收到信函、当面提出的申请。",
    "本年度未收到政府信息公开申请。",
    "本年度依申请公开平台运行正常。",
])
def test_a_statement_covering_every_channel_is_not(tmp_path, note):
    assert _platform_notices(tmp_path, note) == []
