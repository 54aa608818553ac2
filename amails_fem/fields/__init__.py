"""Fields of solved rooms: wall maps, diagnostics, summaries, and objects -> arrays for the file writers."""
