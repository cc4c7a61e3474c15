"""Speech for every page: text → audio through pyttsx3 driving espeak-ng, in a separate child process,
cached by its inputs; Mandarin prompts and clips made ahead of time by the neural voice
(:mod:`~engines.speech.neural`, its process :mod:`~engines.speech.neural_child` run by its own venv's
Python), and pages with a ticket joined from those clips (:mod:`~engines.speech.clips`,
:mod:`~engines.speech.clip_store`).

:mod:`~engines.speech.voices`, :mod:`~engines.speech.text`, :mod:`~engines.speech.synthesiser`,
:mod:`~engines.speech.speaker`, :mod:`~engines.speech.cache` and :mod:`~engines.speech.page_text` do not use
Flask (the speech process's process, ``python -m engines.speech.speaker``, imports none of the rest); :mod:`~kiosk.voice_views` ties them to the app: the Read-aloud panel, the
voice settings page and the ``/voice`` audio.
"""
