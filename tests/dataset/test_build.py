"""The dataset builder on the bundled sample: filters, prompts, rows, splits, resume, errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

import gotools
from dataset import build
from dataset.split import split_of
from dataset.tokens import TokenCounter
from tests.dataset.builds import LISTING, all_rows, decisions_of, rows_of, run_build
from tests.sample import ROOT, SAMPLE_REPOS

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


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """One uninterrupted build of the sample, shared by the tests that only read it."""
    base = tmp_path_factory.mktemp("sample")
    report = run_build(base / "out", base / "repos")
    return base / "out", base / "repos", report


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


def small_tokenizer(path: Path) -> Path:
    """A word-level tokenizer trained on the sample's Go code: real token counts, no hub."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(special_tokens=["[UNK]"], vocab_size=2000)
    files = [str(p) for p in SAMPLE_REPOS.rglob("*.go")]
    tokenizer.train(files, trainer)
    tokenizer.save(str(path))
    return path


def bare_user_message(user: str) -> str:
    """The user message of a full prompt without its imports and context: the target alone."""
    intro = next(m for m in ("\n\nThe function:\n\n", "\n\nThe file `") if m in user)
    first = user[: user.index("\n\n")]
    target_part = user[user.index(intro) + 2 :]
    block_end = target_part.index("\n```\n\n", target_part.index("```go\n")) + len("\n```")
    last = user[user.rindex("\n\nWrite the complete test file") + 2 :]
    return "\n\n".join([first, target_part[:block_end], last])


