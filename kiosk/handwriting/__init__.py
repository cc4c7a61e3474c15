"""Offline Chinese handwriting: strokes drawn on the kiosk's own pad, recognised on the box.

:mod:`~kiosk.handwriting.zinnia` is a small ctypes binding to Debian's libzinnia0 with the
tegaki-zinnia-simplified-chinese model (no Python binding is published). It does not use Flask.
"""
