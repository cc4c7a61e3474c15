"""A county profile instead of assumptions (issue 21, items 3 and 4): ``flask sync check-county`` asks a
county what it supports, read-only, keeps the answer, and says in plain words what the kiosk will do about
each gap; the centre's place (KIOSK_CENTRE_LAT, KIOSK_CENTRE_LONG) reaches a county that requires one.

Against the reference county (a real server, tests/conftest.py) and an independent county's stand-in
(tests/independent_county.py: a real HTTP server on 127.0.0.1 with the gaps real counties have)."""
from __future__ import annotations

from kiosk.db import get_db
from sync import profile
from sync.process import make_engine

from .conftest import LiveCounty
from .independent_county import IndependentCounty
from .sync_helpers import engine_for, save_requests, states


def check_county(app, runner, url: str, **settings):
    app.config.update(COUNTY_URL=url, **settings)
    return runner.invoke(args=["sync", "check-county"])


def test_check_county_reads_the_reference_county_as_it_is(app, runner, county):
    save_requests(app, 1)
    with app.app_context():  # one request at the county, so the look-up can be told from an empty list
        engine_for(app, county.url).run("test")
    done = check_county(app, runner, county.url)
    assert "gap    Location: Every request carries the centre's address, but not its coordinates" in done.output
    assert "Ready to go live; 1 gap the kiosk copes with." in done.output  # one gap: "1 gap", not "1 gaps"
    done = check_county(app, runner, county.url, CENTRE_LAT="31.2304", CENTRE_LONG="121.4737")  # as installed
    out = done.output
    assert done.exit_code == 0, out
    assert "ok     Location: Every request carries the centre's address and coordinates" in out
    assert "ok     Services: The county lists all 7 of the kiosk's services (8 in all)." in out
    assert "ok     Service definitions: The county publishes service definitions" in out
    assert "ok     Attributes:" in out
    assert "ok     Look-up by kiosk_uuid: The county honours it" in out
    assert "nothing is sent twice" in out
    assert "ok     Notes on a request: The county has the update extension (servicerequestupdates, as FixMyStreet's)." in out
    assert "ok     Errors: The county's errors are Open311 error lists" in out
    assert "Ready to go live; 0 gaps" in out
    assert len(county.requests()) == 1  # read-only: the probe created nothing at the county
    kept = profile.load(app.instance_path, county.url, "demo-county")
    assert kept is not None and kept.uuid_lookup == profile.HONOURED and kept.note_service and kept.updates == profile.YES
    assert kept.requests_made <= profile.MAX_REQUESTS
    assert profile.load(app.instance_path, "http://127.0.0.1:1", "demo-county") is None  # another county's profile is not used


def test_check_county_names_every_gap_of_an_independent_county_and_what_the_kiosk_does(app, runner):
    with IndependentCounty() as stand_in:
        done = check_county(app, runner, stand_in.url, COUNTY_LOCATION="coordinates")
        out = done.output
        assert done.exit_code == 1, out  # something must be done before going live
        assert "gap    Services: The county lists 5 services; of the kiosk's 7, it does not list:" \
               " disability-subsidy, mediation, feedback." in out
        assert "gap    Service definitions: The county publishes no service definitions." in out
        assert "keeps its own questions" in out
        assert "gap    Look-up by kiosk_uuid: The county ignores the filter: asked for a request that cannot exist," \
               " it answered with 2 requests." in out
        assert "The kiosk does not use it (the sync service reads this profile)" in out  # nothing to set by hand
        assert "gap    Notes on a request: The county has no update extension and no note service." in out
        assert "stay on the kiosk, in the workers' list" in out
        assert "ACTION Location: The county needs coordinates" in out and "--centre-lat" in out
        assert "gap    Errors: The county's errors are HTML pages, not Open311 error lists (asked for a service that" \
               " does not exist, it answered with HTTP status 404)." in out
        assert "1 to do before going live" in out
        assert stand_in.posts() == [] and len(stand_in.seen) <= profile.MAX_REQUESTS  # read-only and bounded

        # The centre's place set: what is left are gaps the kiosk copes with.
        done = check_county(app, runner, stand_in.url, CENTRE_LAT="31.2304", CENTRE_LONG="121.4737")
        assert done.exit_code == 0, done.output
        assert "ok     Location: The county needs coordinates: every request carries the centre's." in done.output
        assert "gap    Look-up by kiosk_uuid" in done.output and "Ready to go live; 6 gaps" in done.output
    kept = profile.load(app.instance_path, stand_in.url, "demo-county")
    assert (kept.definitions, kept.attributes, kept.uuid_lookup, kept.updates, kept.error_format) == \
           (profile.NO, profile.NO, profile.IGNORED, profile.NO, profile.HTML)


