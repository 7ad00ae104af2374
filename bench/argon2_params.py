"""Argon2 parameters for logins, measured on this machine.

    python bench/argon2_params.py            # every candidate, a Markdown table
    python bench/argon2_params.py --burst 32 # also a burst of 32 logins at once

Each candidate runs in a child process of its own, so that its peak memory
(ru_maxrss) is its own: the time of one hash on one core, the memory a hash
takes, and logins per second with one hash per core at a time. The burst
compares 32 logins hashing at once with the same 32 behind a bound of one hash
per core (what LOGIN_HASH_CONCURRENCY does in each gunicorn worker).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from argon2.low_level import Type, hash_secret

# (label, time_cost, memory_cost in KiB, parallelism). Django's default, then
# the equivalent settings of OWASP's password storage cheat sheet.
CANDIDATES = [
    ("Django default", 2, 102_400, 8),
    ("OWASP m=46 MiB", 1, 47_104, 1),
    ("OWASP m=19 MiB", 2, 19_456, 1),
    ("OWASP m=12 MiB", 3, 12_288, 1),
    ("OWASP m=9 MiB", 4, 9_216, 1),
    ("OWASP m=7 MiB", 5, 7_168, 1),
]
SALT = b"0123456789abcdef"


def one_hash(time_cost: int, memory_cost: int, parallelism: int) -> float:
    started = time.perf_counter()
    hash_secret(
        b"correct-horse-battery-staple",
        SALT,
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=32,
        type=Type.ID,
    )
    return time.perf_counter() - started


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(params: tuple[int, int, int], hashes: int, workers: int) -> dict:
    """In this (child) process: one core's time, then `workers` at a time."""
    before = peak_rss_mib()
    single = [one_hash(*params) for _ in range(hashes)]
    single_peak = peak_rss_mib() - before
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:  # argon2-cffi releases the GIL
        list(pool.map(lambda _: one_hash(*params), range(hashes * workers)))
    elapsed = time.perf_counter() - started
    return {
        "ms_per_hash": statistics.median(single) * 1000,
        "mib_per_hash": single_peak,
        "logins_per_s": hashes * workers / elapsed,
    }


def burst(params: tuple[int, int, int], logins: int, bound: int | None) -> dict:
    """`logins` threads hash at once; with a bound, at most `bound` at a time."""
    gate = threading.BoundedSemaphore(bound or logins)
    durations: list[float] = []

    def login(_):
        started = time.perf_counter()
        with gate:
            one_hash(*params)
        durations.append(time.perf_counter() - started)

    before = peak_rss_mib()
    started = time.perf_counter()
    with ThreadPoolExecutor(logins) as pool:
        list(pool.map(login, range(logins)))
    return {
        "wall_s": time.perf_counter() - started,
        "p50_s": statistics.median(durations),
        "max_s": max(durations),
        "peak_mib": peak_rss_mib() - before,
    }


def in_child(*args: str) -> dict:
    # glibc keeps freed blocks under 32 MiB in each thread's arena for reuse,
    # so the peak would show how many threads ever hashed, not how many hashes
    # were in flight; a fixed mmap threshold hands each hash's memory back.
    env = os.environ | {"MALLOC_MMAP_THRESHOLD_": "131072"}
    output = subprocess.run(
        [sys.executable, __file__, *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hashes", type=int, default=10, help="per measurement")
    parser.add_argument("--burst", type=int, default=0, help="logins hashing at once")
    parser.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-burst", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bound", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    if args.child:
        params = tuple(args.child)
        if args.child_burst:
            result = burst(params, args.child_burst, args.bound or None)
        else:
            result = measure(params, args.hashes, cores)
        print(json.dumps(result))
        return

    print(f"{cores} cores, {args.hashes} hashes per measurement, argon2id\n")
    print("| parameters | t | m (MiB) | p | ms/hash (1 core) | MiB/hash | logins/s |")
    print("|---|---|---|---|---|---|---|")
    for label, *params in CANDIDATES:
        row = in_child("--child", *map(str, params), "--hashes", str(args.hashes))
        print(
            f"| {label} | {params[0]} | {params[1] / 1024:.0f} | {params[2]} | "
            f"{row['ms_per_hash']:.0f} | {row['mib_per_hash']:.0f} | "
            f"{row['logins_per_s']:.0f} |"
        )
    if not args.burst:
        return
    print(f"\nA burst of {args.burst} logins at once (one process):\n")
    print("| parameters | bound | wall s | p50 s | max s | peak MiB |")
    print("|---|---|---|---|---|---|")
    for label, *params in (CANDIDATES[0], CANDIDATES[2]):
        for bound in (0, cores):
            row = in_child(
                "--child",
                *map(str, params),
                "--child-burst",
                str(args.burst),
                "--bound",
                str(bound),
            )
            print(
                f"| {label} | {bound or 'none'} | {row['wall_s']:.2f} | "
                f"{row['p50_s']:.2f} | {row['max_s']:.2f} | {row['peak_mib']:.0f} |"
            )


if __name__ == "__main__":
    main()
