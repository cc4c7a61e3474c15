"""Speech for every page: text → audio through pyttsx3 driving espeak-ng, in a separate worker process,
cached by its inputs.

:mod:`~kiosk.voice.voices`, :mod:`~kiosk.voice.text`, :mod:`~kiosk.voice.worker`,
:mod:`~kiosk.voice.speaker`, :mod:`~kiosk.voice.cache` and :mod:`~kiosk.voice.page_text` do not use
Flask (the speech worker's process, ``python -m kiosk.voice.speaker``, imports none of the rest); :mod:`~kiosk.voice.web` ties them to the app: the Read-aloud panel, the
voice settings page and the ``/voice`` audio.
"""
