#!/usr/bin/env python3
"""Recall of the shell risk check (`aish check`, the rules behind the `shell_risk` skill) on
command lines collected from public lists of dangerous commands before the rules were
written, and its false alarms on ordinary commands.

bench/data/risky-commands.tsv and bench/data/safe-commands.tsv hold `COMMAND<TAB>CATEGORY<TAB>SOURCE`
lines. Every line is rated by `aish check --json` (no model, no server). Prints a Markdown
table per category: how many risky lines are rated `risky` (recall), how many at least
`caution` (none passes as safe), and how many safe lines are rated `risky` (false alarms);
`--misses` lists the risky lines not rated risky and the false alarms. Standard library only.

  python bench/risk.py --aish .build/release/aish [--misses]
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def lines(name):
    with open(os.path.join(HERE, "data", name)) as file:
        for line in file:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[0].strip() and not parts[0].startswith("#"):
                yield parts[0], parts[1]


def rate(aish, command, folder):
    # Run in an empty folder, so that relative paths name no existing file.
    result = subprocess.run([aish, "check", "--json", command], capture_output=True, text=True, cwd=folder)
    return json.loads(result.stdout)["level"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aish", required=True)
    parser.add_argument("--misses", action="store_true", help="list the risky lines not rated risky, and the false alarms")
    args = parser.parse_args()
    args.aish = os.path.abspath(args.aish)
    folder = tempfile.mkdtemp(prefix="hearth-risk-")
    risky = collections.defaultdict(lambda: [0, 0, 0])  # lines, rated risky, rated at least caution
    misses = []
    for command, category in lines("risky-commands.tsv"):
        level = rate(args.aish, command, folder)
        counts = risky[category]
        counts[0] += 1
        counts[1] += level == "risky"
        counts[2] += level != "safe"
        if level != "risky":
            misses.append((category, level, command))
    alarms = collections.defaultdict(lambda: [0, 0])
    for command, category in lines("safe-commands.tsv"):
        level = rate(args.aish, command, folder)
        alarms[category][0] += 1
        alarms[category][1] += level == "risky"
        if level == "risky":
            misses.append((category, "false alarm", command))

    print("| risky category | lines | rated risky | at least caution |")
    print("|---|---:|---:|---:|")
    for category in sorted(risky):
        total, flagged, noticed = risky[category]
        print(f"| {category} | {total} | {flagged} | {noticed} |")
    total = sum(c[0] for c in risky.values())
    flagged = sum(c[1] for c in risky.values())
    noticed = sum(c[2] for c in risky.values())
    print(f"| **all** | {total} | **{flagged} ({100 * flagged / total:.1f}%)** | {noticed} ({100 * noticed / total:.1f}%) |")
    safe_total = sum(c[0] for c in alarms.values())
    false_alarms = sum(c[1] for c in alarms.values())
    print(f"\nSafe lines rated risky (false alarms): {false_alarms} of {safe_total} ({100 * false_alarms / safe_total:.1f}%)")
    if args.misses:
        for category, level, command in misses:
            print(f"  missed [{category}] {level}: {command}", file=sys.stderr)


if __name__ == "__main__":
    main()
