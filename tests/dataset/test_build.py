"""The dataset builder on the bundled sample: filters, prompts, rows, splits."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import gotools
from dataset import build
from dataset.split import split_of
from tests.dataset.builds import LISTING, all_rows, decisions_of, rows_of, run_build
from tests.sample import SAMPLE_REPOS

INILEX = SAMPLE_REPOS / "gotest-sample" / "inilex"
DESIGN_COLUMNS = {
    "prompt",
    "repo",
    "package",
    "target_file",
    "target_function",
    "module",
    "revision",
    "granularity",
}


def file_reason(decisions: list[dict], repo: str, path: str) -> str | None:
    found = [
        d for d in decisions if d["stage"] == "files" and (d["repo"], d["name"]) == (repo, path)
    ]
    assert len(found) == 1, f"{repo} {path}: {found}"
    return found[0]["reason"]


# Filters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repo", "path", "reason"),
    [
        ("gotest-sample/inilex", "boolwords_gen.go", "generated"),
        ("gotest-sample/inilex", "configpath_linux.go", "build_constraint"),
        ("gotest-sample/inilex", "configpath_windows.go", "build_constraint"),
        ("gotest-sample/semver", "cmd/semverbump/main.go", "main_only"),
        ("gotest-sample/semver", "experimental/ranges/ranges.go", "package_parse_error"),
        ("gotest-sample/inilex", "lexer_test.go", "test_file"),
        ("gotest-sample/inilex", "lexer.go", None),
        ("gotest-sample/mathx", "stats/stats.go", None),
    ],
)
def test_each_filter_drops_its_sample_case_and_nothing_else(sample, repo, path, reason):
    out, _, _ = sample
    decisions = decisions_of(out)
    assert file_reason(decisions, repo, path) == reason
    targeted = {
        (r["repo"], os.path.normpath(f"{r['package']}/{r['target_file']}")) for r in all_rows(out)
    }
    assert ((repo, path) in targeted) == (reason is None)


def test_the_parse_error_drops_its_package_and_the_repo_without_go_mod_is_dropped(sample):
    out, repos, report = sample
    decisions = decisions_of(out)
    ranges = [
        d for d in decisions if d["stage"] == "packages" and d["name"] == "experimental/ranges"
    ]
    assert [d["reason"] for d in ranges] == ["parse_error"]
    assert "ranges.go:20" in ranges[0]["detail"]
    legacy = [d for d in decisions if d["repo"] == "gotest-sample/legacy-utils"]
    assert [(d["stage"], d["reason"]) for d in legacy] == [
        ("download", None),
        ("extract", None),
        ("find_modules", "no_go_mod"),
    ]
    assert not (repos / "gotest-sample" / "legacy-utils").exists()
    stages = report["stages"]
    assert stages["find_modules"]["dropped"] == {"no_go_mod": 1}
    assert stages["files"]["dropped"]["generated"] == 1
    assert stages["files"]["dropped"]["build_constraint"] == 2
    assert stages["files"]["dropped"]["main_only"] == 1


def test_counts_add_up_and_match_the_rows(sample):
    out, _, report = sample
    stages = report["stages"]
    listed = sum(1 for _ in LISTING.open())
    legacy_files = 2  # dropped with their repo before files are looked at
    files = stages["files"]
    assert files["kept"] + sum(files["dropped"].values()) == listed - legacy_files
    targets = stages["targets"]
    assert targets["kept"] == sum(report["splits"].values()) == len(all_rows(out))
    printed = build.render_table(
        build.Counts.from_dict(stages), report["splits"], report["repos_kept"]
    )
    assert "no_go_mod" in printed and f"rows: {targets['kept']}" in printed


# Targets and prompts ----------------------------------------------------------------------------


def test_a_function_prompt_shows_the_function_and_exactly_the_declarations_it_uses(sample):
    out, _, _ = sample
    rows = {(r["repo"], r["target_function"]): r for r in all_rows(out)}
    row = rows[("gotest-sample/inilex", "Parse")]
    user = row["prompt"][1]["content"]
    funcs = {f["name"]: f for f in gotools.run("funcs", dir=str(INILEX))["functions"]}

    def text(file: str, start: int, end: int) -> str:
        return "\n".join((INILEX / file).read_text().splitlines()[start - 1 : end])

    parse = funcs["Parse"]
    assert text("parse.go", parse["start_line"], parse["end_line"]) in user
    dep_names = {d["name"] for d in parse["deps"]}
    # Parse reaches lookupBool, declared in the generated file, through File.Bool or the lexer.
    assert {"Lexer", "SyntaxError", "Token"} <= dep_names
    for dep in parse["deps"]:
        assert text(dep["file"], dep["start_line"], dep["end_line"]) in user, dep["name"]
    # What Parse does not use stays out: UserConfigPath is a function of the same package.
    user_config = funcs["UserConfigPath"]
    assert "UserConfigPath" not in dep_names
    assert text(user_config["file"], user_config["start_line"], user_config["end_line"]) not in user
    assert row["prompt"][0]["role"] == "system" and "go test" in row["prompt"][0]["content"]
    assert "package inilex" in user


def test_rows_follow_the_design_contract(sample):
    out, repos, _ = sample
    rows = all_rows(out)
    assert rows
    for row in rows:
        assert set(row) >= DESIGN_COLUMNS
        package_dir = repos / row["repo"] / row["package"]
        assert (package_dir / row["target_file"]).is_file()
        assert row["granularity"] in ("function", "file")
        assert (row["target_function"] is None) == (row["granularity"] == "file")
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert len({r["id"] for r in rows}) == len(rows)
    stats = [r for r in rows if r["repo"] == "gotest-sample/mathx" and r["package"] == "stats"]
    assert {r["module"] for r in stats} == {"github.com/gotest-sample/mathx/stats"}
    # The repos root holds exactly the repos with rows, byte for byte as the sample has them.
    kept = {r["repo"] for r in rows}
    assert {f"{p.parent.name}/{p.name}" for p in repos.glob("*/*")} == kept
    for repo in kept:
        for source in (SAMPLE_REPOS / repo).rglob("*"):
            if source.is_file():
                copy = repos / repo / source.relative_to(SAMPLE_REPOS / repo)
                assert copy.read_bytes() == source.read_bytes()


def test_no_repo_is_in_both_splits_and_the_split_does_not_depend_on_the_listing(sample, tmp_path):
    out, _, _ = sample
    rows = rows_of(out)
    train, test = ({r["repo"] for r in rows[name]} for name in ("train", "test"))
    assert train and test and not train & test
    for name, repos in (("train", train), ("test", test)):
        assert all(split_of(repo, 0.1) == name for repo in repos)
    # A smaller listing (the two most starred repos) puts each repo where the full one did.
    small = run_build(tmp_path / "out", tmp_path / "repos", "--max-repos", "2")
    assert small["stages"]["listing"]["dropped"] == {"over_max_repos": 6}
    for name, split_rows in rows_of(tmp_path / "out").items():
        assert {r["repo"] for r in split_rows} <= (train if name == "train" else test)


def test_granularity_file_gives_one_row_per_kept_file(sample, tmp_path):
    out, _, _ = sample
    full = all_rows(out)
    report = run_build(tmp_path / "out", tmp_path / "repos", "--granularity", "file")
    file_rows = all_rows(tmp_path / "out")
    assert {r["granularity"] for r in file_rows} == {"file"}
    assert report["stages"]["files"]["kept"] == len(file_rows) + report["stages"]["targets"][
        "dropped"
    ].get("prompt_too_long", 0)
    assert [r for r in full if r["granularity"] == "file"] == file_rows


# The scorer --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_scorer_accepts_every_row_of_the_sample_dataset(sample):
    """Each row names a target the scorer knows: a trivial test of it scores, never bad_request."""
    import tempfile

    from scoring.client import ScoringClient
    from scoring.local_server import LocalScoringServer

    out, built_repos, _ = sample
    # The sandbox reads the repos as another user: pytest's own temporary folders are private.
    readable = Path(tempfile.mkdtemp(prefix="dataset-scorer-"))
    readable.chmod(0o755)
    try:
        repos = readable / "repos"
        shutil.copytree(built_repos, repos)
        rows = all_rows(out)
        items = []
        for row in rows:
            package = row["prompt"][1]["content"].split("starting with `package ")[1].split("`")[0]
            test = f'package {package}\n\nimport "testing"\n\nfunc TestNothing(t *testing.T) {{}}\n'
            target = {k: row[k] for k in ("repo", "package", "target_file", "target_function")}
            items.append({**target, "completion": f"```go\n{test}```"})
        with (
            LocalScoringServer(repos, log_path=out / "scorer.log") as server,
            ScoringClient(server.url) as client,
        ):
            results = client.score(items)
        assert [r["status"] for r in results] == ["ok"] * len(rows), [
            (i["repo"], i["package"], i["target_function"], r["detail"][:200])
            for i, r in zip(items, results, strict=True)
            if r["status"] != "ok"
        ]
        assert all(r["tests"]["passed"] == 1 and r["coverage"] == 0 for r in results)
    finally:
        shutil.rmtree(readable)
