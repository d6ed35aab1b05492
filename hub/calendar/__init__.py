"""Calendar: a week/month calendar with a mini month navigator, toggleable color-coded
calendars and an event dialog (title, date, times, location, guests, description).

The whole visible state, including the open view, the focused date and any draft being
edited, lives in the server-side state described by ``SCHEMA.md``.
"""
