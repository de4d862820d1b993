"""Turn the shell blocks of Markdown pages into runnable, replayable scripts."""
