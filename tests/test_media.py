"""Spoken answers and photos, where a person meets them (issue 23, items 3–5): a phone on the Wi-Fi
answering a question with its own recorder and adding a photo, the check page and the receipt naming
them, a worker writing down what was said, and the county receiving the written words; sealed at rest,
purged with the request."""
from __future__ import annotations

import io
import re
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from core import media, outbox, retention, submissions
from core.db import write_transaction
from kiosk.db import get_db
from tests.conftest import LiveCounty
from tests.sync_helpers import FakeClock, engine_for
from tests.worker_helpers import add_accounts, log_in

PHONE = {"REMOTE_ADDR": "192.168.1.23"}
SAID = "楼道的灯坏了三天了，晚上看不见台阶"


@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory) -> bytes:
    """A real spoken recording: espeak-ng saying a sentence (what a phone's recorder would give, as WAV)."""
    path = tmp_path_factory.mktemp("voice") / "said.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(path), SAID], check=True, capture_output=True)
    return path.read_bytes()


def phone(app, locale: str = "en"):
    client = app.test_client()
    client.environ_base.update(PHONE)
    client.post("/language", data={"locale": locale})
    return client


def start_feedback_to_message(client) -> None:
    """Feedback: a complaint about the environment, up to its written question (message, required)."""
    assert client.post("/services/feedback").headers["Location"] == "/request/questions/kind"
    assert client.post("/request/questions/kind", data={"answer": "complaint"}).status_code == 302
    assert client.post("/request/questions/about", data={"answer": "environment"}).headers["Location"] == \
        "/request/questions/message"


def answer_by_voice(client, wav: bytes, **more):
    return client.post("/request/questions/message", content_type="multipart/form-data",
                       data={"answer": "", "spoken": (io.BytesIO(wav), "录音.wav", "text/plain"), **more})


def finish(client) -> str:
    assert client.post("/request/contact", data={"contact": "centre"}).headers["Location"] == "/request/check"
    response = client.post("/request/check")
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[1]


def test_a_spoken_answer_answers_the_question_and_is_named_on_the_check_page_and_receipt(app, spoken_wav):
    client = phone(app)
    start_feedback_to_message(client)
    page = client.get("/request/questions/message").get_data(as_text=True)
    assert 'accept="audio/*" capture="user"' in page and 'enctype="multipart/form-data"' in page  # the phone's own recorder
    # Nothing typed, nothing recorded: the question is still asked.
    assert client.post("/request/questions/message", data={"answer": ""}).status_code == 422
    response = answer_by_voice(client, spoken_wav)
    assert response.status_code == 302 and response.headers["Location"] == "/request/contact"
    with app.app_context():
        kept = media.for_draft(get_db(), media.item(get_db(), 1).draft_id)
    assert [(m.kind, m.mime) for m in kept] == [("audio", "audio/wav")]  # found from the bytes, not "text/plain"
    seconds = kept[0].seconds
    assert 1 < seconds < 15
    length = f"{int(round(seconds)) // 60}:{int(round(seconds)) % 60:02d}"
    client.post("/request/contact", data={"contact": "centre"})
    check = client.get("/request/check").get_data(as_text=True)
    assert f"A spoken answer, {length}" in check
    assert re.search(r'<audio class="summary-list__audio" controls preload="none" src="/request/media/\d+"', check)
    played = client.get(re.search(r'src="(/request/media/\d+)"', check).group(1))
    assert played.status_code == 200 and played.data == spoken_wav and played.headers["Content-Type"] == "audio/wav"
    assert app.test_client().get(re.search(r'src="(/request/media/\d+)"', check).group(1)).status_code == 404  # another browser
    response = client.post("/request/check")
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert length in receipt and "🎤" in receipt
    # it waits for a worker to write it down, not for the network: the receipt and the status page say so
    assert "A community worker will listen to what you said and write it down" in receipt
    assert "when the connection is there" not in receipt
    ticket = response.headers["Location"].rsplit("/", 1)[1]
    code = re.search(r'class="check-code" data-speech-spell>(\d+)<', receipt).group(1)
    status = client.get(f"/status/{ticket}", query_string={"c": code})
    assert status.status_code == 200 and "write it down; then it is sent to the county" in status.get_data(as_text=True)


