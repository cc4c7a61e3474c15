"""The smallest binding to zinnia (Debian's ``libzinnia0``) that recognises one handwritten character.

No Python binding of zinnia is published, so this declares the few C functions it needs through
ctypes — every ``restype`` and ``argtypes``, pointers as ``c_void_p`` (an undeclared pointer return is
cut to 32 bits and crashes later). The model (``tegaki-zinnia-simplified-chinese``, 26 MB) is opened
once per process (zinnia maps it; ~7 ms) and shared: zinnia's classify only reads it, and a lock
keeps one classification at a time anyway.

Strokes are lists of ``(x, y)`` points in a square box (``size``, y growing downwards), in the order
they were drawn: zinnia depends on stroke order and count, as people write.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import threading
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

MODEL = Path("/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model")
LIBRARY = "libzinnia.so.0"


class ZinniaError(RuntimeError):
    """libzinnia or its model is missing, or zinnia refused a character."""


@dataclass(frozen=True)
class Candidate:
    character: str
    score: float


# Only classify takes long enough to be worth letting other threads run. The rest are cheap calls made
# once per point (a large character is 1,200 of them): through ``CDLL`` each gives the GIL up and waits
# to take it back, and with busy threads about (phones told "busy") those waits added up to seconds
# while this thread held the recogniser's lock — the box's own screen waited behind it. ``PyDLL`` keeps
# the GIL over those calls; both handles name the same loaded library.
_RELEASES_GIL = {"zinnia_recognizer_classify", "zinnia_recognizer_open"}


def _load(path: str) -> SimpleNamespace:
    try:
        slow, quick = ctypes.CDLL(path), ctypes.PyDLL(path)
    except OSError as exc:
        raise ZinniaError(f"{path}: {exc} (Debian package libzinnia0)") from exc
    p, size_t, c_int, c_char_p, c_float = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_char_p, ctypes.c_float
    lib = SimpleNamespace()
    for name, restype, argtypes in (
        ("zinnia_recognizer_new", p, []),
        ("zinnia_recognizer_destroy", None, [p]),
        ("zinnia_recognizer_open", c_int, [p, c_char_p]),
        ("zinnia_recognizer_strerror", c_char_p, [p]),
        ("zinnia_recognizer_classify", p, [p, p, size_t]),
        ("zinnia_character_new", p, []),
        ("zinnia_character_destroy", None, [p]),
        ("zinnia_character_set_width", None, [p, size_t]),
        ("zinnia_character_set_height", None, [p, size_t]),
        ("zinnia_character_add", c_int, [p, size_t, c_int, c_int]),
        ("zinnia_result_value", c_char_p, [p, size_t]),
        ("zinnia_result_score", c_float, [p, size_t]),
        ("zinnia_result_size", size_t, [p]),
        ("zinnia_result_destroy", None, [p]),
    ):
        function = getattr(slow if name in _RELEASES_GIL else quick, name)
        function.restype, function.argtypes = restype, argtypes
        setattr(lib, name, function)
    return lib


class Recognizer:
    """One opened model. ``classify`` is safe to call from several threads (one at a time)."""

    def __init__(self, model: str | Path = MODEL, library: str = LIBRARY):
        self._lib = _load(library)
        self._recognizer = self._lib.zinnia_recognizer_new()
        if not self._recognizer:
            raise ZinniaError("zinnia_recognizer_new failed")
        if not self._lib.zinnia_recognizer_open(self._recognizer, str(model).encode()):
            reason = (self._lib.zinnia_recognizer_strerror(self._recognizer) or b"").decode(errors="replace")
            self._lib.zinnia_recognizer_destroy(self._recognizer)
            self._recognizer = None
            raise ZinniaError(f"cannot open the model {model}: {reason} (Debian package tegaki-zinnia-simplified-chinese)")
        self._lock = threading.Lock()

    def classify(self, strokes: list[list[tuple[float, float]]], size: int = 1000, best: int = 10) -> list[Candidate]:
        """The ``best`` likeliest characters for ``strokes`` drawn in a ``size`` × ``size`` box, likeliest first."""
        strokes = [s for s in strokes if s]
        if not strokes or self._recognizer is None:
            return []
        lib = self._lib
        with self._lock:
            character = lib.zinnia_character_new()
            if not character:
                raise ZinniaError("zinnia_character_new failed")
            try:
                lib.zinnia_character_set_width(character, size)
                lib.zinnia_character_set_height(character, size)
                for index, stroke in enumerate(strokes):
                    for x, y in stroke:
                        x, y = min(max(int(x), 0), size), min(max(int(y), 0), size)
                        if not lib.zinnia_character_add(character, index, x, y):
                            raise ZinniaError(f"zinnia refused a point of stroke {index}")
                result = lib.zinnia_recognizer_classify(self._recognizer, character, best)
                if not result:
                    return []
                try:
                    return [Candidate(lib.zinnia_result_value(result, i).decode("utf-8"), float(lib.zinnia_result_score(result, i)))
                            for i in range(lib.zinnia_result_size(result))]
                finally:
                    lib.zinnia_result_destroy(result)
            finally:
                lib.zinnia_character_destroy(character)

    def close(self) -> None:
        if self._recognizer is not None:
            self._lib.zinnia_recognizer_destroy(self._recognizer)
            self._recognizer = None

    def __del__(self):  # a process opens one; closing it at exit is tidy, not required
        try:
            self.close()
        except Exception:
            pass


_shared: Recognizer | None = None
_shared_lock = threading.Lock()


def recognizer() -> Recognizer:
    """The process's recognizer, opened on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Recognizer()
        return _shared
