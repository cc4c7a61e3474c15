"""An Open311 client written by others (PyPI ``georeport``) reads the reference county: it speaks the
standard, not only our own dialect.

georeport sends no ``api_key`` on reads, and the county shows requests only to a caller with a key;
``requests`` (which georeport uses) takes HTTP Basic credentials for a host from a ``.netrc`` file,
and the county accepts its key as the Basic password. So the library is given the key without
changing a line of it. It reads a county in strict mode too (county/strict.py): one that publishes no
service definitions, wants coordinates and takes no attributes."""
from datetime import datetime, timedelta, timezone

import pytest
import requests
from georeport import GeoReport

pytestmark = [pytest.mark.slow, pytest.mark.county_backends]  # an independent client reads both


@pytest.mark.parametrize("county_strict", ["", "1"], indirect=True, ids=["reference", "strict"])
def test_georeport_library_reads_services_definitions_and_requests(county, county_strict, tmp_path, monkeypatch):
    form = {"api_key": "demo-kiosk-key", "jurisdiction_id": "demo-county", "service_code": "repairs",
            "address_string": "社区服务中心", "description": "楼道灯坏了", "last_name": "王秀英", "phone": "13800138000"}
    if county_strict:  # the strict county wants coordinates and takes no attributes
        form |= {"lat": "31.2304", "long": "121.4737"}
    else:
        form |= {"attribute[what]": "light", "attribute[where]": "3号楼", "attribute[danger]": "no",
                 "attribute[home_address]": "幸福路 12 号"}
    created = requests.post(county.url + "/requests.json", data=form, timeout=5).json()[0]["service_request_id"]

    client = GeoReport(county.url, jurisdiction="demo-county", api_key="demo-kiosk-key")
    services = client.get_service_list()
    assert {"repairs", "pension-cert", "feedback"} <= {s["service_code"] for s in services}
    assert all(set(s) >= {"service_code", "service_name", "metadata", "type", "group"} for s in services)

    if county_strict:
        assert not any(s["metadata"] for s in services)
        with pytest.raises(requests.HTTPError) as none:
            client.get_service_definition("repairs")
        assert none.value.response.status_code == 404
    else:
        definition = client.get_service_definition("repairs")
        assert definition["service_code"] == "repairs"
        assert [a["code"] for a in definition["attributes"]] == ["what", "where", "danger"]
        assert {"variable", "datatype", "required", "order", "description"} <= set(definition["attributes"][0])

    with pytest.raises(requests.HTTPError) as refused:  # the service list is public; requests are not
        client.get_service_request(created)
    assert refused.value.response.status_code == 403

    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login kiosk password demo-kiosk-key\n", encoding="utf-8")
    monkeypatch.setenv("NETRC", str(netrc))
    one = client.get_service_request(created)
    assert one["service_request_id"] == created and one["status"] == "open" and one["description"] == "楼道灯坏了"
    assert "first_name" not in one and "phone" not in one  # personal details are never listed
    assert not {"王秀英", "13800138000", "幸福路 12 号"} & set(map(str, one.values()))

    by_id = client.get_service_requests(service_request_id=created)
    assert [r["service_request_id"] for r in by_id] == [created]
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = client.get_service_requests(start_date=since, status="open,closed", service_code="repairs")
    assert created in [r["service_request_id"] for r in recent]
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get_service_requests(start_date=future) == []
