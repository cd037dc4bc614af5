"""A start model that writes tests without checks beside tests with them, for the drift
comparison: the demo model's warm start (scripts/tiny_model.py) on every pair twice, once with the
repo's own test and once with that test's checks removed (`gotools strip-assertions`).

    .venv/bin/python exp/reward-formulas/drift_start.py --out .cache/drift-start-model

The demo model itself never writes a test without checks (it copies the sample's own tests, which
all check), so training it cannot show whether a formula lets the model drift towards them. This
one starts halfway there: under `coverage` both kinds of answer are paid alike, under `mutation`
the checking one more.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repo root: run as a script, not a module

import gotools  # noqa: E402
from scoring.completion import extract_code  # noqa: E402
from scripts import tiny_model  # noqa: E402


def stripped_copies(pairs: list[dict]) -> list[dict]:
    """Each pair, then the same prompt answered by its test with every check removed."""
    out = []
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "pair_test.go"
        for pair in pairs:
            source.write_text(extract_code(pair["completion"][0]["content"]))
            stripped = gotools.run("strip-assertions", src=str(source))["source"]
            checkless = tiny_model.answer_message(stripped)
            out += [pair, {"prompt": pair["prompt"], "completion": [checkless]}]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=Path("data/sample-dataset"))
    parser.add_argument("--repos-dir", type=Path, default=Path("data/repos"))
    parser.add_argument("--out", type=Path, default=Path(".cache/drift-start-model"))
    parser.add_argument("--sft-epochs", type=int, default=tiny_model.TinyModelConfig.sft_epochs)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for path, what in ((args.dataset, "dataset"), (args.repos_dir, "repos root")):
        if not path.is_dir():
            sys.exit(f"drift_start: the {what} {path} does not exist: `make demo` builds it")
    config = tiny_model.TinyModelConfig(sft_epochs=args.sft_epochs)
    print(tiny_model.build(args.dataset, args.repos_dir, args.out, config, augment=stripped_copies))


if __name__ == "__main__":
    main()
