"""Kanban: an issue tracker with a board (To do / In progress / In review / Done), a list view,
an issue detail dialog (title, description, status, priority, assignee, labels, due date,
comments) and a create-issue dialog, in the style of Jira or Linear."""
