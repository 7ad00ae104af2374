"""The speed targets `make bench` holds noogh to, checked on its results.

Each miss is one FAIL line and makes `make bench` exit non-zero (not run in
CI: a shared or slow machine would fail it for reasons of its own). Medians
(p50) only: the machine is shared, and a p95 says more about the neighbours.
"""

# Our admin against the stock admin on the same question (issue 16).
ADMIN_VS_STOCK = 10.0
ADMIN_SCENARIOS = (
    "list page 1",
    "page ~250,000 rows deep",
    "admin page 150",
    "search common surname",
    "search rare term",
    "search exact email",
    "search 2 characters",
)
# Every filter of the console, on our list and the API (issue 16).
FILTER_MS = 20.0
FILTER_PREFIX = "filter "
# The JSON API (issue 14).
API_MS = {
    "API list limit=100": 15.0,
    "API search common surname": 30.0,
    "API search rare term": 30.0,
}


def misses(results: dict) -> list[str]:
    """One line per target missed in a measure.py result set; [] when all
    that were measured are met."""
    lines = []
    for name in ADMIN_SCENARIOS:
        row = results.get(name, {})
        if "admin" in row and "stock" in row:
            ratio = row["stock"]["p50"] / row["admin"]["p50"]
            if ratio < ADMIN_VS_STOCK:
                lines.append(
                    f"FAIL {name}: our admin {row['admin']['p50']:.1f} ms is "
                    f"{ratio:.1f}x the stock admin's {row['stock']['p50']:.1f} ms "
                    f"(target >= {ADMIN_VS_STOCK:.0f}x){_spent(row['admin'])}"
                )
    for name, row in results.items():
        if not name.startswith(FILTER_PREFIX):
            continue
        for target in ("ours", "api"):
            if target in row and row[target]["p50"] > FILTER_MS:
                lines.append(
                    f"FAIL {name} ({target}): p50 {row[target]['p50']:.1f} ms "
                    f"(target <= {FILTER_MS:.0f} ms){_spent(row[target])}"
                )
    for name, limit in API_MS.items():
        row = results.get(name, {})
        if "api" in row and row["api"]["p50"] > limit:
            lines.append(
                f"FAIL {name}: p50 {row['api']['p50']:.1f} ms "
                f"(target <= {limit:.0f} ms)"
            )
    return lines


def _spent(result: dict) -> str:
    """Where the time went, to tell the query from the page from the machine."""
    if "cpu_ms" not in result:
        return ""
    return f"; db {result['db_ms']:.0f} ms, cpu {result['cpu_ms']:.0f} ms"


def summary(results: dict) -> list[str]:
    """The targets section of the report: the misses, or that all were met."""
    failed = misses(results)
    lines = [
        "",
        f"Targets (p50): our admin >= {ADMIN_VS_STOCK:.0f}x the stock admin on "
        f"{', '.join(ADMIN_SCENARIOS)}; every filter <= {FILTER_MS:.0f} ms on our "
        "list and the API; API list <= 15 ms, API search <= 30 ms.",
        "",
    ]
    return lines + (failed or ["All targets met."])
