"""A fidelity run's record: its totals, the printed report and the --json file (read back by
--rejudge, which judges the saved runs again).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path

from benchmarks.fidelity_sides import Case, Run
from benchmarks.fidelity_verdicts import Result, judge
from benchmarks.stats import percentile
from common.errors import UserError


def summary(results: list[Result]) -> dict:
    verdicts = Counter(r.verdict for r in results)
    compared = verdicts["agree"] + verdicts["differ"]
    timed = [r.timed for r in results if r.timed]
    differences = [r for r in results if r.verdict == "differ"]
    return {
        "files": len(results),
        "repos": len({r.case.repo for r in results}),
        "packages": len({(r.case.repo, r.case.package) for r in results}),
        "verdicts": dict(verdicts),
        "compared": compared,
        "agreement": verdicts["agree"] / compared if compared else None,
        "by_design": sum("by design" in r.cause for r in differences),
        "nondeterministic": sum(r.cause.startswith("nondeterministic") for r in differences),
        "scorer_fault": sum(r.cause.startswith("scorer fault") for r in differences),
        "unexplained": sum(r.cause.startswith("unexplained") for r in differences),
        "timed_files": len(timed),
        "scorer_p50_s": percentile([t["scorer_s"] for t in timed], 0.5) if timed else None,
        "go_test_p50_s": percentile([t["go_test_s"] for t in timed], 0.5) if timed else None,
        "causes": dict(Counter(r.cause for r in differences)),
        "external_compared": sum(r.external for r in results if r.verdict in ("agree", "differ")),
        "external_agree": sum(r.external for r in results if r.verdict == "agree"),
    }


def report(results: list[Result], totals: dict) -> str:
    lines = []
    for result in sorted(results, key=lambda r: r.case.name):
        if result.verdict != "differ":
            continue
        s, g = result.scorer, result.go_test
        assert s is not None and g is not None
        lines.append(
            f"DIFFER {result.case.name}: scorer {s.status} {s.passed}/{s.failed} "
            f"cov {s.coverage}, go test {g.passed}/{g.failed} cov {g.coverage}: {result.cause}"
        )
    apart = defaultdict(list)
    for result in results:
        if result.verdict in ("both_fail_to_build", "both_time_out", "not_posed", "no_tests"):
            apart[result.verdict].append(result)
    for verdict, items in sorted(apart.items()):
        lines.append(f"{verdict.replace('_', ' ')}: {len(items)} files")
        for cause, count in Counter(r.cause.split(" (")[0] for r in items).most_common():
            lines.append(f"    {count:4}  {cause}")
    agreement = totals["agreement"]
    share = "n/a" if agreement is None else f"{agreement:.1%}"
    lines.append(
        f"{totals['files']} test files of {totals['packages']} packages in {totals['repos']} "
        f"repos; compared {totals['compared']}: {totals['verdicts'].get('agree', 0)} agree "
        f"({share}), {totals['verdicts'].get('differ', 0)} differ "
        f"({totals['by_design']} by design, {totals['nondeterministic']} nondeterministic tests, "
        f"{totals['scorer_fault']} scorer faults, {totals['unexplained']} unexplained)"
    )
    lines.append(
        f"of them external test packages (package x_test): {totals['external_compared']}, "
        f"{totals['external_agree']} agree"
    )
    if totals["timed_files"]:
        lines.append(
            f"changed file on a warm cache, p50 over {totals['timed_files']} files: "
            f"scorer {totals['scorer_p50_s'] * 1000:.0f} ms, "
            f"go test {totals['go_test_p50_s'] * 1000:.0f} ms"
        )
    return "\n".join(lines)


def load(saved: Path) -> tuple[list[Result], Path, list[str]]:
    """The runs of a --json file, judged again (their saved verdicts are not read)."""
    try:
        data = json.loads(saved.read_text())
        repos_dir = Path(data["repos_dir"])
        results = []
        for item in data["files"]:
            case = Case(**item["case"])
            scorer, go_test = (
                Run(**item[side]) if item[side] else None for side in ("scorer", "go_test")
            )
            second = item.get("second") or {}
            if scorer is None or go_test is None:
                verdict, cause = item["verdict"], item["cause"]
            else:
                verdict, cause = judge(case, repos_dir, scorer, go_test, second)
            result = Result(
                case, item["external"], verdict, cause, scorer, go_test, item["timed"], second
            )
            results.append(result)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UserError(f"--rejudge {saved}: not a fidelity --json file ({err})") from err
    return results, repos_dir, data.get("command", [])


def write_json(path: Path, command: list[str], repos_dir: Path, results: list[Result]) -> None:
    totals = summary(results)
    files = [asdict(r) for r in sorted(results, key=lambda r: r.case.name)]
    record = {"command": command, "repos_dir": str(repos_dir), "summary": totals, "files": files}
    path.write_text(json.dumps(record, indent=1) + "\n")
