"""Speech for every page: text → audio through pyttsx3 driving espeak-ng, in a separate worker process,
cached by its inputs. Flask-free, so it can be built from the CLI and used by the web app alike."""
