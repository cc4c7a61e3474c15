"""Schema of the kiosk database, as ordered migrations (each one runs in its own transaction).

Never edit a migration that has shipped: add a new one (a test upgrades a file made before, see
``tests/data/``). The set keeps its name, ``kiosk``, so files made by earlier versions upgrade in
place. Which module owns each table's SQL is listed in docs/design.md; personal fields live only in
``request_personal`` and ``drafts.personal`` and are read and written through :mod:`core.personal`.
"""
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("kiosk")


@migrations()
def m001_catalogue(db: Database) -> None:
    """Service catalogue in Open311 service-definition shape, with texts in every locale."""
    db.execute(
        """
        CREATE TABLE service_groups (
            code TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            icon TEXT NOT NULL,
            names TEXT NOT NULL            -- JSON {locale: name}
        )"""
    )
    db.execute(
        """
        CREATE TABLE services (
            service_code TEXT PRIMARY KEY,
            group_code TEXT NOT NULL REFERENCES service_groups(code),
            position INTEGER NOT NULL,
            icon TEXT NOT NULL,
            type TEXT NOT NULL DEFAULT 'batch',
            keywords TEXT NOT NULL DEFAULT '',
            needs TEXT NOT NULL,           -- JSON: which personal details and contact options
            texts TEXT NOT NULL,           -- JSON {locale: {service_name, description, ...}}
            attributes TEXT NOT NULL,      -- JSON list of Open311 attributes, texts per locale
            hidden INTEGER NOT NULL DEFAULT 0,  -- dropped by the county: hidden, never deleted
            updated_at TEXT NOT NULL
        )"""
    )


@migrations()
def m002_drafts_and_requests(db: Database) -> None:
    """Drafts (server side, keyed by an opaque cookie), saved requests and their event history."""
    db.execute(
        """
        CREATE TABLE drafts (
            id TEXT PRIMARY KEY,           -- sha256 of the cookie token, never the token itself
            service_code TEXT NOT NULL,
            answers TEXT NOT NULL DEFAULT '{}',
            personal TEXT NOT NULL DEFAULT '{}',
            locale TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            ticket TEXT NOT NULL UNIQUE,
            check_code TEXT NOT NULL,
            service_code TEXT NOT NULL REFERENCES services(service_code),
            locale TEXT NOT NULL,
            answers TEXT NOT NULL,         -- JSON {attribute code: value}
            content_hash TEXT NOT NULL,
            requested_at TEXT NOT NULL,    -- kiosk wall clock, UTC ISO 8601; never re-stamped
            monotonic_ns INTEGER NOT NULL, -- kiosk monotonic clock at save, to judge clock jumps
            kiosk_id TEXT NOT NULL,
            filled_by TEXT NOT NULL DEFAULT 'resident'
        )"""
    )
    db.execute(
        """
        CREATE TABLE request_personal (
            request_id INTEGER PRIMARY KEY REFERENCES requests(id),
            data TEXT NOT NULL             -- JSON {name, address, phone, contact}
        )"""
    )
    db.execute(
        """
        CREATE TABLE request_events (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            state TEXT NOT NULL,
            at TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}'
        )"""
    )
    db.execute("CREATE INDEX request_events_by_request ON request_events(request_id, id)")
    # The history is append-only: an event, once written, is never changed.
    db.execute(
        """
        CREATE TRIGGER request_events_append_only BEFORE UPDATE ON request_events
        BEGIN SELECT RAISE(ABORT, 'request_events is append-only'); END"""
    )


@migrations()
def m003_meta(db: Database) -> None:
    """Small counters, e.g. the catalogue version that lets each process cache the catalogue safely."""
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute("INSERT INTO meta (key, value) VALUES ('catalogue_version', 0)")


