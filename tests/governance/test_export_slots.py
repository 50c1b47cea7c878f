"""DownloadSlots: one export download per tenant, a bounded number per process."""

from __future__ import annotations

import uuid

import pytest

from iafactory.errors import RateLimited
from iafactory.governance.exports import DownloadSlots


def test_a_tenant_downloads_one_export_at_a_time() -> None:
    slots = DownloadSlots()
    tenant = uuid.uuid4()
    release = slots.take(tenant)
    with pytest.raises(RateLimited):
        slots.take(tenant)
    release()
    slots.take(tenant)


def test_other_tenants_download_alongside() -> None:
    slots = DownloadSlots()
    slots.take(uuid.uuid4())
    slots.take(uuid.uuid4())


def test_the_process_serves_a_bounded_number_of_downloads() -> None:
    slots = DownloadSlots(in_flight=2)
    slots.take(uuid.uuid4())
    slots.take(uuid.uuid4())
    with pytest.raises(RateLimited):
        slots.take(uuid.uuid4())
