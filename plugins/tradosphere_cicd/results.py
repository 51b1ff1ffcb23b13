"""Test results of a job: JUnit XML files counted into a summary a person can read."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite
from junitparser.junitparser import JUnitXmlError

log = logging.getLogger(__name__)


@dataclass
class TestCounts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped


def count_junit(folders: list[Path]) -> tuple[TestCounts, list[Path]]:
    """Count test cases in every *.xml under the folders; return the counts and the files read."""
    counts = TestCounts()
    files: list[Path] = []
    for folder in folders:
        candidates = [folder] if folder.is_file() else sorted(folder.rglob("*.xml")) if folder.is_dir() else []
        for path in candidates:
            try:
                xml = JUnitXml.fromfile(str(path))
            except (JUnitXmlError, SyntaxError, ValueError) as error:
                log.warning("Ignoring %s: not a JUnit report (%s)", path, error)
                continue
            files.append(path)
            suites = [xml] if isinstance(xml, TestSuite) else list(xml)
            for suite in suites:
                for case in suite:
                    outcomes = {type(result) for result in case.result}
                    if outcomes & {Failure, Error}:
                        counts.failed += 1
                    elif Skipped in outcomes:
                        counts.skipped += 1
                    else:
                        counts.passed += 1
    return counts, files


@dataclass
class JobSummary:
    """What one job did; logged at its end and returned as its XCom."""

    job: str
    outcome: str
    duration_seconds: float
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    artifacts: str | None = None
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        tests = (
            f", tests: {self.passed} passed, {self.failed} failed, {self.skipped} skipped"
            if (self.passed + self.failed + self.skipped)
            else ""
        )
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.job}: {self.outcome} in {self.duration_seconds:.1f} s{tests}{detail}"
