"""One check path: a single file is the one-file case of a folder run (same copy step, same result shape, same OUT-01),
and the run's outputs come from the table of reporters by name."""
from __future__ import annotations

import json

import pytest

from addin import jsonio
from addin.check_run import CheckRun, CheckSettings
from addin.pipeline import check_file
from addin.reporters import registry
from addin.reporters.base import Reporter
from addin.result import FileResult
from tests.test_batch import gk


@pytest.fixture
def one(tmp_path):
    from tests.factory import write_report

    d = tmp_path / "in"
    d.mkdir()
    write_report(d / "甲.xlsx", "2021", 2022, "甲局", seed=1)
    return d


def _results(proc) -> list[dict]:
    return json.loads(proc.stdout)["results"]


def test_file_and_folder_give_the_same_json_and_the_same_copy(one, tmp_path):
    single = gk(one / "甲.xlsx", "--annotate", "--json", "--out-dir", tmp_path / "a")
    folder = gk(one, "--annotate", "--json", "--out-dir", tmp_path / "b")
    assert single.returncode == folder.returncode == 0, single.stderr + folder.stderr
    [s], [f] = _results(single), _results(folder)
    assert s.keys() == f.keys() and "annotated" in s
    assert s["annotated"] == str(tmp_path / "a" / "甲.校验.xlsx") and f["annotated"] == str(tmp_path / "b" / "甲.校验.xlsx")
    for key in s.keys() - {"path", "annotated"}:
        assert s[key] == f[key], key
    # stdout carries only the JSON document; what the copy step said goes to stderr, in both
    assert "已生成标注副本" in single.stderr and "已生成标注副本" in folder.stderr


@pytest.mark.parametrize("json_output", [True, False])
def test_a_copy_that_cannot_be_written_is_out_01_for_a_file_as_for_a_folder(one, tmp_path, json_output):
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the copies' folder would go")
    extra = ["--json"] if json_output else []
    single = gk(one / "甲.xlsx", "--annotate", "--out-dir", blocked, *extra)
    folder = gk(one, "--annotate", "--out-dir", blocked, *extra)
    for proc in (single, folder):
        assert proc.returncode == 1 and "Traceback" not in proc.stderr   # the report passed; the copy failed
        if json_output:
            [r] = _results(proc)
            assert r["status"] == "passed" and "annotated" not in r
            assert [f["code"] for f in r["findings"] if f["code"] == "OUT-01"] == ["OUT-01"]
        else:
            assert "OUT-01" in proc.stdout
    assert blocked.read_text() == "a file where the copies' folder would go"


def test_the_run_reports_through_the_table_of_reporters(one, monkeypatch):
    seen = []

    class Recorder(Reporter):
        def file_done(self, index, result):
            seen.append(("file", index, result.status))

        def finish(self, end):
            seen.append(("finish", [r.path for r in end.results]))

        def close(self):
            seen.append(("close",))

    monkeypatch.setitem(registry.REPORTER_BY_NAME, "json", Recorder)
    path = str(one / "甲.xlsx")
    status = CheckRun(CheckSettings(paths=[path], json=True)).run()
    assert status == 0
    assert seen == [("file", 0, "passed"), ("finish", [path]), ("close",)]
    assert set(registry.REPORTER_BY_NAME) == {"console", "json", "jsonl", "summary", "totals", "feedback"}
    assert all(issubclass(cls, Reporter) for cls in registry.REPORTER_BY_NAME.values())


def test_a_result_comes_back_from_its_json_form(tmp_path):
    from addin.formats import available_formats
    from tests.factory import broken_values, write_report

    path = write_report(tmp_path / "x.xlsx", "2021", 2022, "乙局", broken_values(available_formats()["2021"], 2))
    result = check_file(path)
    result.content_hash, result.annotated = "ab" * 32, str(tmp_path / "x.校验.xlsx")
    back = FileResult.from_dict(jsonio.loads(jsonio.dumps(result.as_dict(with_document=True))))
    assert back.findings and [f.code for f in back.findings] == [f.code for f in result.findings]
    assert (back.path, back.status, back.unit, back.report_year, back.content_hash, back.annotated) == \
        (result.path, result.status, result.unit, result.report_year, result.content_hash, result.annotated)
    assert back.as_dict() == result.as_dict() | {"not_evaluated": []}   # not-evaluated rules are not kept
    assert back.document == result.document
