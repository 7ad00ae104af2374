"""`make bench`: noogh against a stock Django admin, at 1M and 10k users.

Needs DATABASE_URL=postgres://... ; uses that database and the sibling
<name>_small, creating them when missing and keeping them (seeding 1M users
takes a while), and scratch siblings <name>_import and <name>_dormancy (a
copy of the big one that the dormant-account run changes), dropped afterwards.
Prints a table and writes bench/results/<date>.md.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file, only bench/ would be importable
from bench import imports as import_bench  # noqa: E402
from bench import targets  # noqa: E402
from bench.dormancy_step import dormancy_report, time_dormancy  # noqa: E402
from scripts import sandbox  # noqa: E402

TARGETS = ("ours", "admin", "stock")
# Issue 13: erasing one account with 10,000 audit events.
ERASURE_TARGET_MS = 1000
GROWTH_ROWS = ("list page 1", "search common surname", "search rare term")


def environment(url: str) -> dict:
    return sandbox.environment(
        url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY", "benchmark-only-secret"),
        PYTHONWARNINGS="ignore",
        # The test client speaks plain HTTP.
        HTTPS="false",
        # It signs in with force_login: no second factor to pass.
        MFA_REQUIRED="false",
        ERASURE_KEY=os.environ.get("ERASURE_KEY", "benchmark-only-erasure-key"),
    )


def ensure_database(url: str) -> None:
    """Create url's database when missing, and migrate it; its users stay."""
    sandbox.create_database(url)
    sandbox.migrate(environment(url))


