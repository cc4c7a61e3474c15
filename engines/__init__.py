"""Engines without the web: they run in any process and import neither Flask nor the kiosk's packages.

- :mod:`engines.speech`: text → speech through pyttsx3 and espeak-ng, in a child process of its own,
  and Mandarin made ahead of time by a neural voice (Kokoro-82M) in a process and venv of its own,
  cached by its inputs (the web side is :mod:`kiosk.voice_views`);
- :mod:`engines.handwriting`: one handwritten character → candidates (zinnia, and a shape reader);
- :mod:`engines.pinyin`: toneless pinyin letters → the candidate row;
- :mod:`engines.charsets`: the GB 2312 character levels both writing engines rank by.
"""
