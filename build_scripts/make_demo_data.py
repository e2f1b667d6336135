"""Regenerate resources/demo/: small synthetic data with known groups, made by this project.

Run ``python build_scripts/make_demo_data.py``; the output is deterministic (fixed seed), so the
committed files only change when this script does.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"


def customers(rng: np.random.Generator) -> list[list[object]]:
    """Three shopper segments that differ in age, income, visits, basket size and channel."""
    segments = {
        "students": dict(
            age=(22, 3), income=(14_000, 4_000), visits=(9, 2), basket=(18, 6), channel=[0.6, 0.1, 0.3]
        ),
        "families": dict(
            age=(41, 6), income=(52_000, 9_000), visits=(5, 1.5), basket=(95, 20), channel=[0.2, 0.6, 0.2]
        ),
        "retirees": dict(
            age=(69, 5), income=(31_000, 7_000), visits=(3, 1), basket=(45, 12), channel=[0.05, 0.9, 0.05]
        ),
    }
    rows: list[list[object]] = []
    for segment, p in segments.items():
        for _ in range(100):
            rows.append(
                [
                    round(rng.normal(*p["age"])),
                    round(rng.normal(*p["income"]), -2),
                    round(max(0.0, rng.normal(*p["visits"])), 1),
                    round(max(1.0, rng.normal(*p["basket"])), 2),
                    rng.choice(["web", "store", "app"], p=p["channel"]),
                    segment,
                ]
            )
    order = rng.permutation(len(rows))
    return [[f"C{i + 1:04d}", *rows[j]] for i, j in enumerate(order)]


def sensor_series(rng: np.random.Generator, length: int = 120) -> list[list[object]]:
    """Sensor traces of three shapes (periodic, ramp with a step, bursts), each with noise."""
    t = np.linspace(0.0, 1.0, length)
    rows: list[list[object]] = []
    for _ in range(40):
        phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(3.5, 4.5)
        rows.append(["periodic", *(np.sin(2 * np.pi * freq * t + phase) + rng.normal(0, 0.15, length))])
        step = rng.uniform(0.4, 0.6)
        rows.append(["ramp_step", *(t + 1.5 * (t > step) + rng.normal(0, 0.1, length))])
        bursts = np.zeros(length)
        for centre in rng.uniform(0.1, 0.9, 3):
            bursts += 3 * np.exp(-((t - centre) ** 2) / 0.0008)
        rows.append(["bursts", *(bursts + rng.normal(0, 0.15, length))])
    return rows


def main() -> None:
    rng = np.random.default_rng(6)
    (DEMO / "tables").mkdir(parents=True, exist_ok=True)
    (DEMO / "timeseries").mkdir(parents=True, exist_ok=True)
    with open(DEMO / "tables" / "customers.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["customer_id", "age", "income", "visits_per_month", "avg_basket", "channel", "segment"]
        )
        writer.writerows(customers(rng))
    with open(DEMO / "timeseries" / "sensors.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pattern", *(f"t{i}" for i in range(120))])
        for row in sensor_series(rng):
            writer.writerow([row[0], *(f"{v:.4f}" for v in row[1:])])
    print(f"wrote demo data to {DEMO}")


if __name__ == "__main__":
    main()