@migrations()
def m004_sync_runs(db: Database) -> None:
    """One row per sync run: when, why, what it did, what the county's clock said, what went wrong."""
    db.execute(
        """
        CREATE TABLE sync_runs (
            id INTEGER PRIMARY KEY,
            trigger TEXT NOT NULL,            -- manual | nightly | reconnect | queue
            started_at TEXT NOT NULL,
            finished_at TEXT,
            sent INTEGER NOT NULL DEFAULT 0,
            accepted INTEGER NOT NULL DEFAULT 0,
            quarantined INTEGER NOT NULL DEFAULT 0,
            retrying INTEGER NOT NULL DEFAULT 0,
            status_updates INTEGER NOT NULL DEFAULT 0,
            county_date TEXT,                 -- the county's Date header
            clock_offset_seconds REAL,        -- county clock minus kiosk clock
            key_refused INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )"""
    )
    db.execute("CREATE INDEX request_events_by_state ON request_events(state, request_id)")


@migrations()
def m005_current_events(db: Database) -> None:
    """Each request's latest event: its current state, derived from the history, never stored twice."""
    db.execute(
        """
        CREATE VIEW current_events AS
        SELECT r.id AS request_id, e.id AS event_id, e.state, e.at, e.data FROM requests r
        JOIN request_events e ON e.id = (SELECT MAX(id) FROM request_events WHERE request_id = r.id)"""
    )


@migrations()
def m006_draft_resume_codes(db: Database) -> None:
    """Drafts outlive the screen session that started them: parked under a short resume code."""
    db.execute("ALTER TABLE drafts ADD COLUMN resume_code TEXT")   # shown and spoken to the resident
    db.execute("ALTER TABLE drafts ADD COLUMN resume_key TEXT")    # sha256 of the code, to find the draft by it
    db.execute("ALTER TABLE drafts ADD COLUMN parked_at TEXT")     # the session ended: only the code opens it now
    db.execute("CREATE UNIQUE INDEX drafts_by_resume_key ON drafts(resume_key)")
    db.execute("CREATE INDEX drafts_by_updated_at ON drafts(updated_at)")


@migrations()
def m007_request_purges(db: Database) -> None:
    """When a closed request's answers and personal details were purged (its stub stays)."""
    db.execute("ALTER TABLE requests ADD COLUMN purged_at TEXT")


@migrations()
def m008_address_book(db: Database) -> None:
    """The centre's address book (小区 → 楼栋 → 单元 → 室), so an address can be chosen instead of written."""
    db.execute(
        """
        CREATE TABLE address_book (
            id INTEGER PRIMARY KEY,
            estate TEXT NOT NULL,             -- 小区, as written (never converted between scripts)
            estate_latin TEXT NOT NULL DEFAULT '',  -- its name for English pages, when the book gives one
            building TEXT NOT NULL,           -- 楼栋: "3", or a name as written ("综合楼")
            unit TEXT NOT NULL DEFAULT '',    -- 单元: empty for a building that has none
            flat TEXT NOT NULL,               -- 室: "501"
            position INTEGER NOT NULL,        -- line order in the file it came from
            UNIQUE (estate, building, unit, flat)
        )"""
    )
    db.execute("INSERT INTO meta (key, value) VALUES ('address_book_version', 0)")


@migrations()
def m009_workers_and_audit(db: Database) -> None:
    """Community workers' accounts (core/workers.py), and the audit log (core/audit.py), which the
    database itself keeps append-only: a row, once written, can be neither changed nor deleted."""
    db.execute(
        """
        CREATE TABLE workers (
            id INTEGER PRIMARY KEY,
            login TEXT NOT NULL UNIQUE,       -- lower-case letters, digits, '.', '_', '-'
            display_name TEXT NOT NULL,       -- as the worker writes it (王芳), shown on their pages
            role TEXT NOT NULL CHECK (role IN ('worker', 'admin')),
            password_hash TEXT NOT NULL,      -- argon2id, with its parameters in the hash
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,                 -- UTC ISO 8601
            actor TEXT NOT NULL,              -- worker:<login> | resident | system | cli
            action TEXT NOT NULL,             -- login.succeeded, worker.disabled, ...
            request_id INTEGER,               -- the resident's request it was about, if any (requests.id)
            detail TEXT NOT NULL DEFAULT '{}' -- JSON of ids, names of things and counts: never personal data
        )"""
    )
    db.execute("CREATE INDEX audit_by_actor ON audit(actor, id)")
    db.execute("CREATE INDEX audit_by_request ON audit(request_id, id)")
    db.execute(
        """
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"""
    )
    db.execute(
        """
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"""
    )