def measure(url: str, users: int, repeat: int, only: list[str] | None = None) -> dict:
    print(f"measuring {users:,} users ...", file=sys.stderr, flush=True)
    options = ["--users", str(users), "--repeat", str(repeat)]
    if only:
        options += ["--only", *only]
    output = subprocess.run(
        [sandbox.PYTHON, "bench/measure.py", *options],
        cwd=ROOT,
        env=environment(url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def time_erasure(url: str, repeat: int) -> dict:
    print("erasing accounts with 10,000 audit events ...", file=sys.stderr, flush=True)
    output = subprocess.run(
        [sandbox.PYTHON, "bench/lifecycle.py", "--repeat", str(repeat)],
        cwd=ROOT,
        env=environment(url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    return result | {"passed": result["erasure_ms_p50"] <= ERASURE_TARGET_MS}


def erasure_report(result: dict | None) -> list[str]:
    if not result:
        return []
    return [
        "",
        f"Erasure of one account with {result['events']:,} audit events, sealed "
        f"(target <= {ERASURE_TARGET_MS} ms): p50 {result['erasure_ms_p50']:.0f} ms, "
        f"max {result['erasure_ms_max']:.0f} ms over {result['erasure_runs']} runs: "
        f"**{'pass' if result['passed'] else 'FAIL'}**. Its subject-access export: "
        f"p50 {result['export_ms_p50']:.0f} ms. Sealing before them: "
        f"{result['sealed_events']:,} events in {result['seal_s']:.1f} s.",
    ]


def cell(result: dict | None) -> str:
    if not result:
        return "–"
    spent = ""
    if "cpu_ms" in result:
        spent = f" (db {result['db_ms']:.0f}, cpu {result['cpu_ms']:.0f})"
    return f"{result['p50']:.1f} / {result['p95']:.1f} / {result['queries']}{spent}"


def ratio(slow: dict | None, fast: dict | None) -> str:
    return f"{slow['p50'] / fast['p50']:.1f}×" if slow and fast else "–"


def report(big: dict, small: dict, imports: list[dict], args) -> str:
    lines = [
        f"# noogh benchmark, {datetime.date.today().isoformat()}",
        "",
        f"{big['users']:,} users (and {small['users']:,} for growth) in PostgreSQL, "
        f"Django test client in-process, {args.repeat} timed requests after one "
        "warm-up. Cells: p50 ms / p95 ms / queries (db: ms of one request in the "
        "database; cpu: median ms of this process's CPU per request, the page's "
        "Python, which waiting for a core on a busy machine does not inflate). "
        "`stock` is a plain ModelAdmin with the same search_fields and "
        "list_filter over a copy of the table with no indexes but its primary "
        "key. Load average (1/5/15 min) before and "
        f"after measuring: {big.get('load', '?')}.",
        "",
        "| scenario | ours (HTML) | our admin | stock admin | stock ÷ ours |"
        " stock ÷ our admin |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in big["results"].items():
        if not any(target in row for target in TARGETS):
            continue  # the API's alone: its own table below
        ours, admin, stock = (row.get(t) for t in TARGETS)
        lines.append(
            f"| {name} | {cell(ours)} | {cell(admin)} | {cell(stock)} | "
            f"{ratio(stock, ours)} | {ratio(stock, admin)} |"
        )
    lines += [
        "",
        "The JSON API, with a bearer token (targets: list p50 <= 15 ms, "
        "search <= 30 ms):",
        "",
        "| scenario | p50 / p95 / queries |",
        "|---|---|",
    ]
    for name, row in big["results"].items():
        if "api" in row:
            label = name if name.startswith("API") else f"{name} (API)"
            lines.append(f"| {label} | {cell(row['api'])} |")
    lines += [
        "",
        f"Growth: p50 ms at {small['users']:,} and {big['users']:,} users.",
        "",
        "| scenario | target | small | big | big ÷ small |",
        "|---|---|---|---|---|",
    ]
    for name in GROWTH_ROWS:
        if name not in small["results"] or name not in big["results"]:
            continue
        for target in TARGETS:
            a, b = small["results"][name][target], big["results"][name][target]
            lines.append(
                f"| {name} | {target} | {a['p50']:.1f} | {b['p50']:.1f} | "
                f"{b['p50'] / a['p50']:.2f} |"
            )
    lines += targets.summary(big["results"])
    lines += bulk_report(big.get("bulk"))
    lines += erasure_report(big.get("erasure"))
    lines += dormancy_report(big.get("dormancy"))
    lines += import_bench.report(imports) if imports else []
    return "\n".join(lines) + "\n"


def bulk_report(bulk: dict | None) -> list[str]:
    if not bulk:
        return []
    return [
        "",
        f"Bulk deactivate through the pages (`{bulk['query']}`: "
        f"{bulk['accounts']:,} accounts, {bulk['audit_rows']:,} audit rows), "
        f"then Undo ({bulk['reactivated']:,} reactivated); one run each:",
        "",
        "| step | seconds | queries |",
        "|---|---|---|",
        *(
            f"| {label} | {bulk[key]['seconds']:.2f} | {bulk[key]['queries']} |"
            for key, label in (
                ("confirm_page", "confirmation page (count + sample)"),
                ("deactivate", "Confirm: deactivate + audit rows"),
                ("undo", "Undo: reactivate + audit rows"),
            )
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--only",
        nargs="*",
        help="only these scenarios (names as in the table; bulk: the bulk "
        "action; erasure: erasing an account with 10,000 audit events)",
    )
    parser.add_argument(
        "--no-import", action="store_true", help="skip the import timings"
    )
    parser.add_argument(
        "--no-dormancy",
        action="store_true",
        help="skip the dormant-account policy (preview and run)",
    )
    args = parser.parse_args()
    big_url = sandbox.postgres_url("make bench")
    small_url = sandbox.sibling_url(big_url, "small")
    import_url = sandbox.sibling_url(big_url, "import")
    for url in (big_url, small_url):
        ensure_database(url)
    big = measure(big_url, args.users, args.repeat, args.only)
    if not args.only or "erasure" in args.only:
        big["erasure"] = time_erasure(big_url, min(args.repeat, 5))
    small = measure(small_url, args.small, args.repeat, args.only)
    imports = (
        []
        if args.no_import
        else import_bench.run(big_url, import_url, args.import_rows, args.users)
    )
    if not args.no_dormancy and (not args.only or "dormancy" in args.only):
        big["dormancy"] = time_dormancy(big_url, environment)
    text = report(big, small, imports, args)
    # A partial run does not replace the day's full results.
    partial = "-partial" if args.only or args.no_import else ""
    out = (
        ROOT / "bench" / "results" / f"{datetime.date.today().isoformat()}{partial}.md"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"written to {out.relative_to(ROOT)}")
    failures = targets.misses(big["results"]) + import_bench.missed(imports)
    if not big.get("erasure", {}).get("passed", True):
        failures.append("erasure missed its target (see above)")
    dormancy = big.get("dormancy") or {}
    if dormancy and not (dormancy["preview_pass"] and dormancy["run_pass"]):
        failures.append("the dormant-account policy missed a target (see above)")
    if failures:  # loud, non-zero, and not in CI
        print("\n".join(["", "TARGET MISSED:", *failures]), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
