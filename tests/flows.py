"""Walking a resident through a service with the Flask test client (shared by several tests)."""
from __future__ import annotations

import re

from core.catalogue import Service

SAMPLE_TEXT = {"string": "3号楼2单元 楼道", "text": "楼上每天夜里很吵，想请调解员帮忙。", "number": "3", "datetime": "2026-12-01"}


def answer_for(question) -> str:
    if question.datatype == "singlevaluelist":
        return question.options[0][0]
    return SAMPLE_TEXT.get(question.datatype, "x")


def fill_service(client, service: Service, contact: str = "centre", name: str = "王秀兰", address: str = "3-2-501") -> None:
    """Answer every page up to the check page, asserting each step redirects to the next."""
    response = client.post(f"/services/{service.code}")
    assert response.status_code == 302
    for question in service.questions:
        assert response.headers["Location"] == f"/request/questions/{question.code}"
        response = client.post(response.headers["Location"], data={"answer": answer_for(question)})
        assert response.status_code == 302, response.get_data(as_text=True)
    if service.needs_details:
        assert response.headers["Location"] == "/request/about-you"
        response = client.post("/request/about-you", data={"name": name, "address": address})
        assert response.status_code == 302
    assert response.headers["Location"] == "/request/contact"
    data = {"contact": contact}
    if contact == "phone":
        data["phone"] = "138 0013 8000"
    response = client.post("/request/contact", data=data)
    assert response.headers["Location"] == "/request/check"


def confirm(client) -> tuple[str, str]:
    """Press Confirm; return the ticket and check code shown on the receipt."""
    response = client.post("/request/check")
    assert response.status_code == 302, response.get_data(as_text=True)
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    ticket = re.search(r'<p class="ticket" id="ticket-number"[^>]*>([A-Z0-9]+)</p>', receipt).group(1)
    code = re.search(r'<strong class="check-code"[^>]*>(\d{6})</strong>', receipt).group(1)
    return ticket, code