@migrations()
def m010_help_calls(db: Database) -> None:
    """Residents asking for a person at a kiosk: which kiosk, which page, when; who answered and when."""
    db.execute(
        """
        CREATE TABLE help_calls (
            id INTEGER PRIMARY KEY,
            kiosk_id TEXT NOT NULL,
            place TEXT NOT NULL,              -- which page (e.g. "resident.question:where"), never what is on it
            service_code TEXT,                -- the service being asked for, if any
            called_at TEXT NOT NULL,
            answered_at TEXT,
            answered_by TEXT                  -- a worker's login name
        )"""
    )
    db.execute("CREATE INDEX help_calls_waiting ON help_calls (called_at) WHERE answered_at IS NULL")


@migrations()
def m011_sync_runs_lookups(db: Database) -> None:
    """Indexes for the questions asked of ``sync_runs`` (a row every few minutes, for years): the last
    success, the last error, the last clock reading, the last finished run, each one index seek."""
    db.execute("CREATE INDEX sync_runs_succeeded ON sync_runs(finished_at) WHERE error IS NULL AND finished_at IS NOT NULL")
    db.execute("CREATE INDEX sync_runs_failed ON sync_runs(id) WHERE error IS NOT NULL")
    db.execute("CREATE INDEX sync_runs_clock ON sync_runs(id) WHERE clock_offset_seconds IS NOT NULL")
    db.execute("CREATE INDEX sync_runs_finished ON sync_runs(id) WHERE finished_at IS NOT NULL")


@migrations()
def m012_follow_ups(db: Database) -> None:
    """What a worker did to pass a county status change on to the resident (core/follow_ups.py):
    told them, could not reach them, or they came in. One row per tap; nothing is overwritten."""
    db.execute(
        """
        CREATE TABLE follow_ups (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            event_id INTEGER NOT NULL,        -- the status event (request_events.id) it passes on
            outcome TEXT NOT NULL CHECK (outcome IN ('told', 'not_reached', 'came_in')),
            at TEXT NOT NULL,                 -- UTC ISO 8601
            by_worker TEXT NOT NULL           -- a worker's login name
        )"""
    )
    db.execute("CREATE INDEX follow_ups_by_request ON follow_ups(request_id, event_id)")


@migrations()
def m013_assisted(db: Database) -> None:
    """Assisted filing (代办): which worker is filling a draft in for a resident, and the one-time key
    of a confirmation shown on the kiosk's screen, with when it was asked for."""
    db.execute("ALTER TABLE drafts ADD COLUMN assisted_by TEXT")          # a worker's login name
    db.execute("ALTER TABLE drafts ADD COLUMN confirm_key TEXT")          # random, one-time; NULL when not shown
    db.execute("ALTER TABLE drafts ADD COLUMN confirm_asked_at TEXT")