def test_bad_recordings_get_a_polite_message_and_keep_what_was_typed(app, spoken_wav):
    client = phone(app)
    start_feedback_to_message(client)
    typed = "门口的灯"
    for upload, words in ((b"<html>not a recording</html>", "not a recording the kiosk can keep"),
                          (b"", None)):
        response = client.post("/request/questions/message", content_type="multipart/form-data",
                               data={"answer": typed, "spoken_keep": "1", "spoken": (io.BytesIO(upload), "a.webm")})
        if words:
            assert response.status_code == 422
            page = response.get_data(as_text=True)
            assert words in page and typed in page
    too_long = _wav_of_seconds(125)
    response = client.post("/request/questions/message", content_type="multipart/form-data",
                           data={"answer": typed, "spoken": (io.BytesIO(too_long), "long.wav")})
    assert response.status_code == 422 and "longer than two minutes" in response.get_data(as_text=True)
    assert typed in response.get_data(as_text=True)
    # Too big for the kiosk at all: its own 413 page, the earlier answer kept.
    huge = b"RIFF" + b"\0" * (20 * 1024 * 1024)
    response = client.post("/request/questions/message", content_type="multipart/form-data",
                           data={"answer": typed, "spoken": (io.BytesIO(huge), "huge.wav")})
    assert response.status_code == 413


def _wav_of_seconds(seconds: int) -> bytes:
    import wave
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(1), w.setframerate(8000)
        w.writeframes(b"\x80" * 8000 * seconds)
    return out.getvalue()


def test_a_worker_writes_down_what_was_said_and_the_county_receives_the_words(app, tmp_path, spoken_wav):
    add_accounts(app)
    client = phone(app)
    start_feedback_to_message(client)
    answer_by_voice(client, spoken_wav)
    ticket = finish(client)
    county = LiveCounty(tmp_path / "county").start()
    try:
        clock = FakeClock()
        with app.app_context():
            report = engine_for(app, county.url, clock=clock).run()
            assert report.accepted == 0 and county.requests() == []  # waits: no words yet for the county
        worker = phone(app)
        assert log_in(worker, "alice").status_code == 302
        worklist = worker.get("/worker/worklist").get_data(as_text=True)
        assert "To write down" in worklist
        link = re.search(r'href="(/worker/write-down/\d+)"', worklist).group(1)
        page = worker.get(link).get_data(as_text=True)
        audio = re.search(r'src="(/worker/media/\d+)"', page).group(1)
        assert worker.get(audio).data == spoken_wav
        assert worker.post(link, data={"said": ""}).status_code == 422
        response = worker.post(link, data={"said": SAID})
        assert response.status_code == 302
        assert ticket in worker.get("/worker/worklist").get_data(as_text=True)  # the notice names it
        assert worker.post(link, data={"said": "again"}).status_code == 302  # a second tap changes nothing
        with app.app_context():
            clock.advance(seconds=1)
            report = engine_for(app, county.url, clock=clock).run()
            assert report.accepted == 1
        descriptions = [row[0] for row in county.query("SELECT description FROM requests")]
        assert len(descriptions) == 1 and SAID in descriptions[0] and "again" not in descriptions[0]
    finally:
        county.stop()