def test_a_county_that_cannot_be_reached_is_said_so(app, runner):
    from .conftest import free_port

    done = check_county(app, runner, f"http://127.0.0.1:{free_port()}")
    assert done.exit_code == 1 and "ACTION Reachable: The county at http://127.0.0.1:" in done.output


def test_the_centres_place_reaches_a_county_that_requires_one(app):
    """The independent county answers 500 to a request without lat and long (as the real one did to all 30)."""
    app.config.update(CENTRE_LAT="31.2304", CENTRE_LONG="121.4737", LOCATION="幸福里社区服务中心")
    save_requests(app, 2)  # the centre's place is part of what the resident confirmed (core/wording.py)
    with IndependentCounty() as stand_in, app.app_context():
        app.config.update(COUNTY_URL=stand_in.url)
        make_engine(app.config, get_db()).run("test")
        posts = stand_in.posts()
        assert [(p["lat"], p["long"], p["address_string"]) for p in posts] == [(["31.2304"], ["121.4737"], ["幸福里社区服务中心"])] * 2
        assert sorted(s["state"] for s in states(get_db()).values()) == ["accepted", "accepted"]


def test_check_county_says_so_when_the_kiosks_own_catalogue_is_empty(tmp_path, monkeypatch, county):
    """A technician who runs the check before loading the catalogue is told to load it, not "all 0 of the
    kiosk's services ... Ready to go live"."""
    from kiosk import create_app

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "bare"))
    bare = create_app({"TESTING": True})
    done = check_county(bare, bare.test_cli_runner(), county.url)
    assert done.exit_code == 1, done.output
    assert "ACTION Services: The kiosk's own catalogue is empty" in done.output and "flask catalogue load" in done.output


def test_a_refused_key_is_not_told_to_wait_for_requests(app, runner, tmp_path):
    county = LiveCounty(tmp_path / "county", api_keys="another-key").start()
    try:
        out = check_county(app, runner, county.url).output
    finally:
        county.stop()
    assert "ACTION Key: The county refused this kiosk's api_key." in out
    assert "Look-up by kiosk_uuid: Could not be asked: the county refused the key" in out
    assert "once the county holds a request" not in out


def test_a_county_that_dies_mid_probe_is_not_judged_to_publish_no_definitions(tmp_path):
    """A county killed after its service list answered: the definitions got no answer, which is not "no
    definitions" (that would send it no attributes for good, and the reference county refuses requests
    without their required attributes); the answer is incomplete, so the sync service does not keep it."""
    from sync.open311 import HttpTransport, Open311Client

    county = LiveCounty(tmp_path / "county").start()

    class DiesAfterTheList(HttpTransport):
        def request(self, method, url, **kwargs):
            reply = super().request(method, url, **kwargs)
            if url.endswith("/services.json"):
                county.stop(kill=True)  # the power goes at the county
            return reply

    try:
        found = profile.probe(Open311Client(county.url, "demo-kiosk-key", "demo-county", DiesAfterTheList(timeout=2)), ["repairs"])
    finally:
        county.stop()
    assert found.reachable and found.services and found.unanswered >= 1
    assert (found.definitions, found.attributes) == (profile.UNKNOWN, profile.UNKNOWN)
    assert profile.sending_policy(found)[0] == "all"
