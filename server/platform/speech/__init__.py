"""Speech: text to audio with a local neural voice, encoded, stored and served by signed URL."""
