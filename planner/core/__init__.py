"""The bottom floor: settings, the engine and its sessions, the tables, errors, value helpers,
who may do what (auth), the audit trail and its sentences, the one safe spreadsheet writer,
backups, and the hook lists through which upper floors join in work a lower floor starts.

Imports nothing of planner but its own modules (and the floor plan in planner/__init__.py)."""
