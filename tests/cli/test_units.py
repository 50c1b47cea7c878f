"""Quantities printed for operators: binary units for sizes, minutes and hours for durations."""

import pytest

from iafactory.cli import units


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1000, "1000 bytes"),
        (1536, "1.5 KiB"),
        (100 * 1024**2, "100 MiB"),
        (10 * 1024**3, "10 GiB"),
        (1.25 * 1024**3, "1.3 GiB"),
    ],
)
def test_sizes_are_in_binary_units(size: float, text: str) -> None:
    assert units.size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (30, "30 seconds"),
        (60, "1 minute"),
        (252, "4.2 minutes"),
        (3600, "1 hour"),
        (5400, "1.5 hours"),
        (36000, "10 hours"),
    ],
)
def test_durations_are_in_seconds_minutes_or_hours(seconds: float, text: str) -> None:
    assert units.duration(seconds) == text
