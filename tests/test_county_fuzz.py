"""Fuzzing the reference county from its own OpenAPI description (``county/static/openapi.json``) with
schemathesis, in this process over WSGI: whatever a caller sends to any route, the county answers
with a 4xx or a 2xx, never a 5xx, with a status code and content type the description names.

The callers hold what gets them past the front door — a valid api_key, a logged-in clerk's session —
and the forms need no CSRF token here, so the generated values reach the code behind them; the
doors themselves (keys, logins, tokens) are tested in test_county_access.py and test_county_clerk.py.
A bounded number of examples per operation, derandomised, so a run is short and repeatable; what a
run finds becomes a named test (test_county_limits.py).
"""
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

pytestmark = pytest.mark.fuzz

KEY = "demo-kiosk-key"
EXAMPLES = 100  # per operation: about 15 s for the whole description on this machine


SPEC = Path(__file__).resolve().parent.parent / "county" / "static" / "openapi.json"
schema = schemathesis.openapi.from_path(str(SPEC))  # the file the county serves at /openapi.json
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, with_security_parameters=False)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """The county on a file of its own, with two requests to read and change and a clerk logged in."""
    from county import create_app

    with pytest.MonkeyPatch.context() as env:
        for name in ("COUNTY_API_KEYS", "COUNTY_FAULTS", "COUNTY_CATALOGUE", "COUNTY_DEMO"):
            env.delenv(name, raising=False)
        env.setenv("COUNTY_INSTANCE_PATH", str(tmp_path_factory.mktemp("fuzzed-county")))
        app = create_app({"DEMO": True, "WTF_CSRF_ENABLED": False})  # not TESTING: a bug answers 500, as when served
    runner, client = app.test_cli_runner(), app.test_client()
    assert runner.invoke(args=["clerk", "add", "fuzz", "--password-stdin"], input="a long enough password\n").exit_code == 0
    for code in ("repairs", "home-care"):
        client.post("/requests.json", data={"api_key": KEY, "service_code": code, "address_string": "社区服务中心",
                                            "attribute[what]": "light", "attribute[where]": "3号楼", "attribute[danger]": "no",
                                            "attribute[help]": "bathing", "attribute[often]": "weekly"})
    assert client.post("/clerk/login", data={"name": "fuzz", "password": "a long enough password"}).status_code == 302
    return app, client.get_cookie("county_session").value


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
def test_no_input_makes_the_county_fail(case, fuzzed):
    app, session_cookie = fuzzed
    if isinstance(case.body, dict) and "api_key" in case.body:
        case.body["api_key"] = KEY  # past the key, into the checks behind it
    case.call_and_validate(
        app=app,
        params={"api_key": KEY} if case.method == "GET" else None,
        headers={"Cookie": f"county_session={session_cookie}"},
        checks=[checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance],
    )
