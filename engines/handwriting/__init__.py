"""Offline Chinese handwriting: strokes drawn on the kiosk's own pad, recognised on the box.

:mod:`~engines.handwriting.zinnia` is a small ctypes binding to Debian's libzinnia0 with the
tegaki-zinnia-simplified-chinese model (no Python binding is published). :mod:`~engines.handwriting.shapes`
is a second reader that ignores stroke order: it compares the drawing's picture with the field's own
characters drawn from the box's CJK font (Pillow). Neither uses Flask.
"""
