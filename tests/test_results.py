"""JUnit reports counted into job summaries."""

from __future__ import annotations

from tradosphere_cicd.results import JobSummary, count_junit

JEST = """<?xml version="1.0"?>
<testsuites name="jest tests" tests="4" failures="1">
  <testsuite name="format" tests="4">
    <testcase name="formats a price"/>
    <testcase name="rounds"/>
    <testcase name="rejects NaN"><failure message="expected">stack</failure></testcase>
    <testcase name="later"><skipped/></testcase>
  </testsuite>
</testsuites>"""
PLAYWRIGHT_SUITE = (
    """<testsuite name="home" tests="2"><testcase name="a"/><testcase name="b"><error/></testcase></testsuite>"""
)


def test_counts_across_files_and_folders(tmp_path):
    (tmp_path / "unit").mkdir()
    (tmp_path / "unit" / "junit.xml").write_text(JEST)
    (tmp_path / "e2e" / "shard-1").mkdir(parents=True)
    (tmp_path / "e2e" / "shard-1" / "results.xml").write_text(PLAYWRIGHT_SUITE)
    counts, files = count_junit([tmp_path / "unit", tmp_path / "e2e", tmp_path / "absent"])
    assert (counts.passed, counts.failed, counts.skipped) == (3, 2, 1)
    assert len(files) == 2


def test_a_broken_report_is_ignored_not_fatal(tmp_path):
    (tmp_path / "junit.xml").write_text("<testsuites><oops")
    counts, files = count_junit([tmp_path])
    assert counts.total == 0
    assert files == []


def test_summary_line_reads_like_a_sentence():
    summary = JobSummary(job="test_unit", outcome="passed", duration_seconds=7.25, passed=12, failed=0, skipped=1)
    assert summary.line() == "test_unit: passed in 7.2 s, tests: 12 passed, 0 failed, 1 skipped"
    assert (
        JobSummary(job="build_backend", outcome="passed", duration_seconds=3).line() == "build_backend: passed in 3.0 s"
    )