@migrations()
def m014_county_notes(db: Database) -> None:
    """Notes for the county about a request it holds (core/county_notes.py): what the centre did or
    heard after the county's own status change, sent up with the next sync, each exactly once."""
    db.execute(
        """
        CREATE TABLE county_notes (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,        -- sent as attribute[kiosk_uuid]: asked for after an unclear send
            request_id INTEGER NOT NULL REFERENCES requests(id),
            kind TEXT NOT NULL,               -- follow_up
            fields TEXT NOT NULL,             -- JSON {attribute code: value}: codes, numbers and times, never personal data
            created_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'in_flight', 'retry_wait', 'sent', 'refused')),
            attempt INTEGER NOT NULL DEFAULT 0,
            ambiguous INTEGER NOT NULL DEFAULT 0,  -- an earlier send may have reached the county
            next_attempt_at TEXT,
            county_id TEXT,                   -- the county's service_request_id of the note, once sent
            reason TEXT,                      -- the county's words, when it refused the note
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX county_notes_unsent ON county_notes(id) WHERE state IN ('queued', 'in_flight', 'retry_wait')")
    db.execute("CREATE INDEX county_notes_by_request ON county_notes(request_id, id)")


@migrations()
def m015_resident_answers(db: Database) -> None:
    """Closing the loop (core/feedback.py): the resident's own word on a request the county closed —
    solved or not, a 好差评 rating, a comment — and the request a "not solved" reopened it as; and who
    entered each field of a request (typed, reused from an earlier one, or by a worker)."""
    db.execute("ALTER TABLE requests ADD COLUMN reopens INTEGER REFERENCES requests(id)")  # the request this one reopens
    db.execute("CREATE INDEX requests_reopens ON requests(reopens) WHERE reopens IS NOT NULL")
    # Who entered each answer and personal detail: {field: typed | reused | worker}; names and codes only.
    db.execute("ALTER TABLE requests ADD COLUMN sources TEXT NOT NULL DEFAULT '{}'")
    db.execute(
        """
        CREATE TABLE resident_answers (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            event_id INTEGER NOT NULL,        -- the county's close it answers (request_events.id)
            solved INTEGER NOT NULL CHECK (solved IN (0, 1)),
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),  -- 5 非常满意 … 1 非常不满意; NULL until given
            comment TEXT,                     -- sealed; optional
            via TEXT NOT NULL CHECK (via IN ('kiosk', 'phone', 'worker')),
            by_worker TEXT,                   -- the worker's login, when a worker recorded what the resident said
            reopened_as INTEGER REFERENCES requests(id),
            at TEXT NOT NULL,                 -- UTC ISO 8601
            rated_at TEXT,
            UNIQUE (request_id, event_id)
        )"""
    )


@migrations()
def m016_outbox_at_scale(db: Database) -> None:
    """Indexes for the outbox's and the pages' hot questions once a kiosk holds 100,000 requests
    (tests/test_query_plans.py asks each for its plan).

    ``request_latest`` is each request's latest event id, state and time: an index of ``request_events``
    that the database keeps itself, by a trigger in the transaction of every event, and nothing else
    writes. The history stays the one home of a request's state; this only lets "which requests are
    queued / at the county / quarantined now" (and "changed since when") be answered by one seek of
    the few that are, where before it read every request's latest event (the view) or every event
    ever written in the state asked for (the state index). ``current_events`` now reads through it.
    """
    db.execute(
        """
        CREATE TABLE request_latest (
            request_id INTEGER PRIMARY KEY REFERENCES requests(id),
            event_id INTEGER NOT NULL,        -- request_events.id of the request's latest event
            state TEXT NOT NULL,              -- that event's state and time (the event is never changed)
            at TEXT NOT NULL
        )"""
    )
    # By state in id order (what is due, oldest first; the status pull a page at a time), and by state
    # and time (what changed since: news to pass on, the health figures' "since").
    db.execute("CREATE INDEX request_latest_by_state ON request_latest(state, request_id)")
    db.execute("CREATE INDEX request_latest_by_state_at ON request_latest(state, at)")
    db.execute(
        """
        INSERT INTO request_latest (request_id, event_id, state, at)
        SELECT request_id, MAX(id), state, at FROM request_events GROUP BY request_id"""
    )
    db.execute(
        """
        CREATE TRIGGER request_latest_follows_events AFTER INSERT ON request_events
        BEGIN
            INSERT INTO request_latest (request_id, event_id, state, at) VALUES (NEW.request_id, NEW.id, NEW.state, NEW.at)
            ON CONFLICT (request_id) DO UPDATE SET event_id = excluded.event_id, state = excluded.state, at = excluded.at
            WHERE excluded.event_id > request_latest.event_id;
        END"""
    )
    db.execute("DROP VIEW current_events")
    db.execute(
        """
        CREATE VIEW current_events AS
        SELECT l.request_id, l.event_id, l.state, l.at, e.data FROM request_latest l
        JOIN request_events e ON e.id = l.event_id"""
    )
    # The day's new requests (the worklist), a range of days (outcomes): by when they were saved.
    db.execute("CREATE INDEX requests_by_requested_at ON requests(requested_at)")
    # The nightly purge looks only at requests whose answers are still kept: a few weeks' worth.
    db.execute("CREATE INDEX requests_kept ON requests(purged_at) WHERE purged_at IS NULL")
    # The foreign key requests.service_code -> services: with foreign_keys on, each catalogue refresh's
    # upsert of a service had SQLite look for requests of it by reading every request.
    db.execute("CREATE INDEX requests_by_service ON requests(service_code)")
    # What residents wrote in the last two weeks (the worklist), newest first.
    db.execute("CREATE INDEX resident_answers_comments ON resident_answers(at) WHERE comment IS NOT NULL")


@migrations()
def m017_address_spots(db: Database) -> None:
    """Shared places of the address book (楼道, 电梯, 单元门, 屋顶…), so a repair can say where in a
    building it is, and on which floor, by choosing instead of writing (core/addresses.py)."""
    db.execute(
        """
        CREATE TABLE address_spots (
            id INTEGER PRIMARY KEY,
            estate TEXT NOT NULL,             -- the place it belongs to, as in address_book
            building TEXT NOT NULL,
            unit TEXT NOT NULL DEFAULT '',
            spot TEXT NOT NULL,               -- 楼道, as written (a known name is translated, SPOT_NAMES)
            spot_latin TEXT NOT NULL DEFAULT '',  -- its name for English pages, when the book gives one
            floors TEXT NOT NULL DEFAULT '',  -- "1-6" or "B1,1-18": the floors asked after it; '' = none
            position INTEGER NOT NULL,        -- line order in the file it came from
            UNIQUE (estate, building, unit, spot)
        )"""
    )


@migrations()
def m018_help_call_rings(db: Database) -> None:
    """A help call nobody answers is rung again: when last (NULL: only when made) and how many times."""
    db.execute("ALTER TABLE help_calls ADD COLUMN rung_at TEXT")
    db.execute("ALTER TABLE help_calls ADD COLUMN rings INTEGER NOT NULL DEFAULT 0")


@migrations()
def m019_county_notes_for_workers(db: Database) -> None:
    """Notes go where the county can take them (issue 21): as an update (FixMyStreet's extension) or a
    note request, else kept for the workers, who tell the county themselves and say so (``kept``,
    ``told``); how each went (``sent_as``); and a note of the resident's own words (kind ``comment``,
    sealed ``text``). SQLite cannot change a CHECK constraint: the table is made again."""
    db.execute(
        """
        CREATE TABLE county_notes_new (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,        -- the update's update_id, or the note request's attribute[kiosk_uuid]
            request_id INTEGER NOT NULL REFERENCES requests(id),
            kind TEXT NOT NULL,               -- follow_up, answer, rating, comment
            fields TEXT NOT NULL,             -- JSON {attribute code: value}: codes, numbers and times, never personal data
            text TEXT,                        -- sealed: what the resident wrote (kind comment only)
            created_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'in_flight', 'retry_wait', 'sent', 'refused', 'kept', 'told')),
            attempt INTEGER NOT NULL DEFAULT 0,
            ambiguous INTEGER NOT NULL DEFAULT 0,  -- an earlier send may have reached the county
            next_attempt_at TEXT,
            county_id TEXT,                   -- the county's id of the note (update_id or service_request_id), once sent
            sent_as TEXT,                     -- update | note_request, once sent
            reason TEXT,                      -- the county's words, when it refused the note
            told_by TEXT,                     -- the worker who told the county themselves (state told)
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("INSERT INTO county_notes_new (id, uuid, request_id, kind, fields, created_at, state, attempt, ambiguous,"
               " next_attempt_at, county_id, sent_as, reason, updated_at)"
               " SELECT id, uuid, request_id, kind, fields, created_at, state, attempt, ambiguous, next_attempt_at, county_id,"
               " CASE WHEN state = 'sent' THEN 'note_request' END, reason, updated_at FROM county_notes")
    db.execute("DROP TABLE county_notes")
    db.execute("ALTER TABLE county_notes_new RENAME TO county_notes")
    db.execute("CREATE INDEX county_notes_unsent ON county_notes(id) WHERE state IN ('queued', 'in_flight', 'retry_wait')")
    db.execute("CREATE INDEX county_notes_by_request ON county_notes(request_id, id)")
    db.execute("CREATE INDEX county_notes_kept ON county_notes(id) WHERE state = 'kept'")


