"""The cached wall → UTC conversion agrees with zoneinfo on every half hour of years with
transitions, folds and gaps included (several zones, transitions at different UTC hours)."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from opentalk_sched.core.zones import to_utc, utc_converter

UTC = timezone.utc
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Pacific/Apia",
         "Africa/Cairo", "Asia/Tehran", "Pacific/Chatham"]


@pytest.mark.parametrize("name", ZONES)
def test_utc_converter_matches_to_utc(name):
    tz = ZoneInfo(name)
    convert = utc_converter(tz)
    wall = datetime(2011, 1, 1)
    while wall < datetime(2013, 1, 1):
        assert convert(wall) == wall - tz.utcoffset(wall.replace(tzinfo=tz)) == to_utc(wall, tz)
        wall += timedelta(minutes=30)
