"""The kiosk's core: its SQLite database and what is kept in it, without Flask.

Both the web app (:mod:`kiosk`) and the sync engine (:mod:`sync`) stand on this package; it imports
neither of them, nor Flask (the rule is written in setup.cfg and checked by import-linter in the
test suite). Each table has one module here that holds its SQL:

- :mod:`core.db` — connections, the write discipline (short ``BEGIN IMMEDIATE`` transactions, fsync
  where it matters) and applying :mod:`core.migrations`, the schema;
- :mod:`core.catalogue` — services and their questions, texts per locale (``service_groups``,
  ``services``, ``meta``);
- :mod:`core.drafts` — answers in progress (``drafts``);
- :mod:`core.submissions` — saved requests and their tickets (``requests``);
- :mod:`core.personal` — name, address, phone (``request_personal``, and the drafts' personal column);
- :mod:`core.outbox` — each request's history of events and its current state (``request_events``,
  the view ``current_events``): the one home of the state names.

Two small helpers own no table: :mod:`core.tickets` (ticket numbers and check codes, how typed
tickets are read) and :mod:`core.clock` (timestamps as the database stores them).
"""