@migrations()
def m020_request_wording(db: Database) -> None:
    """A request's wording (its description and the centre's place), composed in the centre's language
    when it is saved and sent exactly so every time (core/wording.py); sealed like its answers. NULL: a
    request saved before, frozen once from the catalogue as it is before its first send."""
    if "wording" not in db["requests"].columns_dict:  # a test may have added it to save into an older file
        db.execute("ALTER TABLE requests ADD COLUMN wording TEXT")


@migrations()
def m021_request_media(db: Database) -> None:
    """What a resident said or showed instead of writing (core/media.py): a spoken answer to a question,
    or a photo. Sealed at rest (``data`` as sealed bytes, ``written`` as sealed text); held by a draft
    while it is filled in (``ON UPDATE CASCADE``: resuming gives a draft a new key; ``ON DELETE
    CASCADE``: a purged draft takes its media with it), then by the request it became."""
    if "media" in db.table_names():  # a test made it to save into an older file with today's code
        return
    db.execute(
        """
        CREATE TABLE media (
            id INTEGER PRIMARY KEY,
            draft_id TEXT REFERENCES drafts(id) ON UPDATE CASCADE ON DELETE CASCADE,
            request_id INTEGER REFERENCES requests(id),
            field TEXT NOT NULL,           -- the question's code (a spoken answer), or 'photo'
            kind TEXT NOT NULL CHECK (kind IN ('audio', 'photo')),
            mime TEXT NOT NULL,            -- found from the bytes, never from what the browser said
            bytes INTEGER NOT NULL,
            seconds REAL,                  -- a spoken answer's length, when known
            width INTEGER, height INTEGER, -- a photo's, after shrinking
            data BLOB NOT NULL,            -- sealed (core.crypto.Keyring.seal_bytes)
            written TEXT,                  -- sealed: what a worker wrote down from a spoken answer
            written_by TEXT,
            written_at TEXT,
            share_token TEXT,              -- sealed: a photo's address for a county that takes media (docs/open311.md)
            share_key TEXT,                -- that token's keyed hash, to find it (core.crypto.Keyring.lookup_keys)
            created_at TEXT NOT NULL,
            CHECK ((draft_id IS NULL) <> (request_id IS NULL))
        )"""
    )
    db.execute("CREATE INDEX media_by_draft ON media(draft_id) WHERE draft_id IS NOT NULL")
    db.execute("CREATE UNIQUE INDEX media_by_share_key ON media(share_key) WHERE share_key IS NOT NULL")
    db.execute("CREATE INDEX media_by_request ON media(request_id) WHERE request_id IS NOT NULL")
    db.execute("CREATE INDEX media_to_write_down ON media(id) WHERE kind = 'audio' AND request_id IS NOT NULL"
               " AND written IS NULL")