def test_prompts_over_the_token_limit_keep_the_target_and_only_lone_targets_over_it_drop(tmp_path):
    tokenizer = small_tokenizer(tmp_path / "tokenizer.json")
    run_build(
        tmp_path / "all",
        tmp_path / "repos",
        "--tokenizer",
        str(tokenizer),
        "--max-prompt-tokens",
        "100000",
    )
    unlimited = {r["id"]: r for r in all_rows(tmp_path / "all")}
    lengths = sorted(r["prompt_tokens"] for r in unlimited.values())
    limit = lengths[len(lengths) // 4]
    report = run_build(
        tmp_path / "cut",
        tmp_path / "repos2",
        "--tokenizer",
        str(tokenizer),
        "--max-prompt-tokens",
        str(limit),
    )
    kept = {r["id"]: r for r in all_rows(tmp_path / "cut")}
    counter = TokenCounter(str(tokenizer))
    shortened = 0
    for row_id, row in unlimited.items():
        system, user = row["prompt"][0], row["prompt"][1]["content"]
        bare = bare_user_message(user)
        alone = counter.count([system, {"role": "user", "content": bare}])
        if row["prompt_tokens"] <= limit:
            assert kept[row_id] == row  # the very same prompt
        elif alone > limit:
            assert row_id not in kept  # the only targets dropped for length
        else:
            shorter = kept[row_id]
            assert shorter["prompt_tokens"] <= limit
            assert bare_user_message(shorter["prompt"][1]["content"]) == bare  # target whole
            shortened += 1
    assert shortened > 0 and len(kept) < len(unlimited)
    too_long = len(unlimited) - len(kept)
    assert report["stages"]["targets"]["dropped"]["prompt_too_long"] == too_long
    assert report["prompt_length"] == f"tokenizer {tokenizer}"


# Archives through a file:// URL template --------------------------------------------------------


def github_like_archives(folder: Path) -> None:
    """Each sample repo as GitHub serves it: one top folder name-revision; zip for one of them."""
    for line in LISTING.read_text().splitlines():
        row = json.loads(line)
        target = folder / row["repo_name"] / f"{row['revision_id']}.tar.gz"
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = SAMPLE_REPOS / row["repo_name"]
        top = f"{source.name}-{row['revision_id']}"
        if row["repo_name"].endswith("lrucache"):  # named .tar.gz, but a zip: sniffed, not trusted
            with zipfile.ZipFile(target, "w") as zf:
                for path in sorted(source.rglob("*")):
                    zf.write(path, f"{top}/{path.relative_to(source)}")
        else:
            with tarfile.open(target, "w:gz") as tf:
                tf.add(source, arcname=top)


def test_archives_from_a_file_url_give_the_same_rows_as_the_folders(sample, tmp_path):
    out, _, _ = sample
    archives = tmp_path / "archives"
    github_like_archives(archives)
    template = f"file://{archives}/{{repo_name}}/{{revision_id}}.tar.gz"
    run_build(
        tmp_path / "out", tmp_path / "repos", "--source", "archive", "--archive-url", template
    )
    assert rows_of(tmp_path / "out") == rows_of(out)


def test_a_hostile_or_missing_archive_drops_its_repo_not_the_build(sample, tmp_path):
    out, _, _ = sample
    archives = tmp_path / "archives"
    github_like_archives(archives)
    kvstore = next((archives / "gotest-sample" / "kvstore").glob("*.tar.gz"))
    with tarfile.open(kvstore, "w:gz") as tf:
        info = tarfile.TarInfo("kvstore-x/../../escaped.go")
        info.size = 0
        tf.addfile(info)
    shutil.rmtree(archives / "gotest-sample" / "mathx")
    template = f"file://{archives}/{{repo_name}}/{{revision_id}}.tar.gz"
    report = run_build(
        tmp_path / "out", tmp_path / "repos", "--source", "archive", "--archive-url", template
    )
    assert report["stages"]["download"]["dropped"] == {"not_found": 1}
    assert report["stages"]["extract"]["dropped"] == {"path_escape": 1}
    assert not (tmp_path / "escaped.go").exists() and not list(tmp_path.rglob("escaped.go"))
    expected = [
        r
        for r in all_rows(out)
        if r["repo"] not in ("gotest-sample/kvstore", "gotest-sample/mathx")
    ]
    assert all_rows(tmp_path / "out") == expected


# Resume after kill -9 ---------------------------------------------------------------------------


def bigger_sample(folder: Path) -> Path:
    """The sample three times over (owners a, b, c), so that a build takes long enough to kill."""
    lines = []
    for owner in ("a", "b", "c"):
        for line in LISTING.read_text().splitlines():
            row = json.loads(line)
            name = row["repo_name"].split("/")[1]
            row["repo_name"] = f"{owner}/{name}"
            lines.append(json.dumps(row))
            link = folder / "repos" / owner / name
            if not link.exists():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(SAMPLE_REPOS / "gotest-sample" / name)
    listing = folder / "listing.jsonl"
    listing.write_text("\n".join(lines) + "\n")
    return listing


@pytest.mark.slow
def test_a_build_killed_at_any_moment_resumes_to_the_same_rows(tmp_path):
    listing = bigger_sample(tmp_path)
    command = [
        sys.executable,
        "-m",
        "dataset.build",
        "--listing",
        str(listing),
        "--source",
        "dir",
    ]
    # The reference: one uninterrupted build.
    reference = tmp_path / "reference"
    subprocess.run(
        [*command, "--out", str(reference), "--repos-dir", str(tmp_path / "ref-repos")],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    out, repos = tmp_path / "out", tmp_path / "repos-root"
    killed = subprocess.Popen(
        [*command, "--out", str(out), "--repos-dir", str(repos), "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes the workers too
    )
    results = out / "build" / "results"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and killed.poll() is None:
        if results.is_dir() and len([p for p in results.iterdir() if p.suffix == ".json"]) >= 4:
            break
        time.sleep(0.01)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    done_at_kill = len(list(results.glob("*.json")))
    assert 4 <= done_at_kill < 24, "the kill did not land in the middle of the build"
    assert not (out / "dataset_dict.json").exists()

    resumed = subprocess.run(
        [*command, "--out", str(out), "--repos-dir", str(repos)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert rows_of(out) == rows_of(reference)
    assert (
        json.loads((out / "counts.json").read_text())["stages"]
        == json.loads((reference / "counts.json").read_text())["stages"]
    )
    assert sorted(p.relative_to(repos).as_posix() for p in repos.glob("*/*")) == sorted(
        p.relative_to(tmp_path / "ref-repos").as_posix()
        for p in (tmp_path / "ref-repos").glob("*/*")
    )
    assert not (tmp_path / ".repos-root.staging").exists()


# Mistakes of the user ---------------------------------------------------------------------------


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dataset.build", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, status: int, *words: str) -> None:
    assert result.returncode == status, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dataset.build: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_a_missing_listing_is_one_line(tmp_path):
    result = cli("--listing", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "out"))
    assert_one_line_error(result, 1, "nope.jsonl", "not found")


def test_bad_flags_are_one_line(tmp_path):
    out = str(tmp_path / "out")
    assert_one_line_error(cli("--out", out), 2, "--listing")
    assert_one_line_error(
        cli("--listing", str(LISTING), "--out", out, "--workers", "0"), 2, "--workers"
    )
    assert_one_line_error(
        cli("--listing", str(LISTING), "--out", out, "--granularity", "line"), 2, "granularity"
    )
    assert_one_line_error(
        cli("--listing", str(LISTING), "--out", out, "--archive-url", "https://x/{repo}.tgz"),
        2,
        "archive-url",
    )
    assert_one_line_error(
        cli("--listing", str(LISTING), "--out", out, "--source", "dir", "--tokenizer", "/no/such"),
        1,
        "tokenizer",
    )


def test_an_unreachable_hub_dataset_is_one_line(tmp_path):
    result = cli(
        "--listing",
        "bigcode/the-stack-v2-dedup",
        "--out",
        str(tmp_path / "out"),
        env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")},
    )
    assert_one_line_error(result, 1, "bigcode/the-stack-v2-dedup")


def gated_repo_error() -> Exception:
    import httpx
    from huggingface_hub import errors

    url = "https://huggingface.co/api/datasets/bigcode/the-stack-v2-dedup"
    response = httpx.Response(401, request=httpx.Request("GET", url))
    return errors.GatedRepoError("401 Client Error: access is restricted", response=response)


def not_authenticated_error() -> Exception:
    from datasets.exceptions import DatasetNotFoundError

    # What datasets raises for a gated dataset when no token is given at all.
    return DatasetNotFoundError(
        "Dataset 'bigcode/the-stack-v2-dedup' is a gated dataset on the Hub. "
        "You must be authenticated to access it."
    )


@pytest.mark.parametrize("error", [gated_repo_error, not_authenticated_error])
def test_a_gated_hub_dataset_says_how_to_get_access(monkeypatch, error):
    import datasets

    from dataset.listing import ListingError, read_rows

    def refuse(*args, **kwargs):
        raise error()

    monkeypatch.setattr(datasets, "load_dataset", refuse)
    with pytest.raises(ListingError) as caught:
        list(read_rows("bigcode/the-stack-v2-dedup", "Go"))
    message = str(caught.value)
    assert "\n" not in message
    assert "https://huggingface.co/datasets/bigcode/the-stack-v2-dedup" in message
    assert "hf auth login" in message and "HF_TOKEN" in message


def test_rerunning_into_an_out_made_with_other_settings_is_refused(sample):
    out, repos, _ = sample
    result = cli(
        "--listing",
        str(LISTING),
        "--source",
        "dir",
        "--out",
        str(out),
        "--repos-dir",
        str(repos),
        "--granularity",
        "file",
    )
    assert_one_line_error(result, 2, "granularity", "another --out")


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


def test_a_lost_repo_result_is_rebuilt_on_the_next_run(sample, tmp_path):
    out, _, _ = sample
    run_build(tmp_path / "out", tmp_path / "repos")
    results = sorted((tmp_path / "out" / "build" / "results").glob("*.json"))
    lost = next(p for p in results if "inilex" in p.name)
    lost.unlink()
    run_build(tmp_path / "out", tmp_path / "repos")
    assert lost.exists()
    assert rows_of(tmp_path / "out") == rows_of(out)


def test_a_parquet_listing_gives_the_same_rows_as_the_jsonl(sample, tmp_path):
    import pandas as pd

    out, _, _ = sample
    listing = tmp_path / "listing.parquet"
    pd.read_json(LISTING, lines=True).to_parquet(listing)
    run_build(tmp_path / "out", tmp_path / "repos", listing=listing)
    assert rows_of(tmp_path / "out") == rows_of(out)