def _gps_jpeg(size=(4000, 3000)) -> bytes:
    picture = Image.new("RGB", size)
    for x in range(0, size[0], 200):  # something to compress
        picture.paste((x % 255, 90, 160), (x, 0, x + 100, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel X"  # Model
    gps = {1: "N", 2: (31.0, 13.0, 49.44), 3: "E", 4: (121.0, 28.0, 25.32)}
    exif[0x8825] = gps
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def test_a_photo_from_a_phone_is_shrunk_stripped_sealed_and_purged_with_the_request(app):
    original = _gps_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test photo does carry a location
    client = phone(app)
    assert client.post("/services/repairs").status_code == 302
    client.post("/request/questions/what", data={"answer": "light"})
    client.post("/request/questions/where", data={"answer": "幸福里小区3号楼2单元", "write": "1"})
    client.post("/request/questions/danger", data={"answer": "no"})
    assert client.post("/request/contact", data={"contact": "centre"}).headers["Location"] == "/request/check"
    check = client.get("/request/check").get_data(as_text=True)
    assert 'href="/request/photos?return=check"' in check
    page = client.get("/request/photos?return=check").get_data(as_text=True)
    assert 'accept="image/*" capture="environment"' in page
    # Not a photo: a polite message, nothing kept.
    response = client.post("/request/photos?return=check", content_type="multipart/form-data",
                           data={"photo": (io.BytesIO(b"GIF89a but not really"), "x.jpg")})
    assert response.status_code == 422 and "not a photo" in response.get_data(as_text=True)
    response = client.post("/request/photos?return=check", content_type="multipart/form-data",
                           data={"photo": (io.BytesIO(original), "IMG_0001.JPG", "image/jpeg")})
    assert response.status_code == 302
    check = client.get("/request/check").get_data(as_text=True)
    src = re.search(r'<img src="(/request/media/\d+)"[^>]*class="summary-list__thumb"', check).group(1)
    shown = client.get(src).data
    kept = Image.open(io.BytesIO(shown))
    assert max(kept.size) == media.PHOTO_SIDE and kept.format == "JPEG"
    assert len(shown) < 400 * 1024 < len(original)
    assert not kept.getexif() and b"PhoneMaker" not in shown and b"GPS" not in shown and "exif" not in kept.info
    for _ in range(2):
        client.post("/request/photos", content_type="multipart/form-data",
                    data={"photo": (io.BytesIO(original), "IMG.JPG")})
    response = client.post("/request/photos", content_type="multipart/form-data",
                           data={"photo": (io.BytesIO(original), "IMG.JPG")})
    assert response.status_code == 422 and "three photos" in response.get_data(as_text=True)  # a fourth is refused
    response = client.post("/request/check")
    ticket = response.headers["Location"].rsplit("/", 1)[1]
    assert "3" in client.get(response.headers["Location"]).get_data(as_text=True)
    # Sealed at rest: the photo's bytes are nowhere in the database file.
    with app.app_context():
        db = get_db()
        path = db.execute("PRAGMA database_list").fetchall()[0][2]
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        request_id = db.execute("SELECT id FROM requests WHERE ticket = ?", [ticket]).fetchone()[0]
        assert len(media.for_request(db, request_id)) == 3
        raw = open(path, "rb").read()
        assert shown[200:264] not in raw and shown[-64:] not in raw
        # Purged with the request: the county closed it long ago.
        with write_transaction(db, durable=True):
            outbox.record(db, request_id, outbox.CLOSED, at="2026-01-01T00:00:00Z")
            retention.purge(db, datetime.now(timezone.utc), closed_days=30)
        assert media.for_request(db, request_id) == []


def test_done_keeps_a_photo_chosen_but_not_added(app):
    """A phone's camera fills the file field; a resident who then presses the big Done, not Add this photo,
    keeps her photo and goes on (before: Done was a link, and the photo was lost without a word)."""
    client = phone(app)
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    client.post("/request/questions/where", data={"answer": "幸福里小区3号楼2单元", "write": "1"})
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    page = client.get("/request/photos?return=check").get_data(as_text=True)
    assert re.search(r'<button[^>]*name="then" value="done"[^>]*form="photo-form"', page)
    response = client.post("/request/photos?return=check", content_type="multipart/form-data",
                           data={"then": "done", "photo": (io.BytesIO(_gps_jpeg((1200, 900))), "IMG.JPG")})
    assert response.headers["Location"] == "/request/check"
    assert len(re.findall(r'class="summary-list__thumb"', client.get("/request/check").get_data(as_text=True))) == 1
    # Done with no photo chosen just goes on, adding nothing.
    response = client.post("/request/photos?return=check", content_type="multipart/form-data", data={"then": "done"})
    assert response.headers["Location"] == "/request/check"
    assert len(re.findall(r'class="summary-list__thumb"', client.get("/request/check").get_data(as_text=True))) == 1


def test_a_draft_takes_its_media_with_it_when_it_is_purged(app, spoken_wav):
    client = phone(app)
    start_feedback_to_message(client)
    answer_by_voice(client, spoken_wav)
    with app.app_context():
        db = get_db()
        assert db.execute("SELECT COUNT(*) FROM media").fetchone()[0] == 1
        with write_transaction(db, durable=True):
            retention.purge(db, datetime.now(timezone.utc) + timedelta(days=2))
        assert db.execute("SELECT COUNT(*) FROM media").fetchone()[0] == 0


def _repair_with_a_photo(client, photo: bytes) -> str:
    assert client.post("/services/repairs").status_code == 302
    client.post("/request/questions/what", data={"answer": "light"})
    client.post("/request/questions/where", data={"answer": "幸福里小区3号楼2单元", "write": "1"})
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    assert client.post("/request/photos", content_type="multipart/form-data",
                       data={"photo": (io.BytesIO(photo), "IMG.JPG")}).status_code == 302
    return client.post("/request/check").headers["Location"].rsplit("/", 1)[1]


@pytest.mark.parametrize("worded_late", [False, True], ids=["worded", "worded_late"])
@pytest.mark.parametrize("takes_media", [False, True])
def test_a_photo_goes_to_the_county_as_media_url_only_where_it_takes_media(app, tmp_path, takes_media, worded_late):
    """``worded_late``: a request saved before wordings were kept, worded by the sync service before its first
    send (sync/engine.py): with the centre's media setting too, so no "kept at the centre" where it is sent."""
    from tests.test_sent_as_confirmed import Recording

    app.config.update(COUNTY_MEDIA="media_url" if takes_media else "none", PUBLIC_URL="http://192.168.1.2:8080")
    _repair_with_a_photo(phone(app), _gps_jpeg((1200, 900)))
    county = LiveCounty(tmp_path / "county").start()
    try:
        with app.app_context():
            if worded_late:
                with write_transaction(get_db()):
                    get_db().execute("UPDATE requests SET wording = NULL")
            engine = engine_for(app, county.url, media_base=app.config["PUBLIC_URL"] if takes_media else "")
            engine.client.transport = sent = Recording(timeout=5)
            assert engine.run().accepted == 1
            kept = media.content(get_db(), 1)
    finally:
        county.stop()
    media_url = sent.posts[0].get("media_url")
    kept_line = "另有 1 张照片保存在社区服务中心。"  # the county is told a photo waits (a new user's walk, issue 23 item 7)
    if not takes_media:
        assert media_url is None and kept_line in sent.posts[0]["description"]
        return
    assert kept_line not in sent.posts[0]["description"]
    assert re.fullmatch(r"http://192\.168\.1\.2:8080/media/[A-Za-z0-9_-]{43}", media_url)
    county_side = app.test_client()
    county_side.environ_base.update({"REMOTE_ADDR": "10.0.0.9"})
    fetched = county_side.get(media_url[len("http://192.168.1.2:8080"):])
    assert fetched.status_code == 200 and fetched.data == kept and fetched.headers["Content-Type"] == "image/jpeg"
    assert county_side.get("/media/" + "A" * 43).status_code == 404  # a guess opens nothing
    app.config["COUNTY_MEDIA"] = "none"
    assert county_side.get(media_url[len("http://192.168.1.2:8080"):]).status_code == 404


def test_a_key_rotation_reseals_recordings_photos_and_their_addresses(app, runner, spoken_wav):
    photo = _gps_jpeg((800, 600))
    client = phone(app)
    _repair_with_a_photo(client, photo)
    client = phone(app)
    start_feedback_to_message(client)
    answer_by_voice(client, spoken_wav)
    with app.app_context():
        db = get_db()
        before = {row[0]: (bytes(row[1]), row[2]) for row in db.execute("SELECT id, data, share_token FROM media")}
        token = media.shared(db, 1)
    assert runner.invoke(args=["data", "rotate-key"]).exit_code == 0
    with app.app_context():
        db = get_db()
        for media_id, data, share in db.execute("SELECT id, data, share_token FROM media"):
            assert bytes(data)[:14] == db.keyring.current_prefix.encode() and bytes(data) != before[media_id][0]
            assert share is None or db.keyring.is_current(share)
        assert media.content(db, 2) == spoken_wav  # opens with the new key
        assert media.by_share(db, token).id == 1  # the address the county was given still finds it


def test_other_said_instead_of_written_reaches_the_county_in_the_description(app, spoken_wav):
    """A list's 其他 with 🎤: Send what I said answers "other" with the recording; the worker's words follow
    其他 in what the county is sent (the answer itself stays the option's key)."""
    add_accounts(app)
    client = phone(app, "zh_Hans_CN")
    client.post("/services/repairs")
    page = client.get("/request/questions/what").get_data(as_text=True)
    assert "其他情况？说给我们听" in page and 'name="spoken_other" value="1"' in page
    # pressed before anything was recorded: a polite word, and no bare 其他 for the county
    nothing = client.post("/request/questions/what", content_type="multipart/form-data", data={"spoken_other": "1"})
    assert nothing.status_code == 422 and "还没有录音" in nothing.get_data(as_text=True)
    assert client.get("/request/check").status_code == 302  # not answered: the check page sends her back
    response = client.post("/request/questions/what", content_type="multipart/form-data",
                           data={"spoken_other": "1", "spoken": (io.BytesIO(spoken_wav), "said.wav")})
    assert response.headers["Location"] == "/request/questions/where"
    client.post("/request/questions/where", data={"answer": "幸福里小区3号楼2单元", "write": "1"})
    client.post("/request/questions/danger", data={"answer": "no"})
    ticket = finish(client)
    worker = phone(app)
    log_in(worker, "alice")
    link = re.search(r'href="(/worker/write-down/\d+)"', worker.get("/worker/worklist").get_data(as_text=True)).group(1)
    worker.post(link, data={"said": "楼顶水箱漏水"})
    with app.app_context():
        db = get_db()
        saved = submissions.by_ticket(db, ticket)
        assert saved.answers["what"] == "other"
        assert "其他：楼顶水箱漏水" in submissions.wording_of(db, saved.id).description
        assert outbox.current_state(db, saved.id) == outbox.QUEUED and outbox.due_for_sending(
            db, "2999-01-01T00:00:00Z", 10)[0]["request_id"] == saved.id  # let go


def test_the_pages_with_recordings_and_photos_are_valid_html(app, tmp_path, spoken_wav):
    """The worker's To write down, the write-down page (and its error) and a request's page with what the
    resident said and showed; the resident's check page with both (Nu HTML Checker)."""
    from tests.html_check import nu_problems

    add_accounts(app)
    client = phone(app)
    client.post("/services/repairs")
    client.post("/request/questions/what", content_type="multipart/form-data",
                data={"answer": "other", "spoken": (io.BytesIO(spoken_wav), "said.wav")})
    client.post("/request/questions/where", data={"answer": "幸福里小区3号楼2单元", "write": "1"})
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    client.post("/request/photos", content_type="multipart/form-data", data={"photo": (io.BytesIO(_gps_jpeg((640, 480))), "a.jpg")})
    pages = {"check": client.get("/request/check").get_data(as_text=True),
             "photos-one": client.get("/request/photos").get_data(as_text=True)}
    ticket = finish(client)
    worker = phone(app)
    log_in(worker, "alice")
    pages["worklist"] = worker.get("/worker/worklist").get_data(as_text=True)
    link = re.search(r'href="(/worker/write-down/\d+)"', pages["worklist"]).group(1)
    pages["write-down"] = worker.get(link).get_data(as_text=True)
    pages["write-down-error"] = worker.post(link, data={"said": ""}).get_data(as_text=True)
    pages["request"] = worker.get(f"/worker/request/{ticket}").get_data(as_text=True)
    assert "<audio" in pages["request"] and "<img" in pages["request"]
    problems = nu_problems(pages, tmp_path)
    assert not problems, "\n".join(problems)


def test_waitress_takes_a_big_body_only_where_an_upload_may_come(live_kiosk):
    """The upload pages' cap (16.25 MiB) is not every page's: a 1 MB body to the ticket look-up, or a
    urlencoded one to a question, is still refused by waitress before a byte of it is read; a multipart
    one to the photo page is waited for."""
    import socket

    def answer_to_headers_only(path: str, content_type: str) -> bytes:
        with socket.create_connection(("127.0.0.1", live_kiosk.port), timeout=2) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                         f"Content-Length: 1000000\r\n\r\n".encode())
            try:
                return sock.recv(200)
            except socket.timeout:
                return b"(waiting for the body)"

    assert answer_to_headers_only("/status", "application/x-www-form-urlencoded").startswith(b"HTTP/1.1 413")
    assert answer_to_headers_only("/request/questions/message", "application/x-www-form-urlencoded").startswith(
        b"HTTP/1.1 413")
    assert answer_to_headers_only("/request/photos", "multipart/form-data; boundary=x") == b"(waiting for the body)"
