"""A request saved before wordings were kept is worded by the sync service before its first send
(``sync/engine.py``), with the centre's settings as the web app words a new one: where the county takes
media (``KIOSK_COUNTY_MEDIA=media_url``), its photo goes as ``media_url`` and the description does not
say "另有 1 张照片保存在社区服务中心。"; where it does not, it says so."""
from __future__ import annotations

import pytest

from core import submissions
from core.db import write_transaction
from kiosk.db import get_db
from tests.conftest import LiveCounty
from tests.sync_helpers import engine_for
from tests.test_media import _gps_jpeg, _repair_with_a_photo, phone

KEPT_LINE = "另有 1 张照片保存在社区服务中心。"


@pytest.mark.parametrize("takes_media", [False, True])
def test_a_request_worded_by_the_sync_service_says_photos_are_kept_only_where_the_county_takes_none(app, tmp_path, takes_media):
    from tests.test_sent_as_confirmed import Recording

    app.config.update(COUNTY_MEDIA="media_url" if takes_media else "none", PUBLIC_URL="http://192.168.1.2:8080")
    _repair_with_a_photo(phone(app), _gps_jpeg((800, 600)))
    county = LiveCounty(tmp_path / "county").start()
    try:
        with app.app_context():
            db = get_db()
            with write_transaction(db):  # as a request saved before wordings were kept
                db.execute("UPDATE requests SET wording = NULL")
            engine = engine_for(app, county.url, media_base=app.config["PUBLIC_URL"] if takes_media else "")
            engine.client.transport = sent = Recording(timeout=5)
            assert engine.run().accepted == 1
            frozen = submissions.wording_of(db, 1)
    finally:
        county.stop()
    (post,) = sent.posts
    assert post["description"] == frozen.description
    assert ("media_url" in post) is takes_media
    assert (KEPT_LINE in post["description"]) is not takes_media
