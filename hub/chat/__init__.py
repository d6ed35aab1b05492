"""Chat: a team chat app (channels, direct messages, threads, reactions, pins, search, status)."""
