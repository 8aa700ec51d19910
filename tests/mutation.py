"""Mutation testing of the pure core with mutmut, and the kill rate of each file.

    uv run python -m tests.mutation            # a fresh run (15-30 minutes on 2 cores)
    uv run python -m tests.mutation --report   # the figures of the last run again
    uv run python -m tests.mutation --survivors   # and the name of each survivor

What is mutated, and which tests run against each mutant, is `[tool.mutmut]` in
pyproject.toml; `uv run mutmut show NAME` shows one mutant's diff. A fresh run starts
from an empty `mutants/` so that every mutant meets the current tests (mutmut keeps a
survivor's verdict until its function changes). Not part of `uv run pytest` or CI.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
# the files mutmut mutates, as pyproject.toml names them
FILES: tuple[str, ...] = tuple(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"]
)
TARGET = 90.0
# At most two workers: the machine has two cores and may be running other tests.
MAX_CHILDREN = 2

# mutmut's exit codes (`mutmut.stats.status_by_exit_code`): a mutant whose tests failed,
# errored, hung (timeout) or crashed the interpreter was detected, so it counts as killed.
_KILLED = frozenset({1, 3, 36, 24, -24, 152, 255, -11, -9, 37})
_NO_TESTS = frozenset({5, 33})


def outcome(exit_code: int | None) -> str:
    if exit_code is None:
        return "not checked"
    if exit_code == 0:
        return "survived"
    if exit_code in _KILLED:
        return "killed"
    return "no tests" if exit_code in _NO_TESTS else "suspicious"


def verdicts(path: str) -> dict[str, str]:
    """Mutant name -> outcome for one source file, from mutmut's record of the last run."""
    meta = MUTANTS / (path + ".meta")
    if not meta.exists():
        return {}
    exit_codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return {name: outcome(code) for name, code in exit_codes.items()}


def report(show_survivors: bool) -> bool:
    """Print one line per file; True when every file reaches the target."""
    width = max(len(path) for path in FILES)
    print(
        f"{'file':<{width}} {'killed':>7} {'survived':>9} {'no tests':>9} {'total':>6} {'rate':>7}"
    )
    all_met = True
    for path in FILES:
        found = verdicts(path)
        counts = Counter(found.values())
        total = len(found)
        rate = 100.0 * counts["killed"] / total if total else 0.0
        all_met &= rate >= TARGET
        print(
            f"{path:<{width}} {counts['killed']:>7} {counts['survived']:>9} "
            f"{counts['no tests']:>9} {total:>6} {rate:>6.1f}%"
        )
        other = total - counts["killed"] - counts["survived"] - counts["no tests"]
        if other:
            print(f"{'':<{width}} ({other} not checked or suspicious)")
        if show_survivors:
            for name, verdict in sorted(found.items()):
                if verdict != "killed":
                    print(f"    {verdict:<12} {name}")
    print(f"target: at least {TARGET:.0f} % killed in each file")
    return all_met


def run(mutant_names: list[str]) -> int:
    """A fresh mutmut run over everything, or a re-run of the named mutants."""
    if not mutant_names and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run", "--max-children", str(MAX_CHILDREN), *mutant_names]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__)
    parser.add_argument("--report", action="store_true", help="only print the last run's figures")
    parser.add_argument("--survivors", action="store_true", help="list the mutants not killed")
    parser.add_argument("mutants", nargs="*", help="re-run only these mutants (globs allowed)")
    args = parser.parse_args(argv)
    if not args.report:
        code = run(args.mutants)
        if code != 0:
            print(f"mutmut run failed with exit code {code}", file=sys.stderr)
            return code
        print()
    return 0 if report(args.survivors) else 1


if __name__ == "__main__":
    sys.exit(main())
