"""Every write the kiosk does, one function each, named for what a person (or the kiosk) does.

The one rule for writes:

1. A write transaction (:func:`core.db.write_transaction`) is opened in exactly two places: a
   function of this package — what a resident does (:mod:`core.actions.resident`), a worker
   (:mod:`core.actions.worker`), an administrator at the box (:mod:`core.actions.admin`) or the
   kiosk itself (:mod:`core.actions.system`: a session expiring, the nightly purge, sealing with the
   current key) — and the sync service's steps in sync/ (the county's side).
2. The table owners' write functions in core/ (drafts, submissions, outbox, personal, feedback,
   follow_ups, help_calls, workers, audit, county_notes, addresses, catalogue, counters, retention,
   sealing) never open one: each runs inside its caller's transaction and checks that it does
   (:func:`core.db.require_transaction`, which names the function called outside one). No flag,
   no callback, no detection: :func:`core.audit.record` too needs the caller's transaction.
3. An action is one transaction (``durable=True`` where the write must never be reported done and
   then lost) holding the owners' steps and its audit entries, so the entry and the change it
   describes commit together or neither does. Actions take plain values (the database, who, ids,
   text, when), return plain results and raise the owners' exceptions; they never import Flask.
   An action calls owners and writes no SQL of its own (tests/test_table_owners.py).
4. The web app and its commands (kiosk/) call an action for every write; they never open a
   transaction nor import :mod:`core.db` (kiosk/db.py, which opens the connection and runs
   ``init-db``, is the one exception). An import-linter contract in setup.cfg says so and names the
   offender (tests/test_architecture.py); tests/test_actions.py checks the rest.
5. Reads are not actions: pages call the owners' read functions directly.
"""
