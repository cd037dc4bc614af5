"""What every part of the project shares: one-line errors and the files written whole."""
