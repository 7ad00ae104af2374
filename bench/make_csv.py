"""Write a users CSV of N deterministic rows for the import benchmark."""

import csv
import sys

from users.management.commands.seed_users import demo_users


def write_csv(path: str, count: int, seed: int = 2, prefix: str = "imp") -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "email", "full_name", "is_active", "created_at"])
        for _, username, email, full_name, active, *_, created, _, _ in demo_users(
            count, seed
        ):
            writer.writerow(
                [
                    f"{prefix}.{username}",
                    f"{prefix}.{email}",
                    full_name,
                    "true" if active else "false",
                    created.isoformat(),
                ]
            )


if __name__ == "__main__":
    write_csv(sys.argv[1], int(sys.argv[2]))
