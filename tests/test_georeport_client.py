"""An Open311 client written by others (PyPI ``georeport``) reads the reference county: it speaks the
standard, not only our own dialect."""
from datetime import datetime, timedelta, timezone

import pytest
import requests
from georeport import GeoReport

pytestmark = pytest.mark.slow


def test_georeport_library_reads_services_definitions_and_requests(county):
    form = {"api_key": "demo-kiosk-key", "jurisdiction_id": "demo-county", "service_code": "repairs",
            "address_string": "社区服务中心", "description": "楼道灯坏了", "attribute[what]": "light",
            "attribute[where]": "3号楼", "attribute[danger]": "no"}
    created = requests.post(county.url + "/requests.json", data=form, timeout=5).json()[0]["service_request_id"]

    client = GeoReport(county.url, jurisdiction="demo-county", api_key="demo-kiosk-key")
    services = client.get_service_list()
    assert {"repairs", "pension-cert", "feedback"} <= {s["service_code"] for s in services}
    assert all(set(s) >= {"service_code", "service_name", "metadata", "type", "group"} for s in services)

    definition = client.get_service_definition("repairs")
    assert definition["service_code"] == "repairs"
    assert [a["code"] for a in definition["attributes"]] == ["what", "where", "danger"]
    assert {"variable", "datatype", "required", "order", "description"} <= set(definition["attributes"][0])

    one = client.get_service_request(created)
    assert one["service_request_id"] == created and one["status"] == "open" and one["description"] == "楼道灯坏了"
    assert "first_name" not in one and "phone" not in one  # personal details are never listed

    by_id = client.get_service_requests(service_request_id=created)
    assert [r["service_request_id"] for r in by_id] == [created]
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = client.get_service_requests(start_date=since, status="open,closed", service_code="repairs")
    assert created in [r["service_request_id"] for r in recent]
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get_service_requests(start_date=future) == []
