"""Voice agent: audio probing, bundled Whisper models, transcription and subtitles."""
