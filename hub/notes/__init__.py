"""Notes: a documents/notes hub app (notebook tree, note list, editor with a formatting toolbar,
tags, pins, trash and search). ``app.SPEC`` registers it with the hub."""
