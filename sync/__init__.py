"""The sync engine: the outbox of saved requests and (in a later step) the Open311 transport.

This package never imports Flask: it works on a sqlite-utils ``Database`` handed to it, so the web
app and the long-running sync worker share one implementation.
"""
