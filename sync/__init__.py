"""The sync engine: sends saved requests to the county over Open311 GeoReport v2, exactly once, and
brings their status and the catalogue back.

- :mod:`sync.open311` — the client, over a one-method transport seam, returning outcomes;
- :mod:`sync.payload` — a saved request as ``POST /requests.json`` fields;
- :mod:`sync.engine` — push, tokens, status pull, catalogue refresh: outcomes become outbox events;
- :mod:`sync.catalogue` — merging the county's catalogue into the kiosk's;
- :mod:`sync.runs` and :mod:`sync.health` — the record of runs, and the queue's health from it;
- :mod:`sync.schedule` — when to run (nightly, reconnect, queue, status) and never two at once.

It stands on :mod:`core` (the database) and never imports Flask or :mod:`kiosk`: the long-running
sync service is a separate process that works on a sqlite-utils ``Database`` handed to it.
"""
